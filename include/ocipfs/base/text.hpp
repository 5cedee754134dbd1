// Text for messages and logs: quoting untrusted bytes (request targets, gateway answers, layer
// manifests) and writing durations.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ocipfs {

// `text` with every byte outside printable ASCII replaced by '?', cut to `max_length` bytes
// with "..." appended when longer. Safe in error bodies, headers and log lines.
std::string printable(std::string_view text, std::size_t max_length = 100);

// printable(text) in double quotes.
std::string in_quotes(std::string_view text, std::size_t max_length = 100);

// A path in a message: in_quotes, up to 200 bytes.
std::string path_in_quotes(const std::filesystem::path& path);

// `text` as HTML text or a quoted attribute value: &, <, >, " and ' as character references,
// every other byte as it is.
std::string html_escape(std::string_view text);

// The words separated by ", ": "latest, hello.tar.gz".
std::string joined(std::span<const std::string> words);
std::string joined(std::span<const std::string_view> words);

// A non-empty run of ASCII digits, all of `text`, as a number; nullopt for anything else (a sign,
// a space) or beyond 2^64-1.
std::optional<std::uint64_t> decimal_number(std::string_view text);

// The value of a hex digit of either case, or -1 for any other character.
int hex_digit_value(char c);

// "30s" for whole seconds, else "1500ms": the way flags spell durations.
std::string duration_text(std::chrono::milliseconds duration);

}  // namespace ocipfs
