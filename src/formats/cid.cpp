#include "ocipfs/formats/cid.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/formats/multibase.hpp"
#include "ocipfs/formats/varint.hpp"

namespace ocipfs {

namespace {

// Longest CID text parse_cid looks at. Real CIDs we accept are at most ~230 characters
// (identity digest of 128 bytes in base32).
constexpr std::size_t kMaxCidText = 512;
constexpr std::size_t kSha256Length = 32;

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool has_upper(std::string_view text) { return std::any_of(text.begin(), text.end(), is_upper); }
bool has_lower(std::string_view text) { return std::any_of(text.begin(), text.end(), is_lower); }

// A CID read in place: its digest views the bytes it was read from.
struct CidView {
  int version = 1;
  std::uint64_t codec = multicodec::raw;
  std::uint64_t hash = multihash::sha2_256;
  std::string_view digest;
};

Cid owned(const CidView& view) {
  return Cid{view.version, view.codec, view.hash, std::string(view.digest)};
}

// Reads a binary CIDv1 from the front of `bytes` and advances past its digest; what follows is
// left for the caller. `version0` says why a version 0 is refused where it was found.
Expected<CidView> read_binary_v1(std::string_view& bytes, std::string_view version0) {
  auto version = read_varint(bytes, "cid version");
  if (!version) return Unexpected{std::move(version).error()};
  if (*version == 0) return Unexpected{std::string(version0)};
  if (*version != 1) return Unexpected{"unsupported cid version " + std::to_string(*version)};

  auto codec = read_varint(bytes, "multicodec");
  if (!codec) return Unexpected{std::move(codec).error()};
  if (*codec != multicodec::raw && *codec != multicodec::dag_pb) {
    return Unexpected{"unsupported multicodec " + multicodec::describe(*codec)};
  }

  auto multihash = read_multihash_view(bytes);
  if (!multihash) return Unexpected{std::move(multihash).error()};
  return CidView{1, *codec, multihash->code, multihash->digest};
}

// Parses a binary CIDv1 (the bytes after the multibase prefix).
Expected<CidView> parse_binary_v1(std::string_view bytes) {
  if (bytes.empty())
    return Unexpected{std::string("cid has no content after the multibase prefix")};
  if (static_cast<unsigned char>(bytes[0]) == multihash::sha2_256) {
    return Unexpected{
        std::string("cidv0 must not be multibase-encoded; use its base58btc form or cidv1")};
  }
  auto cid = read_binary_v1(bytes, "cid version 0 must not be multibase-encoded");
  if (cid && !bytes.empty()) {
    return Unexpected{"trailing data after the cid (" + std::to_string(bytes.size()) + " bytes)"};
  }
  return cid;
}

// A binary CIDv0: the sha2-256 multihash 0x12 0x20 and its digest. Advances `bytes` past it.
Expected<CidView> read_binary_v0(std::string_view& bytes) {
  constexpr std::size_t size = 2 + kSha256Length;
  if (bytes.size() < 2 || static_cast<unsigned char>(bytes[1]) != kSha256Length) {
    return Unexpected{std::string("cidv0 is not a sha2-256 multihash")};
  }
  if (bytes.size() < size) {
    return Unexpected{"truncated cidv0 (" + std::to_string(bytes.size()) + " of " +
                      std::to_string(size) + " bytes)"};
  }
  CidView cid{0, multicodec::dag_pb, multihash::sha2_256, bytes.substr(2, kSha256Length)};
  bytes.remove_prefix(size);
  return cid;
}

// Room for the bytes of any CID text parse_cid looks at: no base decodes to more than its text.
using TextBytes = std::array<char, kMaxCidText>;

Expected<CidView> parse_v0(std::string_view text, TextBytes& scratch) {
  auto size = base58btc_decode_into(text, scratch);
  if (!size) return Unexpected{std::move(size).error()};
  std::string_view b(scratch.data(), *size);
  if (b.size() != 2 + kSha256Length || static_cast<unsigned char>(b[0]) != multihash::sha2_256) {
    return Unexpected{std::string("cidv0 is not a sha2-256 multihash")};
  }
  return read_binary_v0(b);
}

// The bytes of a CIDv1's text after its multibase prefix, into `scratch`. A CID in a lowercase
// base must be all lowercase, and one in base32upper all uppercase.
Expected<std::string_view> decode_v1_text(Multibase base, std::string_view body,
                                          TextBytes& scratch) {
  Expected<std::size_t> size = std::size_t{0};
  switch (base) {
    case Multibase::base32:
    case Multibase::base32upper:
      size = base32_decode_into(body, scratch);
      if (size && base == Multibase::base32 && has_upper(body))
        return Unexpected{std::string("base32 cid with prefix 'b' must be lowercase")};
      if (size && base == Multibase::base32upper && has_lower(body))
        return Unexpected{std::string("base32upper cid with prefix 'B' must be uppercase")};
      break;
    case Multibase::base36:
      size = base36_decode_into(body, scratch);
      if (size && has_upper(body))
        return Unexpected{std::string("base36 cid with prefix 'k' must be lowercase")};
      break;
    case Multibase::base58btc:
      size = base58btc_decode_into(body, scratch);
      break;
  }
  if (!size) return Unexpected{std::move(size).error()};
  return std::string_view(scratch.data(), *size);
}

// The CID in `text`, read into `scratch`, which its digest views.
Expected<CidView> read_cid_text(std::string_view text, TextBytes& scratch) {
  if (text.empty()) return Unexpected{std::string("empty cid")};
  if (text.size() > kMaxCidText) {
    return Unexpected{"cid too long (" + std::to_string(text.size()) + " characters, at most " +
                      std::to_string(kMaxCidText) + ")"};
  }
  if (text.starts_with("Qm")) {
    if (text.size() != 46) {
      return Unexpected{"cidv0 must be 46 characters, not " + std::to_string(text.size())};
    }
    return parse_v0(text, scratch);
  }
  auto base = multibase_of(text);
  if (!base) return Unexpected{std::move(base).error()};
  auto bytes = decode_v1_text(*base, text.substr(1), scratch);
  if (!bytes) return Unexpected{std::move(bytes).error()};
  return parse_binary_v1(*bytes);
}

}  // namespace

// Writes binary CIDv1s into CidV1Bytes.
class CidV1Writer {
 public:
  static CidV1Bytes write(std::uint64_t codec, std::uint64_t hash, std::string_view digest) {
    CidV1Writer writer;
    writer.put_varint(1);
    writer.put_varint(codec);
    writer.put_varint(hash);
    writer.put_varint(digest.size());
    writer.put(digest);
    return writer.out_;
  }

 private:
  void put(std::string_view bytes) {
    if (bytes.size() > out_.bytes_.size() - out_.size_)
      throw std::length_error("cid longer than " + std::to_string(max_cid_v1_size) + " bytes");
    std::copy(bytes.begin(), bytes.end(), out_.bytes_.data() + out_.size_);
    out_.size_ += bytes.size();
  }
  void put_varint(std::uint64_t value) { put(varint_bytes(value).view()); }
  CidV1Bytes out_;
};

CidV1Bytes Cid::v1() const { return CidV1Writer::write(codec, hash, digest); }

std::string Cid::v1_bytes() const { return std::string(v1().view()); }

std::string Cid::to_string() const {
  std::string out;
  append_text(out);
  return out;
}

void Cid::append_text(std::string& out) const {
  out += 'b';
  out.reserve(out.size() + ((digest.size() + 40) * 8 + 4) / 5);
  Base32LowerWriter writer(out);
  const CidV1Bytes bytes = v1();
  for (char c : bytes.view()) writer.put(static_cast<unsigned char>(c));
  writer.finish();
}

Expected<CidV1Bytes> decode_cid_text(std::string_view text) {
  TextBytes scratch;
  auto cid = read_cid_text(text, scratch);
  if (!cid) return Unexpected{std::move(cid).error()};
  return CidV1Writer::write(cid->codec, cid->hash, cid->digest);
}

Expected<Cid> parse_cid(std::string_view text) {
  TextBytes scratch;
  auto cid = read_cid_text(text, scratch);
  if (!cid) return Unexpected{std::move(cid).error()};
  return owned(*cid);
}

// On failure `bytes` is left as it was.
Expected<Cid> read_cid_bytes(std::string_view& bytes) {
  if (bytes.empty()) return Unexpected{std::string("empty binary cid")};
  std::string_view rest = bytes;
  auto cid = static_cast<unsigned char>(rest[0]) == multihash::sha2_256
                 ? read_binary_v0(rest)
                 : read_binary_v1(rest,
                                  "unsupported cid version 0 (a binary cidv0 starts with "
                                  "0x12 0x20, the sha2-256 multihash)");
  if (!cid) return Unexpected{std::move(cid).error()};
  bytes = rest;
  return owned(*cid);
}

Expected<Cid> parse_binary_cid(std::string_view bytes) {
  auto cid = read_cid_bytes(bytes);
  if (cid && !bytes.empty()) return Unexpected{std::string("bytes after its CID")};
  return cid;
}

bool cid_names_block(const Cid& cid, std::string_view block) {
  if (cid.hash == multihash::identity) return cid.digest == block;
  if (cid.hash != multihash::sha2_256) return false;
  const Sha256 hash = sha256(block);
  return cid.digest == std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size());
}

bool same_block(const Cid& a, const Cid& b) {
  return a.codec == b.codec && a.hash == b.hash && a.digest == b.digest;
}

bool is_lowercase_multibase(std::string_view text) {
  return !text.empty() && (text[0] == 'b' || text[0] == 'k') && !has_upper(text);
}

bool is_lowercase_cid(std::string_view text) {
  return is_lowercase_multibase(text) && decode_cid_text(text);
}

}  // namespace ocipfs
