// HTTP byte ranges (RFC 9110 14): which bytes of a blob a Range header asks for, decided without
// I/O, and the framing of the 206 answer (Content-Range, multipart/byteranges).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ocipfs {

// Bytes `first` to `last` of a representation, both included (first <= last).
struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;

  std::uint64_t size() const { return last - first + 1; }
  bool operator==(const ByteRange&) const = default;
};

// Bounds against hostile clients: a Range header longer than this many bytes, or with more range
// specs than this, is ignored (the whole representation is sent, as RFC 9110 14.2 allows).
inline constexpr std::size_t max_range_header_length = 4096;
inline constexpr std::size_t max_range_specs = 100;

// What to answer a GET with a Range header.
struct RangeAnswer {
  enum class Kind {
    whole,          // 200: the Range is absent, ignored, or its If-Range did not match
    partial,        // 206: `ranges`, one part or multipart/byteranges
    unsatisfiable,  // 416, with unsatisfied_content_range
  };
  Kind kind = Kind::whole;
  // For partial: at least one range, each within the representation. They are in the order the
  // client asked them, unless any two overlap or touch: then all are sorted and merged (RFC 9110
  // 14.3 and 15.3.7.2 let a server coalesce), so the bytes sent are never more than `size`.
  std::vector<ByteRange> ranges;
};

// Decides a Range header (`range_header`, its field value) against a representation of `size`
// bytes whose ETag is `"<etag_digest>"` (the digest without quotes). For GET only: RFC 9110 14.2
// defines ranges for no other method (the caller ignores Range on HEAD).
// - whole: an empty header; a unit other than "bytes" (any case); any syntax error in the set
//   (a number with a sign or beyond 2^64-1, "a-b" with b < a, whitespace inside a spec, no spec
//   at all; OWS around commas and empty list elements are allowed); more than max_range_specs
//   specs or more than max_range_header_length bytes; a non-empty `if_range` that is not the
//   strong tag `"<etag_digest>"` (a weak tag, a date, another tag: RFC 9110 13.1.5).
// - unsatisfiable: no spec is satisfiable: "a-" and "a-b" need a < size, "-n" needs n > 0 and
//   size > 0.
// - partial: the satisfiable specs, each clamped to the representation ("-n" with n >= size is
//   all of it); the unsatisfiable ones are dropped.
RangeAnswer decide_range(std::string_view range_header, std::string_view if_range,
                         std::string_view etag_digest, std::uint64_t size);

// A 206 part's Content-Range: "bytes 0-99/1000". `range` is within `size` bytes.
std::string content_range(const ByteRange& range, std::uint64_t size);
// A 416's Content-Range: "bytes */1000".
std::string unsatisfied_content_range(std::uint64_t size);

// The framing of a multipart/byteranges body (RFC 9110 14.6): the body is, for each range i,
// part_heads[i] then the range's bytes; then `closing`.
struct MultipartPlan {
  // "\r\n--BOUNDARY\r\nContent-Type: T\r\nContent-Range: bytes a-b/size\r\n\r\n", the same shape
  // for every part (the first one's CRLF is an empty preamble's end, as nginx and Apache send).
  std::vector<std::string> part_heads;
  std::string closing;               // "\r\n--BOUNDARY--\r\n"
  std::uint64_t content_length = 0;  // of the whole body: heads, ranges and closing
  std::string content_type;  // "multipart/byteranges; boundary=BOUNDARY" (quoted if need be)
};

// True for a boundary this module frames: 1 to 70 characters of [0-9A-Za-z'()+_,-./:=?] (RFC
// 2046 5.1.1's bcharsnospace).
bool is_multipart_boundary(std::string_view boundary);

// Plans the body that sends `ranges` of a representation of `size` bytes, each part of
// Content-Type `part_type`. `ranges` are within `size` and do not overlap (as decide_range gives
// them). `boundary` satisfies is_multipart_boundary and must not occur in the content: the caller
// makes a random one (e.g. 32 hex digits).
MultipartPlan plan_multipart(std::span<const ByteRange> ranges, std::uint64_t size,
                             std::string_view part_type, std::string_view boundary);

}  // namespace ocipfs
