#include "ocipfs/http/byte_ranges.hpp"

#include <algorithm>
#include <cassert>
#include <limits>
#include <optional>

#include "ocipfs/base/text.hpp"
#include "ocipfs/http/field_text.hpp"

namespace ocipfs {

namespace {

constexpr std::uint64_t no_last = std::numeric_limits<std::uint64_t>::max();

// A range-spec as written, before the representation's size is known.
struct RangeSpec {
  bool is_suffix = false;           // "-n"
  std::uint64_t first = 0;          // "a-b" and "a-": a
  std::uint64_t last = no_last;     // "a-b": b; "a-": no_last
  std::uint64_t suffix_length = 0;  // "-n": n
};

// "a-b", "a-" or "-n" (RFC 9110 14.1.2); nullopt for a syntax error, "a-b" with b < a included.
std::optional<RangeSpec> parse_spec(std::string_view spec) {
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  RangeSpec parsed;
  if (dash == 0) {
    auto length = decimal_number(spec.substr(1));
    if (!length) return std::nullopt;
    parsed.is_suffix = true;
    parsed.suffix_length = *length;
    return parsed;
  }
  auto first = decimal_number(spec.substr(0, dash));
  if (!first) return std::nullopt;
  parsed.first = *first;
  if (dash + 1 == spec.size()) return parsed;
  auto last = decimal_number(spec.substr(dash + 1));
  if (!last || *last < *first) return std::nullopt;
  parsed.last = *last;
  return parsed;
}

// The bytes a spec selects of `size`, clamped; nullopt when it is unsatisfiable.
std::optional<ByteRange> selected_bytes(const RangeSpec& spec, std::uint64_t size) {
  if (size == 0) return std::nullopt;
  if (spec.is_suffix) {
    if (spec.suffix_length == 0) return std::nullopt;
    return ByteRange{size - std::min(spec.suffix_length, size), size - 1};
  }
  if (spec.first >= size) return std::nullopt;
  return ByteRange{spec.first, std::min(spec.last, size - 1)};
}

// The range-set of a "bytes=" header: what follows "=", or nullopt for another unit.
std::optional<std::string_view> bytes_range_set(std::string_view header) {
  auto equals = header.find('=');
  if (equals == std::string_view::npos || !equals_lowercase(header.substr(0, equals), "bytes"))
    return std::nullopt;
  return header.substr(equals + 1);
}

// The specs of a range-set (a comma list: OWS around elements, empty elements skipped); nullopt
// for a syntax error, no spec, or more than max_range_specs.
std::optional<std::vector<RangeSpec>> parse_range_set(std::string_view set) {
  std::vector<RangeSpec> specs;
  while (true) {
    auto comma = set.find(',');
    auto element = trim_ows(set.substr(0, comma));
    if (!element.empty()) {
      if (specs.size() == max_range_specs) return std::nullopt;
      auto spec = parse_spec(element);
      if (!spec) return std::nullopt;
      specs.push_back(*spec);
    }
    if (comma == std::string_view::npos) break;
    set.remove_prefix(comma + 1);
  }
  if (specs.empty()) return std::nullopt;
  return specs;
}

// True when If-Range lets the range apply: it is absent, or the strong tag "<etag_digest>".
bool if_range_allows(std::string_view if_range, std::string_view etag_digest) {
  if_range = trim_ows(if_range);
  if (if_range.empty()) return true;
  return !etag_digest.empty() && if_range.size() == etag_digest.size() + 2 &&
         if_range.front() == '"' && if_range.back() == '"' &&
         if_range.substr(1, etag_digest.size()) == etag_digest;
}

// `ranges` as they are when no two overlap or touch; else sorted and merged.
std::vector<ByteRange> coalesced(std::vector<ByteRange> ranges) {
  std::vector<ByteRange> sorted = ranges;
  std::sort(sorted.begin(), sorted.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.first < b.first; });
  std::vector<ByteRange> merged;
  for (const ByteRange& range : sorted) {
    // last < size <= 2^64-1, so last + 1 does not wrap.
    if (!merged.empty() && range.first <= merged.back().last + 1)
      merged.back().last = std::max(merged.back().last, range.last);
    else
      merged.push_back(range);
  }
  return merged.size() == ranges.size() ? ranges : merged;
}

bool is_ascii_alphanumeric(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// RFC 9110 5.6.2's tchar: a boundary made only of these needs no quotes in Content-Type.
bool is_token(std::string_view text) {
  constexpr std::string_view punctuation = "!#$%&'*+-.^_`|~";
  return std::all_of(text.begin(), text.end(), [&](char c) {
    return is_ascii_alphanumeric(c) || punctuation.find(c) != std::string_view::npos;
  });
}

}  // namespace

RangeAnswer decide_range(std::string_view range_header, std::string_view if_range,
                         std::string_view etag_digest, std::uint64_t size) {
  using Kind = RangeAnswer::Kind;
  if (range_header.size() > max_range_header_length) return {Kind::whole, {}};
  range_header = trim_ows(range_header);
  if (range_header.empty() || !if_range_allows(if_range, etag_digest)) return {Kind::whole, {}};
  auto set = bytes_range_set(range_header);
  if (!set) return {Kind::whole, {}};
  auto specs = parse_range_set(*set);
  if (!specs) return {Kind::whole, {}};
  std::vector<ByteRange> ranges;
  for (const RangeSpec& spec : *specs)
    if (auto bytes = selected_bytes(spec, size)) ranges.push_back(*bytes);
  if (ranges.empty()) return {Kind::unsatisfiable, {}};
  return {Kind::partial, coalesced(std::move(ranges))};
}

std::string content_range(const ByteRange& range, std::uint64_t size) {
  return "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/" +
         std::to_string(size);
}

std::string unsatisfied_content_range(std::uint64_t size) {
  return "bytes */" + std::to_string(size);
}

bool is_multipart_boundary(std::string_view boundary) {
  constexpr std::string_view punctuation = "'()+_,-./:=?";
  return !boundary.empty() && boundary.size() <= 70 &&
         std::all_of(boundary.begin(), boundary.end(), [&](char c) {
           return is_ascii_alphanumeric(c) || punctuation.find(c) != std::string_view::npos;
         });
}

MultipartPlan plan_multipart(std::span<const ByteRange> ranges, std::uint64_t size,
                             std::string_view part_type, std::string_view boundary) {
  assert(is_multipart_boundary(boundary));
  const std::string delimiter = "\r\n--" + std::string(boundary);
  MultipartPlan plan;
  plan.part_heads.reserve(ranges.size());
  for (const ByteRange& range : ranges) {
    plan.part_heads.push_back(delimiter + "\r\nContent-Type: " + std::string(part_type) +
                              "\r\nContent-Range: " + content_range(range, size) + "\r\n\r\n");
    plan.content_length += plan.part_heads.back().size() + range.size();
  }
  plan.closing = delimiter + "--\r\n";
  plan.content_length += plan.closing.size();
  plan.content_type =
      "multipart/byteranges; boundary=" +
      (is_token(boundary) ? std::string(boundary) : "\"" + std::string(boundary) + "\"");
  return plan;
}

}  // namespace ocipfs
