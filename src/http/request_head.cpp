#include "ocipfs/http/request_head.hpp"

#include <array>
#include <cstdint>
#include <cstring>

#include "ocipfs/http/field_text.hpp"

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

constexpr std::uint64_t every_byte = 0x0101010101010101;
constexpr std::uint64_t high_bits = 0x8080808080808080;

// Whether one of the 8 bytes of `word` is below `n` (at most 0x80).
constexpr bool has_below(std::uint64_t word, std::uint64_t n) {
  return ((word - every_byte * n) & ~word & high_bits) != 0;
}
// Whether one of the 8 bytes of `word` is above `n` (below 0x80).
constexpr bool has_above(std::uint64_t word, std::uint64_t n) {
  return (((word + every_byte * (127 - n)) | word) & high_bits) != 0;
}

// Whether every byte of `text` is `byte_ok`: 8 at a time while `word_ok` vouches for all 8 (a
// request head is a few hundred bytes, and checking them is most of reading it).
template <typename WordOk, typename ByteOk>
bool all_bytes(std::string_view text, WordOk word_ok, ByteOk byte_ok) {
  std::size_t at = 0;
  for (std::uint64_t word; at + sizeof word <= text.size(); at += sizeof word) {
    std::memcpy(&word, text.data() + at, sizeof word);
    if (!word_ok(word)) break;
  }
  for (; at < text.size(); ++at)
    if (!byte_ok(static_cast<unsigned char>(text[at]))) return false;
  return true;
}

// Visible ASCII, starting with "/".
bool is_target(std::string_view text) {
  if (text.empty() || text.front() != '/') return false;
  return all_bytes(
      text, [](std::uint64_t word) { return !has_below(word, 0x21) && !has_above(word, 0x7e); },
      [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

// Field values: visible ASCII, obs-text, spaces and tabs.
bool is_field_value(std::string_view text) {
  return all_bytes(
      text,
      [](std::uint64_t word) {
        return !has_below(word, 0x20) && !has_below(word ^ (every_byte * 0x7f), 1);
      },
      [](unsigned char c) { return (c >= 0x20 || c == '\t') && c != 0x7f; });
}

// Calls `each` with every member of a comma-separated list (RFC 9110 5.6.1), trimmed, empty ones
// skipped; false as soon as `each` is.
template <typename Each>
bool each_member(std::string_view list, Each each) {
  for (;;) {
    auto comma = list.find(',');
    auto member = trim_ows(list.substr(0, comma));
    if (!member.empty() && !each(member)) return false;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

// The characters of RFC 3986's host (reg-name, IPv4 or an IP literal) and ":" port.
constexpr std::array<bool, 256> host_chars = [] {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (char c : std::string_view("-._~!$&'()*+,;=%:[]"))
    table[static_cast<unsigned char>(c)] = true;
  return table;
}();

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
  return is_target(head.target);
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
       host = false;
  std::string_view host_value;
  ConnectionOptions connection;
};

bool scan_field(std::string_view line, RequestHead& head, Seen& seen) {
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  auto name = line.substr(0, colon);
  auto value = trim_ows(line.substr(colon + 1));
  if (!is_token(name) || !is_field_value(value)) return false;
  // A body, or a request for part of one: rare, for the full parser.
  if (equals_lowercase(name, "content-length") || equals_lowercase(name, "transfer-encoding") ||
      equals_lowercase(name, "range") || equals_lowercase(name, "if-range"))
    return false;
  if (equals_lowercase(name, "accept")) return set_once(head.accept, value, seen.accept);
  if (equals_lowercase(name, "if-none-match"))
    return set_once(head.if_none_match, value, seen.if_none_match);
  if (equals_lowercase(name, "user-agent"))
    return set_once(head.user_agent, value, seen.user_agent);
  if (equals_lowercase(name, "x-cloud-trace-context"))
    return set_once(head.cloud_trace_context, value, seen.trace);
  if (equals_lowercase(name, "traceparent")) return set_once(head.traceparent, value, seen.parent);
  if (equals_lowercase(name, "host")) return set_once(seen.host_value, value, seen.host);
  if (equals_lowercase(name, "connection")) return add_connection_options(value, seen.connection);
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
  for (std::size_t fields = 1; !text.empty(); ++fields) {
    line_end = text.find("\r\n");
    // A CR or LF within the line is declined with the bytes the field's grammar refuses.
    if (fields > max_request_fields || !scan_field(text.substr(0, line_end), head, seen))
      return HeadScan::declined;
    text.remove_prefix(line_end + 2);
  }
  if (!host_is_valid(head.version, seen.host ? 1 : 0, seen.host_value)) return HeadScan::declined;
  head.host = seen.host_value;
  head.keep_alive = connection_persists(head.version, seen.connection);
  return HeadScan::complete;
}

bool add_connection_options(std::string_view line, ConnectionOptions& options) {
  return each_member(line, [&](std::string_view option) {
    if (!is_token(option)) return false;
    if (equals_lowercase(option, "close")) options.close = true;
    if (equals_lowercase(option, "keep-alive")) options.keep_alive = true;
    return true;
  });
}

bool connection_persists(unsigned version, ConnectionOptions options) {
  return !options.close && (version == 11 || options.keep_alive);
}

bool host_is_valid(unsigned version, std::size_t lines, std::string_view first_value) {
  if (lines == 0) return version == 10;
  if (lines > 1) return false;
  for (char c : first_value)
    if (!host_chars[static_cast<unsigned char>(c)]) return false;
  return true;
}

bool chunked_is_final(std::string_view codings) {
  std::size_t chunked = 0;
  std::string_view last;
  each_member(codings, [&](std::string_view coding) {
    if (equals_lowercase(coding, "chunked")) ++chunked;
    last = coding;
    return true;
  });
  return chunked == 1 && equals_lowercase(last, "chunked");
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

bool starts_like_tls_handshake(std::string_view bytes) {
  return !bytes.empty() && bytes[0] == '\x16' && (bytes.size() < 2 || bytes[1] == '\x03');
}

}  // namespace ocipfs
