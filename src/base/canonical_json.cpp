#include "ocipfs/base/canonical_json.hpp"

#include <charconv>
#include <cstring>

namespace ocipfs {

namespace {

// The escape of a byte that JSON does not take as it is, or "" for one it does.
std::string_view short_escape(unsigned char c) {
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    default:
      return {};
  }
}

// The length of the run at the start of `text` that JSON takes as it is: no byte below 0x20, no
// '"', no '\\'. Eight bytes at a time (paths and media types are long runs of such bytes).
std::size_t plain_run(std::string_view text) {
  constexpr std::uint64_t ones = 0x0101010101010101, highs = 0x8080808080808080;
  // Whether a byte of `word` is below `n` (n <= 0x80), or equal to `c`.
  auto below = [](std::uint64_t word, std::uint64_t n) {
    return (word - ones * n) & ~word & highs;
  };
  auto equal = [&](std::uint64_t word, unsigned char c) { return below(word ^ (ones * c), 1); };
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    if (below(word, 0x20) | equal(word, '"') | equal(word, '\\')) break;
  }
  for (; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == '"' || c == '\\') break;
  }
  return i;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (;;) {
    const std::size_t plain = plain_run(text);
    out.append(text.data(), plain);
    if (plain == text.size()) break;
    auto c = static_cast<unsigned char>(text[plain]);
    text.remove_prefix(plain + 1);
    if (auto escape = short_escape(c); !escape.empty()) {
      out += escape;
      continue;
    }
    const char unicode[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
    out.append(unicode, sizeof unicode);
  }
  out += '"';
}

void append_json_number(std::string& out, std::uint64_t number) {
  char digits[20];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, number).ptr);
}

}  // namespace ocipfs
