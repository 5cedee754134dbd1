#include "ocipfs/request_head.hpp"

#include <array>

namespace ocipfs {

namespace {

// tchar of RFC 9110 5.6.2.
constexpr std::array<bool, 256> token_chars = [] {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (!token_chars[static_cast<unsigned char>(c)]) return false;
  return true;
}

bool is_target(std::string_view text) {
  if (text.empty() || text.front() != '/') return false;
  for (char c : text)
    if (c <= 0x20 || c == 0x7f) return false;
  return true;
}

// Field values: visible ASCII, obs-text, spaces and tabs.
bool is_field_value(std::string_view text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool same_name(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// The request line: "GET /target HTTP/1.1".
bool scan_request_line(std::string_view line, RequestHead& head) {
  auto space = line.find(' ');
  if (space == std::string_view::npos) return false;
  head.method = line.substr(0, space);
  if (head.method != "GET" && head.method != "HEAD") return false;
  line.remove_prefix(space + 1);
  space = line.find(' ');
  if (space == std::string_view::npos) return false;
  head.target = line.substr(0, space);
  auto version = line.substr(space + 1);
  if (version == "HTTP/1.1")
    head.version = 11;
  else if (version == "HTTP/1.0")
    head.version = 10;
  else
    return false;
  head.keep_alive = head.version == 11;
  return is_target(head.target);
}

// Connection: a list of tokens; "close" and "keep-alive" decide, others are ignored.
bool scan_connection(std::string_view value, RequestHead& head) {
  while (!value.empty()) {
    auto comma = value.find(',');
    auto option = trim(value.substr(0, comma));
    if (!option.empty() && !is_token(option)) return false;
    if (same_name(option, "close")) head.keep_alive = false;
    if (same_name(option, "keep-alive") && head.version == 10) head.keep_alive = true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return true;
}

// Sets `slot` once: a second line of the same field is declined.
bool set_once(std::string_view& slot, std::string_view value, bool& seen) {
  if (seen) return false;
  seen = true;
  slot = value;
  return true;
}

struct Seen {
  bool accept = false, if_none_match = false, user_agent = false, trace = false, parent = false,
       connection = false;
};

bool scan_field(std::string_view line, RequestHead& head, Seen& seen) {
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  auto name = line.substr(0, colon);
  auto value = trim(line.substr(colon + 1));
  if (!is_token(name) || !is_field_value(value)) return false;
  if (same_name(name, "content-length") || same_name(name, "transfer-encoding")) return false;
  if (same_name(name, "accept")) return set_once(head.accept, value, seen.accept);
  if (same_name(name, "if-none-match"))
    return set_once(head.if_none_match, value, seen.if_none_match);
  if (same_name(name, "user-agent")) return set_once(head.user_agent, value, seen.user_agent);
  if (same_name(name, "x-cloud-trace-context"))
    return set_once(head.cloud_trace_context, value, seen.trace);
  if (same_name(name, "traceparent")) return set_once(head.traceparent, value, seen.parent);
  if (same_name(name, "connection")) {
    if (seen.connection) return false;
    seen.connection = true;
    return scan_connection(value, head);
  }
  return true;
}

}  // namespace

HeadScan scan_request_head(std::string_view bytes, std::size_t limit, RequestHead& head) {
  std::string_view scanned = bytes.substr(0, limit);
  auto end = scanned.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    // A bare LF ends no line here: the full parser judges it.
    for (auto lf = scanned.find('\n'); lf != std::string_view::npos;
         lf = scanned.find('\n', lf + 1))
      if (lf == 0 || scanned[lf - 1] != '\r') return HeadScan::declined;
    return bytes.size() >= limit ? HeadScan::declined : HeadScan::partial;
  }
  head = RequestHead{};
  head.size = end + 4;
  std::string_view text = bytes.substr(0, end + 2);
  auto line_end = text.find("\r\n");
  if (!scan_request_line(text.substr(0, line_end), head)) return HeadScan::declined;
  text.remove_prefix(line_end + 2);
  Seen seen;
  while (!text.empty()) {
    line_end = text.find("\r\n");
    auto line = text.substr(0, line_end);
    if (line.find('\n') != std::string_view::npos || line.find('\r') != std::string_view::npos)
      return HeadScan::declined;
    if (!scan_field(line, head, seen)) return HeadScan::declined;
    text.remove_prefix(line_end + 2);
  }
  return HeadScan::complete;
}

std::size_t empty_lines_before_request(std::string_view bytes) {
  std::size_t at = 0;
  for (;;) {
    if (bytes.substr(at, 1) == "\n") {
      at += 1;
    } else if (bytes.substr(at, 2) == "\r\n") {
      at += 2;
    } else {
      return at;
    }
  }
}

}  // namespace ocipfs
