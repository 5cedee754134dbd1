// Content identifiers: a CID names content by its codec and multihash; read from text (CIDv0, or
// CIDv1 in a multibase) or from bytes, and written as CIDv1 base32.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/formats/multicodec.hpp"
#include "ocipfs/formats/multihash.hpp"

namespace ocipfs {

// The longest binary CIDv1 accepted: version, codec and hash (a byte each), the digest's length
// (two bytes) and an identity digest of 128 bytes.
inline constexpr std::size_t max_cid_v1_size = 133;

// A binary CIDv1 (Cid::v1_bytes()) held in place, made without allocating.
class CidV1Bytes {
 public:
  std::string_view view() const { return {bytes_.data(), size_}; }

 private:
  friend class CidV1Writer;
  std::array<char, max_cid_v1_size> bytes_{};
  std::size_t size_ = 0;
};

// A parsed CID. Only the codecs raw and dag-pb and the hashes sha2-256 and identity are accepted.
struct Cid {
  int version = 1;                           // 0 or 1
  std::uint64_t codec = multicodec::raw;     // multicodec::raw or multicodec::dag_pb
  std::uint64_t hash = multihash::sha2_256;  // multihash::sha2_256 or multihash::identity
  std::string digest;                        // the multihash digest bytes (32 for sha2-256)

  // The binary CIDv1: varint(1) varint(codec) varint(hash) varint(len) digest.
  std::string v1_bytes() const;
  // The same, in place.
  CidV1Bytes v1() const;
  // The canonical text form: CIDv1, multibase base32 lower ("b..."), whatever form was parsed.
  std::string to_string() const;
  // Appends to_string() to `out`; allocates nothing when `out` has room.
  void append_text(std::string& out) const;

  friend bool operator==(const Cid&, const Cid&) = default;
};

// Parses a CID in text form: CIDv0 ("Qm...", base58btc, 46 characters) or CIDv1 in multibase
// base32 lower ("b"), base32 upper ("B"), base36 lower ("k") or base58btc ("z").
// The error message says what is wrong, e.g. "unsupported multicodec 0x71 (dag-cbor)".
Expected<Cid> parse_cid(std::string_view text);

// What parse_cid decides, without allocating unless the text is refused: the binary CIDv1 of CID
// text in any form parse_cid accepts (a CIDv0 as its CIDv1), or parse_cid's error.
Expected<CidV1Bytes> decode_cid_text(std::string_view text);

// Reads a binary CID from the front of `bytes` and advances past it: a CIDv0 (the sha2-256
// multihash 0x12 0x20 and 32 bytes) or a CIDv1 (version, codec, multihash), with the same codecs
// and hashes parse_cid accepts.
Expected<Cid> read_cid_bytes(std::string_view& bytes);

// A binary CID that is all of `bytes` (a dag-pb link's Hash): read_cid_bytes, and nothing after.
Expected<Cid> parse_binary_cid(std::string_view bytes);

// True when `block` is the content `cid` names: its sha2-256 is the digest, or (identity) the
// digest is the block itself.
bool cid_names_block(const Cid& cid, std::string_view block);

// True when `a` and `b` name the same block: codec, hash and digest equal, whatever the version
// (a CIDv0 is the same as its CIDv1 twin).
bool same_block(const Cid& a, const Cid& b);

// True for text written in a lowercase multibase ("b" base32 or "k" base36) and without an
// uppercase letter, as OCI repository names require; whether it is a CID is not checked.
bool is_lowercase_multibase(std::string_view text);

// True for text that `parse_cid` accepts and that is_lowercase_multibase. Allocates nothing.
bool is_lowercase_cid(std::string_view text);

}  // namespace ocipfs
