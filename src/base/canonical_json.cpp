#include "ocipfs/base/canonical_json.hpp"

#include <charconv>

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

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain = 0;  // the start of the bytes not written yet that need no escape
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + plain, i - plain);
    plain = i + 1;
    if (auto escape = short_escape(c); !escape.empty()) {
      out += escape;
      continue;
    }
    const char unicode[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
    out.append(unicode, sizeof unicode);
  }
  out.append(text.data() + plain, text.size() - plain);
  out += '"';
}

void append_json_number(std::string& out, std::uint64_t number) {
  char digits[20];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, number).ptr);
}

}  // namespace ocipfs
