#include "ocipfs/formats/multibase.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

namespace ocipfs {

namespace {

// The base58 and base36 codecs are quadratic; their decoders refuse longer text.
constexpr std::size_t kMaxBaseXText = 4096;

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

// Multibases of multiformats/multibase multibase.csv that multibase_of does not accept.
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

// The big number in `text` (base-x, as basex_encode writes it) into `out`, which has room for
// text.size() bytes: its little-endian digits are worked on in place, then turned around.
template <class ValueOf>
Expected<std::size_t> basex_decode_into(std::string_view text, std::span<char> out,
                                        std::string_view name, unsigned base, char zero,
                                        ValueOf value_of) {
  if (text.size() > kMaxBaseXText) {
    return Unexpected{std::string(name) + " text too long (" + std::to_string(text.size()) +
                      " characters, at most " + std::to_string(kMaxBaseXText) + ")"};
  }
  std::size_t zeros = 0;
  while (zeros < text.size() && text[zeros] == zero) ++zeros;
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());  // little-endian
  std::size_t length = 0;
  for (std::size_t i = zeros; i < text.size(); ++i) {
    const int value = value_of(text[i]);
    if (value < 0) return Unexpected{invalid_char(name, text[i], i)};
    unsigned carry = static_cast<unsigned>(value);
    for (std::size_t j = 0; j < length; ++j) {
      carry += static_cast<unsigned>(bytes[j]) * base;
      bytes[j] = static_cast<unsigned char>(carry & 0xff);
      carry >>= 8;
    }
    for (; carry != 0; carry >>= 8) bytes[length++] = static_cast<unsigned char>(carry & 0xff);
  }
  std::reverse(bytes, bytes + length);
  std::memmove(bytes + zeros, bytes, length);
  std::memset(bytes, 0, zeros);
  return zeros + length;
}

// A decoding into a string of its own.
template <class DecodeInto>
Expected<std::string> decoded(std::string_view text, DecodeInto decode_into) {
  std::string out(text.size(), '\0');
  auto size = decode_into(text, out);
  if (!size) return Unexpected{std::move(size).error()};
  out.resize(*size);
  return out;
}

}  // namespace

Expected<Multibase> multibase_of(std::string_view text) {
  const char prefix = text.empty() ? '\0' : text[0];
  switch (prefix) {
    case 'b':
      return Multibase::base32;
    case 'B':
      return Multibase::base32upper;
    case 'k':
      return Multibase::base36;
    case 'z':
      return Multibase::base58btc;
    default:
      break;
  }
  if (const auto name = unsupported_multibase_name(prefix); !name.empty()) {
    return Unexpected{"unsupported multibase " + describe_char(prefix) + " (" + std::string(name) +
                      ")"};
  }
  if (text.starts_with("\xF0\x9F\x9A\x80")) {
    return Unexpected{std::string("unsupported multibase base256emoji")};
  }
  return Unexpected{"unknown multibase prefix " + describe_char(prefix)};
}

std::string base32_lower_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  Base32LowerWriter writer(out);
  for (char c : bytes) writer.put(static_cast<unsigned char>(c));
  writer.finish();
  return out;
}

// Bits left over after the last full byte are ignored, whatever their value.
Expected<std::size_t> base32_decode_into(std::string_view text, std::span<char> out) {
  std::size_t size = 0;
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
      out[size++] = static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  if (has_upper(text) && has_lower(text)) return Unexpected{std::string("mixed-case base32")};
  const std::size_t rest = text.size() % 8;
  if (rest == 1 || rest == 3 || rest == 6) {
    return Unexpected{"invalid base32 length " + std::to_string(text.size())};
  }
  return size;
}

Expected<std::string> base32_decode(std::string_view text) {
  return decoded(text, base32_decode_into);
}

std::string base58btc_encode(std::string_view bytes) {
  return basex_encode(bytes, kBase58Alphabet);
}

Expected<std::size_t> base58btc_decode_into(std::string_view text, std::span<char> out) {
  return basex_decode_into(text, out, "base58btc", 58, '1', base58_value);
}

Expected<std::string> base58btc_decode(std::string_view text) {
  return decoded(text, base58btc_decode_into);
}

std::string base36_lower_encode(std::string_view bytes) {
  return basex_encode(bytes, kBase36Alphabet);
}

Expected<std::size_t> base36_decode_into(std::string_view text, std::span<char> out) {
  if (has_upper(text) && has_lower(text)) return Unexpected{std::string("mixed-case base36")};
  return basex_decode_into(text, out, "base36", 36, '0', base36_value);
}

Expected<std::string> base36_decode(std::string_view text) {
  return decoded(text, base36_decode_into);
}

}  // namespace ocipfs
