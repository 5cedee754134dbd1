#include "json_fields.hpp"

#include "ocipfs/text.hpp"

namespace ocipfs::json_fields {

const json& member(const json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end()) throw JsonInvalid{where + key + " is missing"};
  return *it;
}

const std::string& string_member(const json& object, const char* key, const std::string& where) {
  const json& value = member(object, key, where);
  if (!value.is_string()) throw JsonInvalid{where + key + " must be a string"};
  return value.get_ref<const std::string&>();
}

const json& object_member(const json& object, const char* key, const std::string& where) {
  const json& value = member(object, key, where);
  if (!value.is_object()) throw JsonInvalid{where + key + " must be an object"};
  return value;
}

namespace {
bool is_platform_word(std::string_view word) {
  if (word.empty() || word.size() > 32) return false;
  for (char c : word)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
      return false;
  return true;
}
}  // namespace

Platform parse_platform(const json& value, const std::string& where) {
  if (!value.is_object()) throw JsonInvalid{where + " must be an object"};
  Platform platform;
  const std::string inside = where + ".";
  platform.os = string_member(value, "os", inside);
  platform.architecture = string_member(value, "architecture", inside);
  if (value.contains("variant")) platform.variant = string_member(value, "variant", inside);
  for (const auto* word : {&platform.os, &platform.architecture, &platform.variant}) {
    if (word == &platform.variant && word->empty()) continue;
    if (!is_platform_word(*word))
      throw JsonInvalid{where + " has an invalid value " + in_quotes(*word) +
                        " (lowercase letters, digits, '_', '-', '.'; at most 32)"};
  }
  return platform;
}

bool nests_deeper_than(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

std::string size_words(std::size_t bytes) {
  if (bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + " MiB";
  if (bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace ocipfs::json_fields
