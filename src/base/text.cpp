#include "ocipfs/base/text.hpp"

#include <charconv>

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

std::string path_in_quotes(const std::filesystem::path& path) {
  return in_quotes(path.string(), 200);
}

namespace {
template <class Word>
std::string joined_words(std::span<const Word> words) {
  std::string out;
  for (const auto& word : words) {
    if (!out.empty()) out += ", ";
    out += word;
  }
  return out;
}
}  // namespace

std::string joined(std::span<const std::string> words) { return joined_words(words); }

std::string joined(std::span<const std::string_view> words) { return joined_words(words); }

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string duration_text(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::optional<std::uint64_t> decimal_number(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace ocipfs
