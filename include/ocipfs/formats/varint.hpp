// Varints: the unsigned LEB128 that multiformats (CIDs, multihashes, CAR sections) and protobuf
// (dag-pb) write numbers in.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ocipfs/base/expected.hpp"

namespace ocipfs {

// Unsigned LEB128 as multiformats uses it (at most 9 bytes, minimal encoding). Values of 2^63
// and above need 10 bytes, which varint_decode refuses; CIDs never use them.
std::string varint_encode(std::uint64_t value);

// The same bytes, held in place: made without allocating.
struct VarintBytes {
  std::array<char, 10> bytes{};
  std::size_t size = 0;
  std::string_view view() const { return {bytes.data(), size}; }
};
VarintBytes varint_bytes(std::uint64_t value);

// Reads a varint from the front of `bytes` and advances it. Fails on truncation, overlong or
// non-minimal encodings; on failure `bytes` is left as it was.
Expected<std::uint64_t> varint_decode(std::string_view& bytes);

// varint_decode, its error said as "invalid WHAT: ...", e.g. "invalid multicodec: truncated
// varint".
Expected<std::uint64_t> read_varint(std::string_view& bytes, std::string_view what);

}  // namespace ocipfs
