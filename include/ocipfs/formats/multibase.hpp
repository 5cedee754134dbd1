// Multibase: bytes written as text in a base that the text's first character names. The bases a
// CID is read in here (base32 either case, base36, base58btc), their codecs, and the names of
// the bases multiformats lists that are not read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "ocipfs/base/expected.hpp"

namespace ocipfs {

enum class Multibase {
  base32,       // "b": RFC 4648 lowercase
  base32upper,  // "B"
  base36,       // "k": lowercase
  base58btc,    // "z"
};

// The multibase that `text` (not empty) is written in, by its first character. The error names
// the prefix, and the base when multiformats/multibase multibase.csv lists it: "unsupported
// multibase 'f' (base16)", "unsupported multibase base256emoji", "unknown multibase prefix 'x'",
// "unknown multibase prefix byte 0x01".
Expected<Multibase> multibase_of(std::string_view text);

// The codecs, without the multibase prefix. Errors name the base, the character and its position
// ("invalid base32 character '1' at position 3"). base58btc and base36 are quadratic: their
// decoders refuse more than 4096 characters.
std::string base32_lower_encode(std::string_view bytes);     // RFC 4648 alphabet, no padding
Expected<std::string> base32_decode(std::string_view text);  // no padding, either case (not mixed)
std::string base58btc_encode(std::string_view bytes);
Expected<std::string> base58btc_decode(std::string_view text);
std::string base36_lower_encode(std::string_view bytes);
Expected<std::string> base36_decode(std::string_view text);  // either case (not mixed)

// The decoders above, into `out`, which has room for text.size() bytes (no decoding is longer
// than its text), allocating nothing unless they fail: the number of bytes written.
Expected<std::size_t> base32_decode_into(std::string_view text, std::span<char> out);
Expected<std::size_t> base58btc_decode_into(std::string_view text, std::span<char> out);
Expected<std::size_t> base36_decode_into(std::string_view text, std::span<char> out);

// Writes base32 lower (RFC 4648, no padding) onto the end of `out` a byte at a time, allocating
// nothing when `out` has room. finish() writes the last bits; call it once, at the end.
class Base32LowerWriter {
 public:
  explicit Base32LowerWriter(std::string& out) : out_(out) {}
  void put(unsigned char byte) {
    buffer_ = ((buffer_ << 8) | byte) & 0xfff;  // at most 4 + 8 bits are pending
    bits_ += 8;
    while (bits_ >= 5) {
      bits_ -= 5;
      out_.push_back(alphabet[(buffer_ >> bits_) & 0x1f]);
    }
  }
  void finish() {
    if (bits_ > 0) out_.push_back(alphabet[(buffer_ << (5 - bits_)) & 0x1f]);
    bits_ = 0;
  }

 private:
  static constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  std::string& out_;
  std::uint32_t buffer_ = 0;
  int bits_ = 0;
};

}  // namespace ocipfs
