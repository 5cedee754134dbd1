// The small text rules of HTTP fields: optional whitespace and case-insensitive tokens.
#pragma once

#include <cstddef>
#include <string_view>

namespace ocipfs {

// `text` without the spaces and tabs (RFC 9110's OWS) around it.
constexpr std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// True when `text` equals `lower`, written in lowercase, ignoring the case of ASCII letters.
constexpr bool equals_lowercase(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

}  // namespace ocipfs
