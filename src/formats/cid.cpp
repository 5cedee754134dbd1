#include "ocipfs/formats/cid.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

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

// Reads a binary CIDv1 from the front of `bytes` and advances past its digest; what follows is
// left for the caller. `version0` says why a version 0 is refused where it was found.
Expected<Cid> read_binary_v1(std::string_view& bytes, std::string_view version0) {
  auto version = read_varint(bytes, "cid version");
  if (!version) return Unexpected{std::move(version).error()};
  if (*version == 0) return Unexpected{std::string(version0)};
  if (*version != 1) return Unexpected{"unsupported cid version " + std::to_string(*version)};

  auto codec = read_varint(bytes, "multicodec");
  if (!codec) return Unexpected{std::move(codec).error()};
  if (*codec != multicodec::raw && *codec != multicodec::dag_pb) {
    return Unexpected{"unsupported multicodec " + multicodec::describe(*codec)};
  }

  auto multihash = read_multihash(bytes);
  if (!multihash) return Unexpected{std::move(multihash).error()};
  Cid cid;
  cid.version = 1;
  cid.codec = *codec;
  cid.hash = multihash->code;
  cid.digest = std::move(multihash->digest);
  return cid;
}

// Parses a binary CIDv1 (the bytes after the multibase prefix).
Expected<Cid> parse_binary_v1(std::string_view bytes) {
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
Expected<Cid> read_binary_v0(std::string_view& bytes) {
  constexpr std::size_t size = 2 + kSha256Length;
  if (bytes.size() < 2 || static_cast<unsigned char>(bytes[1]) != kSha256Length) {
    return Unexpected{std::string("cidv0 is not a sha2-256 multihash")};
  }
  if (bytes.size() < size) {
    return Unexpected{"truncated cidv0 (" + std::to_string(bytes.size()) + " of " +
                      std::to_string(size) + " bytes)"};
  }
  Cid cid;
  cid.version = 0;
  cid.codec = multicodec::dag_pb;
  cid.hash = multihash::sha2_256;
  cid.digest = std::string(bytes.substr(2, kSha256Length));
  bytes.remove_prefix(size);
  return cid;
}

Expected<Cid> parse_v0(std::string_view text) {
  auto bytes = base58btc_decode(text);
  if (!bytes) return Unexpected{std::move(bytes).error()};
  std::string_view b = *bytes;
  if (b.size() != 2 + kSha256Length || static_cast<unsigned char>(b[0]) != multihash::sha2_256) {
    return Unexpected{std::string("cidv0 is not a sha2-256 multihash")};
  }
  return read_binary_v0(b);
}

// The bytes of a CIDv1's text after its multibase prefix. A CID in a lowercase base must be all
// lowercase, and one in base32upper all uppercase.
Expected<std::string> decode_v1_text(Multibase base, std::string_view body) {
  Expected<std::string> bytes{std::string()};
  switch (base) {
    case Multibase::base32:
    case Multibase::base32upper:
      bytes = base32_decode(body);
      if (bytes && base == Multibase::base32 && has_upper(body))
        return Unexpected{std::string("base32 cid with prefix 'b' must be lowercase")};
      if (bytes && base == Multibase::base32upper && has_lower(body))
        return Unexpected{std::string("base32upper cid with prefix 'B' must be uppercase")};
      return bytes;
    case Multibase::base36:
      bytes = base36_decode(body);
      if (bytes && has_upper(body))
        return Unexpected{std::string("base36 cid with prefix 'k' must be lowercase")};
      return bytes;
    case Multibase::base58btc:
      return base58btc_decode(body);
  }
  return bytes;
}

}  // namespace

std::string Cid::v1_bytes() const {
  std::string out = varint_encode(1);
  out += varint_encode(codec);
  out += varint_encode(hash);
  out += varint_encode(digest.size());
  out += digest;
  return out;
}

std::string Cid::to_string() const {
  std::string out;
  append_text(out);
  return out;
}

void Cid::append_text(std::string& out) const {
  out += 'b';
  out.reserve(out.size() + ((digest.size() + 40) * 8 + 4) / 5);
  Base32LowerWriter writer(out);
  auto put_varint = [&](std::uint64_t value) {
    for (; value >= 0x80; value >>= 7)
      writer.put(static_cast<unsigned char>((value & 0x7f) | 0x80));
    writer.put(static_cast<unsigned char>(value));
  };
  put_varint(1);
  put_varint(codec);
  put_varint(hash);
  put_varint(digest.size());
  for (char c : digest) writer.put(static_cast<unsigned char>(c));
  writer.finish();
}

Expected<Cid> parse_cid(std::string_view text) {
  if (text.empty()) return Unexpected{std::string("empty cid")};
  if (text.size() > kMaxCidText) {
    return Unexpected{"cid too long (" + std::to_string(text.size()) + " characters, at most " +
                      std::to_string(kMaxCidText) + ")"};
  }
  if (text.starts_with("Qm")) {
    if (text.size() != 46) {
      return Unexpected{"cidv0 must be 46 characters, not " + std::to_string(text.size())};
    }
    return parse_v0(text);
  }
  auto base = multibase_of(text);
  if (!base) return Unexpected{std::move(base).error()};
  auto bytes = decode_v1_text(*base, text.substr(1));
  if (!bytes) return Unexpected{std::move(bytes).error()};
  return parse_binary_v1(*bytes);
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
  if (cid) bytes = rest;
  return cid;
}

bool is_lowercase_cid(std::string_view text) {
  if (!parse_cid(text)) return false;
  return (text[0] == 'b' || text[0] == 'k') && !has_upper(text);
}

}  // namespace ocipfs
