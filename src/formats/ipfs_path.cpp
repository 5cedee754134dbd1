#include "ocipfs/formats/ipfs_path.hpp"

#include <optional>

#include "ocipfs/base/text.hpp"

namespace ocipfs {

namespace {

constexpr std::size_t max_path_length = 4096;
constexpr std::size_t max_segment_length = 255;

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex_digit_value(text[i + 1]);
    const int low = hex_digit_value(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

}  // namespace

std::optional<std::string> path_segment_problem(std::string_view segment) {
  if (segment.empty()) return "an empty path segment";
  if (segment == "." || segment == "..") return "a \"" + std::string(segment) + "\" path segment";
  if (segment.size() > max_segment_length) return "a path segment longer than 255 bytes";
  for (unsigned char c : segment) {
    if (c < 0x20 || c == 0x7f) return "a control character";
    if (c == '\\') return "a backslash";
    if (c == '?') return "a query string";
    if (c == '#') return "a fragment";
  }
  return std::nullopt;
}

std::string_view IpfsPath::file_name() const {
  return segments.empty() ? std::string_view() : std::string_view(segments.back());
}

std::string IpfsPath::encoded() const {
  std::string out = root;
  append_encoded_segments(out);
  return out;
}

void IpfsPath::append_encoded_segments(std::string& out) const {
  for (const auto& segment : segments) {
    out += '/';
    append_percent_encoded(out, segment);
  }
}

std::string percent_encode(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  append_percent_encoded(out, segment);
  return out;
}

void append_percent_encoded(std::string& out, std::string_view segment) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (unsigned char c : segment) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
}

Expected<IpfsPath> parse_ipfs_path(std::string_view text) {
  if (text.empty()) return Unexpected{std::string("the IPFS path is empty")};
  if (text.size() > max_path_length)
    return Unexpected{std::string("the IPFS path is longer than 4096 bytes")};
  if (text.front() == '/')
    return Unexpected{"the IPFS path " + in_quotes(text, 64) +
                      " is absolute; it must start with a CID"};
  if (text.find("://") != std::string_view::npos)
    return Unexpected{"the IPFS path " + in_quotes(text, 64) +
                      " is a URL; it must start with a CID"};

  auto slash = text.find('/');
  std::string_view root = text.substr(0, slash);
  auto cid = parse_cid(root);
  if (!cid)
    return Unexpected{"the IPFS path " + in_quotes(text, 64) +
                      " does not start with a CID: " + cid.error()};

  IpfsPath path{std::string(root), std::move(*cid), {}};
  while (slash != std::string_view::npos) {
    text.remove_prefix(slash + 1);
    slash = text.find('/');
    std::string_view segment = text.substr(0, slash);
    if (auto problem = path_segment_problem(segment))
      return Unexpected{"the IPFS path has " + *problem};
    path.segments.emplace_back(segment);
  }
  return path;
}

Expected<IpfsPath> parse_encoded_ipfs_path(std::string_view text) {
  auto path = parse_ipfs_path(text);
  if (!path) return path;
  for (auto& segment : path->segments) {
    auto decoded = percent_decode(segment);
    if (!decoded) return Unexpected{"the IPFS path has a malformed percent-encoding"};
    if (decoded->find('/') != std::string::npos)
      return Unexpected{"the IPFS path has a '/' inside a segment"};
    if (auto problem = path_segment_problem(*decoded))
      return Unexpected{"the IPFS path has " + *problem};
    segment = std::move(*decoded);
  }
  return path;
}

}  // namespace ocipfs
