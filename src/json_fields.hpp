// Reading validated fields out of a parsed JSON document, for the documents on IPFS (private to
// their parsers). Each reader throws JsonInvalid with a message that names the field.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "ocipfs/expected.hpp"
#include "ocipfs/platform.hpp"

namespace ocipfs::json_fields {

using nlohmann::json;

struct JsonInvalid {
  std::string message;
};

// No document on IPFS nests deeper. Deeper text is refused before parsing: 1 MiB of "[" would
// have the parser build, then free, a million arrays (over a second of CPU on a server thread).
inline constexpr std::size_t max_json_depth = 64;

// The member `key` of `object`; `where` is the path to the object, e.g. "layer.".
const json& member(const json& object, const char* key, const std::string& where);
const std::string& string_member(const json& object, const char* key, const std::string& where);
const json& object_member(const json& object, const char* key, const std::string& where);

// A platform object: os and architecture, an optional variant, each a short lowercase word.
// `where` names it, e.g. "platform".
Platform parse_platform(const json& value, const std::string& where);

// Parses `text` (at most `max_size` bytes, nesting at most max_json_depth) and applies
// `validate` to it; a JsonInvalid or a json exception becomes the error.
template <class T, class Validate>
Expected<T> parse_document(std::string_view text, std::size_t max_size, Validate validate);

// True when arrays and objects in `text` nest deeper than `limit` (brackets in strings aside).
bool nests_deeper_than(std::string_view text, std::size_t limit);

std::string size_words(std::size_t bytes);  // "1 MiB", "512 KiB" or "N bytes"

template <class T, class Validate>
Expected<T> parse_document(std::string_view text, std::size_t max_size, Validate validate) {
  if (text.size() > max_size) return Unexpected{"it is larger than " + size_words(max_size)};
  if (nests_deeper_than(text, max_json_depth))
    return Unexpected{"it nests arrays and objects deeper than " + std::to_string(max_json_depth)};
  json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return Unexpected{std::string("it is not valid JSON")};
  try {
    return validate(document);
  } catch (const JsonInvalid& invalid) {
    return Unexpected{invalid.message};
  } catch (const json::exception& error) {
    return Unexpected{std::string("it could not be read: ") + error.what()};
  }
}

}  // namespace ocipfs::json_fields
