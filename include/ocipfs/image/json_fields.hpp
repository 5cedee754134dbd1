// Reading validated fields out of a parsed JSON document, for the documents on IPFS (private to
// their parsers). Each reader throws JsonInvalid with a message that names the field.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/image/platform.hpp"

namespace ocipfs::json_fields {

using nlohmann::json;

struct JsonInvalid {
  std::string message;
};

// No document on IPFS nests deeper.
inline constexpr std::size_t max_json_depth = 64;

// The member `key` of `object`; `where` is the path to the object, e.g. "layer.".
const json& member(const json& object, const char* key, const std::string& where);
const std::string& string_member(const json& object, const char* key, const std::string& where);
const json& object_member(const json& object, const char* key, const std::string& where);

// A platform object: os and architecture, an optional variant, each a short lowercase word.
// `where` names it, e.g. "platform".
Platform parse_platform(const json& value, const std::string& where);

// Parses `text` as one JSON value, refusing an object that has a key twice (most parsers keep
// the last value while a reviewer reads the first; the error names the key) and nesting deeper
// than max_json_depth.
Expected<json> parse_json(std::string_view text);

// Parses `text` (at most `max_size` bytes, nesting at most max_json_depth, no key twice in an
// object) and applies `validate` to it, which may take from the parsed document (json&) or read
// it (const json&); a JsonInvalid or a json exception becomes the error.
template <class T, class Validate>
Expected<T> parse_document(std::string_view text, std::size_t max_size, Validate validate);

// True when arrays and objects in `text` nest deeper than `limit` (brackets in strings aside).
bool nests_deeper_than(std::string_view text, std::size_t limit);

std::string size_words(std::size_t bytes);  // "1 MiB", "512 KiB" or "N bytes"

template <class T, class Validate>
Expected<T> parse_document(std::string_view text, std::size_t max_size, Validate validate) {
  if (text.size() > max_size) return Unexpected{"it is larger than " + size_words(max_size)};
  auto document = parse_json(text);
  if (!document) return Unexpected{std::move(document.error())};
  try {
    return validate(*document);
  } catch (const JsonInvalid& invalid) {
    return Unexpected{invalid.message};
  } catch (const json::exception& error) {
    return Unexpected{std::string("it could not be read: ") + error.what()};
  }
}

}  // namespace ocipfs::json_fields
