#include "ocipfs/formats/cid.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ocipfs {

namespace {

// Longest CID text parse_cid looks at. Real CIDs we accept are at most ~230 characters
// (identity digest of 128 bytes in base32).
constexpr std::size_t kMaxCidText = 512;
// The base58 and base36 codecs are quadratic; their decoders refuse longer text.
constexpr std::size_t kMaxBaseXText = 4096;
constexpr std::size_t kMaxIdentityDigest = 128;
constexpr std::size_t kSha256Length = 32;
constexpr std::size_t kMaxVarintBytes = 9;

constexpr std::string_view kBase32Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
constexpr std::string_view kBase58Alphabet =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr std::string_view kBase36Alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool has_upper(std::string_view text) { return std::any_of(text.begin(), text.end(), is_upper); }
bool has_lower(std::string_view text) { return std::any_of(text.begin(), text.end(), is_lower); }

std::string hex_byte(unsigned char byte) {
  static constexpr char digits[] = "0123456789abcdef";
  return {digits[byte >> 4], digits[byte & 0xf]};
}

// "0x" and an even number of lowercase hex digits, as the multicodec table writes codes.
std::string hex_code(std::uint64_t value) {
  std::string digits;
  do {
    digits.insert(0, hex_byte(static_cast<unsigned char>(value & 0xff)));
    value >>= 8;
  } while (value != 0);
  return "0x" + digits;
}

// One input character, safe to show: printable ASCII in quotes, anything else as its byte value.
std::string describe_char(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte > 0x20 && byte < 0x7f) return std::string("'") + c + "'";
  return "byte 0x" + hex_byte(byte);
}

std::string invalid_char(std::string_view base, char c, std::size_t position) {
  return "invalid " + std::string(base) + " character " + describe_char(c) + " at position " +
         std::to_string(position);
}

// Names of multicodec codes people are likely to paste (from multiformats/multicodec table.csv).
std::string_view codec_name(std::uint64_t code) {
  switch (code) {
    case 0x00:
      return "identity";
    case 0x51:
      return "cbor";
    case 0x55:
      return "raw";
    case 0x70:
      return "dag-pb";
    case 0x71:
      return "dag-cbor";
    case 0x72:
      return "libp2p-key";
    case 0x78:
      return "git-raw";
    case 0x7b:
      return "torrent-info";
    case 0x7c:
      return "torrent-file";
    case 0x85:
      return "dag-jose";
    case 0x86:
      return "dag-cose";
    case 0x90:
      return "eth-block";
    case 0xb0:
      return "bitcoin-block";
    case 0x0129:
      return "dag-json";
    case 0x01f0:
      return "swhid-1-snp";
    case 0x0200:
      return "json";
    case 0x0202:
      return "car";
    case 0x0300:
      return "ipns-record";
    case 0xb601:
      return "json-jcs";
    case 0xf101:
      return "fil-commitment-unsealed";
    case 0xf102:
      return "fil-commitment-sealed";
    default:
      return {};
  }
}

std::string_view hash_name(std::uint64_t code) {
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

std::string with_name(std::uint64_t code, std::string_view name) {
  std::string out = hex_code(code);
  if (!name.empty()) out += " (" + std::string(name) + ")";
  return out;
}

// Multibases of multiformats/multibase multibase.csv that parse_cid does not accept.
std::string_view unsupported_multibase_name(char prefix) {
  switch (prefix) {
    case '0':
      return "base2";
    case '7':
      return "base8";
    case '9':
      return "base10";
    case 'f':
      return "base16";
    case 'F':
      return "base16upper";
    case 'v':
      return "base32hex";
    case 'V':
      return "base32hexupper";
    case 't':
      return "base32hexpad";
    case 'T':
      return "base32hexpadupper";
    case 'c':
      return "base32pad";
    case 'C':
      return "base32padupper";
    case 'h':
      return "base32z";
    case 'K':
      return "base36upper";
    case 'R':
      return "base45";
    case 'Z':
      return "base58flickr";
    case 'm':
      return "base64";
    case 'M':
      return "base64pad";
    case 'u':
      return "base64url";
    case 'U':
      return "base64urlpad";
    case 'p':
      return "proquint";
    default:
      return {};
  }
}

int base32_value(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

int base58_value(char c) {
  const auto at = kBase58Alphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

int base36_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return -1;
}

// Big-number base conversion as the multiformats "base-x" codecs do it: each leading zero byte
// becomes one alphabet[0] character; the rest is the big-endian number written in the base.
std::string basex_encode(std::string_view bytes, std::string_view alphabet) {
  const unsigned base = static_cast<unsigned>(alphabet.size());
  std::size_t zeros = 0;
  while (zeros < bytes.size() && bytes[zeros] == '\0') ++zeros;
  std::vector<unsigned char> digits;  // little-endian digits in `base`
  digits.reserve((bytes.size() - zeros) * 2);
  for (std::size_t i = zeros; i < bytes.size(); ++i) {
    unsigned carry = static_cast<unsigned char>(bytes[i]);
    for (auto& digit : digits) {
      carry += static_cast<unsigned>(digit) << 8;
      digit = static_cast<unsigned char>(carry % base);
      carry /= base;
    }
    while (carry != 0) {
      digits.push_back(static_cast<unsigned char>(carry % base));
      carry /= base;
    }
  }
  std::string out(zeros, alphabet[0]);
  out.reserve(zeros + digits.size());
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(alphabet[*it]);
  return out;
}

template <class ValueOf>
Expected<std::string> basex_decode(std::string_view text, std::string_view name, unsigned base,
                                   char zero, ValueOf value_of) {
  if (text.size() > kMaxBaseXText) {
    return Unexpected{std::string(name) + " text too long (" + std::to_string(text.size()) +
                      " characters, at most " + std::to_string(kMaxBaseXText) + ")"};
  }
  std::size_t zeros = 0;
  while (zeros < text.size() && text[zeros] == zero) ++zeros;
  std::vector<unsigned char> bytes;  // little-endian
  bytes.reserve(text.size());
  for (std::size_t i = zeros; i < text.size(); ++i) {
    const int value = value_of(text[i]);
    if (value < 0) return Unexpected{invalid_char(name, text[i], i)};
    unsigned carry = static_cast<unsigned>(value);
    for (auto& byte : bytes) {
      carry += static_cast<unsigned>(byte) * base;
      byte = static_cast<unsigned char>(carry & 0xff);
      carry >>= 8;
    }
    while (carry != 0) {
      bytes.push_back(static_cast<unsigned char>(carry & 0xff));
      carry >>= 8;
    }
  }
  std::string out(zeros, '\0');
  out.reserve(zeros + bytes.size());
  for (auto it = bytes.rbegin(); it != bytes.rend(); ++it) out.push_back(static_cast<char>(*it));
  return out;
}

Expected<std::uint64_t> read_varint(std::string_view& bytes, std::string_view what) {
  auto value = varint_decode(bytes);
  if (!value) return Unexpected{"invalid " + std::string(what) + ": " + value.error()};
  return value;
}

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
    return Unexpected{"unsupported multicodec " + with_name(*codec, codec_name(*codec))};
  }

  auto hash = read_varint(bytes, "multihash code");
  if (!hash) return Unexpected{std::move(hash).error()};
  if (*hash != multihash::sha2_256 && *hash != multihash::identity) {
    return Unexpected{"unsupported multihash " + with_name(*hash, hash_name(*hash))};
  }

  auto length = read_varint(bytes, "multihash length");
  if (!length) return Unexpected{std::move(length).error()};
  if (*hash == multihash::sha2_256 && *length != kSha256Length) {
    return Unexpected{"sha2-256 digest length must be 32, not " + std::to_string(*length)};
  }
  if (*hash == multihash::identity && *length > kMaxIdentityDigest) {
    return Unexpected{"identity digest too long (" + std::to_string(*length) +
                      " bytes, at most 128)"};
  }
  if (bytes.size() < *length) {
    return Unexpected{"truncated digest (" + std::to_string(bytes.size()) + " of " +
                      std::to_string(*length) + " bytes)"};
  }

  Cid cid;
  cid.version = 1;
  cid.codec = *codec;
  cid.hash = *hash;
  cid.digest = std::string(bytes.substr(0, *length));
  bytes.remove_prefix(*length);
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
  std::uint32_t buffer = 0;
  int bits = 0;
  auto put = [&](unsigned char c) {
    buffer = ((buffer << 8) | c) & 0xfff;  // at most 4 + 8 bits are pending
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32Alphabet[(buffer >> bits) & 0x1f]);
    }
  };
  auto put_varint = [&](std::uint64_t value) {
    for (; value >= 0x80; value >>= 7) put(static_cast<unsigned char>((value & 0x7f) | 0x80));
    put(static_cast<unsigned char>(value));
  };
  put_varint(1);
  put_varint(codec);
  put_varint(hash);
  put_varint(digest.size());
  for (char c : digest) put(static_cast<unsigned char>(c));
  if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 0x1f]);
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

  const char prefix = text[0];
  const std::string_view body = text.substr(1);
  Expected<std::string> bytes{std::string()};
  switch (prefix) {
    case 'b':
    case 'B': {
      bytes = base32_decode(body);
      if (!bytes) return Unexpected{std::move(bytes).error()};
      if (prefix == 'b' && has_upper(body)) {
        return Unexpected{std::string("base32 cid with prefix 'b' must be lowercase")};
      }
      if (prefix == 'B' && has_lower(body)) {
        return Unexpected{std::string("base32upper cid with prefix 'B' must be uppercase")};
      }
      break;
    }
    case 'k': {
      bytes = base36_decode(body);
      if (!bytes) return Unexpected{std::move(bytes).error()};
      if (has_upper(body)) {
        return Unexpected{std::string("base36 cid with prefix 'k' must be lowercase")};
      }
      break;
    }
    case 'z': {
      bytes = base58btc_decode(body);
      if (!bytes) return Unexpected{std::move(bytes).error()};
      break;
    }
    default: {
      if (const auto name = unsupported_multibase_name(prefix); !name.empty()) {
        return Unexpected{"unsupported multibase " + describe_char(prefix) + " (" +
                          std::string(name) + ")"};
      }
      if (text.starts_with("\xF0\x9F\x9A\x80")) {
        return Unexpected{std::string("unsupported multibase base256emoji")};
      }
      return Unexpected{"unknown multibase prefix " + describe_char(prefix)};
    }
  }
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

std::string base32_lower_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : bytes) {
    buffer =
        ((buffer << 8) | static_cast<unsigned char>(c)) & 0xfff;  // at most 4 + 8 bits are pending
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32Alphabet[(buffer >> bits) & 0x1f]);
    }
  }
  if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 0x1f]);
  return out;
}

// Bits left over after the last full byte are ignored, whatever their value.
Expected<std::string> base32_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 5 / 8);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '=') return Unexpected{std::string("base32 padding '=' is not allowed")};
    const int value = base32_value(text[i]);
    if (value < 0) return Unexpected{invalid_char("base32", text[i], i)};
    buffer = ((buffer << 5) | static_cast<std::uint32_t>(value)) & 0xfff;  // at most 7 + 5 bits
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  if (has_upper(text) && has_lower(text)) return Unexpected{std::string("mixed-case base32")};
  const std::size_t rest = text.size() % 8;
  if (rest == 1 || rest == 3 || rest == 6) {
    return Unexpected{"invalid base32 length " + std::to_string(text.size())};
  }
  return out;
}

std::string base58btc_encode(std::string_view bytes) {
  return basex_encode(bytes, kBase58Alphabet);
}

Expected<std::string> base58btc_decode(std::string_view text) {
  return basex_decode(text, "base58btc", 58, '1', base58_value);
}

std::string base36_lower_encode(std::string_view bytes) {
  return basex_encode(bytes, kBase36Alphabet);
}

Expected<std::string> base36_decode(std::string_view text) {
  if (has_upper(text) && has_lower(text)) return Unexpected{std::string("mixed-case base36")};
  return basex_decode(text, "base36", 36, '0', base36_value);
}

// Values of 2^63 and above need 10 bytes, which varint_decode refuses; CIDs never use them.
std::string varint_encode(std::uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
  return out;
}

// On failure `bytes` is left as it was.
Expected<std::uint64_t> varint_decode(std::string_view& bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes.size() && i < kMaxVarintBytes; ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      if (byte == 0 && i > 0) return Unexpected{std::string("non-minimal varint")};
      bytes.remove_prefix(i + 1);
      return value;
    }
  }
  if (bytes.size() >= kMaxVarintBytes) {
    return Unexpected{std::string("varint longer than 9 bytes")};
  }
  return Unexpected{std::string("truncated varint")};
}

}  // namespace ocipfs
