// Multihash: a self-describing digest (the hash function's code, the digest's length, the
// digest), as a CID holds it; the hash functions accepted here and the names of the others.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ocipfs/base/expected.hpp"

namespace ocipfs {

namespace multihash {

// The hash functions a CID may use here.
inline constexpr std::uint64_t identity = 0x00;
inline constexpr std::uint64_t sha2_256 = 0x12;

// The name of a hash function code from multiformats/multicodec table.csv, e.g. "sha1" for 0x11;
// "" for a code it does not list.
std::string_view name(std::uint64_t code);

// multicodec::describe(code, name(code)): "0x11 (sha1)".
std::string describe(std::uint64_t code);

}  // namespace multihash

struct Multihash {
  std::uint64_t code = multihash::sha2_256;  // multihash::sha2_256 or multihash::identity
  std::string digest;                        // 32 bytes for sha2-256, at most 128 for identity
};

// A multihash read in place: its digest views the bytes it was read from.
struct MultihashView {
  std::uint64_t code = multihash::sha2_256;
  std::string_view digest;
};

// read_multihash, allocating nothing unless it fails.
Expected<MultihashView> read_multihash_view(std::string_view& bytes);

// Reads a multihash from the front of `bytes` and advances past its digest. Only sha2-256 with a
// 32-byte digest and identity with at most 128 bytes are accepted; the error says what is wrong,
// e.g. "unsupported multihash 0x11 (sha1)" or "truncated digest (3 of 32 bytes)". On failure
// `bytes` is left as it was.
Expected<Multihash> read_multihash(std::string_view& bytes);

}  // namespace ocipfs
