#include "ocipfs/text.hpp"

namespace ocipfs {

std::string printable(std::string_view text, std::size_t max_length) {
  std::string out;
  out.reserve(std::min(text.size(), max_length) + 3);
  for (unsigned char c : text.substr(0, max_length))
    out += (c < 0x20 || c >= 0x7f) ? '?' : static_cast<char>(c);
  if (text.size() > max_length) out += "...";
  return out;
}

std::string in_quotes(std::string_view text, std::size_t max_length) {
  std::string out = "\"";
  out += printable(text, max_length);
  out += '"';
  return out;
}

}  // namespace ocipfs
