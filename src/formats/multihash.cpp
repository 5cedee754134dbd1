#include "ocipfs/formats/multihash.hpp"

#include <cstddef>

#include "ocipfs/formats/multicodec.hpp"
#include "ocipfs/formats/varint.hpp"

namespace ocipfs {

namespace {

constexpr std::size_t kSha256Length = 32;
constexpr std::size_t kMaxIdentityDigest = 128;

// Why a digest of `length` bytes does not fit the hash function `code`, or "".
std::string length_problem(std::uint64_t code, std::uint64_t length) {
  if (code == multihash::sha2_256 && length != kSha256Length)
    return "sha2-256 digest length must be 32, not " + std::to_string(length);
  if (code == multihash::identity && length > kMaxIdentityDigest)
    return "identity digest too long (" + std::to_string(length) + " bytes, at most 128)";
  return {};
}

}  // namespace

namespace multihash {

std::string_view name(std::uint64_t code) {
  switch (code) {
    case 0x00:
      return "identity";
    case 0x11:
      return "sha1";
    case 0x12:
      return "sha2-256";
    case 0x13:
      return "sha2-512";
    case 0x14:
      return "sha3-512";
    case 0x15:
      return "sha3-384";
    case 0x16:
      return "sha3-256";
    case 0x17:
      return "sha3-224";
    case 0x1a:
      return "keccak-224";
    case 0x1b:
      return "keccak-256";
    case 0x1c:
      return "keccak-384";
    case 0x1d:
      return "keccak-512";
    case 0x1e:
      return "blake3";
    case 0x20:
      return "sha2-384";
    case 0x22:
      return "murmur3-x64-64";
    case 0x56:
      return "dbl-sha2-256";
    case 0xd4:
      return "md4";
    case 0xd5:
      return "md5";
    case 0x1012:
      return "sha2-256-trunc254-padded";
    case 0x1013:
      return "sha2-224";
    case 0x1014:
      return "sha2-512-224";
    case 0x1015:
      return "sha2-512-256";
    case 0x1053:
      return "ripemd-160";
    case 0xb220:
      return "blake2b-256";
    case 0xb240:
      return "blake2b-512";
    case 0xb260:
      return "blake2s-256";
    case 0xb401:
      return "poseidon-bls12_381-a2-fc1";
    default:
      return {};
  }
}

std::string describe(std::uint64_t code) { return multicodec::describe(code, name(code)); }

}  // namespace multihash

Expected<MultihashView> read_multihash_view(std::string_view& bytes) {
  std::string_view rest = bytes;
  auto code = read_varint(rest, "multihash code");
  if (!code) return Unexpected{std::move(code).error()};
  if (*code != multihash::sha2_256 && *code != multihash::identity)
    return Unexpected{"unsupported multihash " + multihash::describe(*code)};

  auto length = read_varint(rest, "multihash length");
  if (!length) return Unexpected{std::move(length).error()};
  if (auto problem = length_problem(*code, *length); !problem.empty())
    return Unexpected{std::move(problem)};
  if (rest.size() < *length) {
    return Unexpected{"truncated digest (" + std::to_string(rest.size()) + " of " +
                      std::to_string(*length) + " bytes)"};
  }
  MultihashView out{*code, rest.substr(0, *length)};
  rest.remove_prefix(*length);
  bytes = rest;
  return out;
}

Expected<Multihash> read_multihash(std::string_view& bytes) {
  auto view = read_multihash_view(bytes);
  if (!view) return Unexpected{std::move(view).error()};
  return Multihash{view->code, std::string(view->digest)};
}

}  // namespace ocipfs
