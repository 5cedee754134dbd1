#include "ocipfs/image/json_fields.hpp"

#include <optional>
#include <vector>

#include "ocipfs/base/text.hpp"

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

namespace {

// Builds the document as nlohmann's own DOM parser does, but stops at a key an object already
// has, remembering it, and at nesting deeper than max_json_depth: 1 MiB of "[" would otherwise
// have it build, then free, a million arrays.
class StrictBuilder {
 public:
  explicit StrictBuilder(json& root) : root_(root) {}

  bool null() { return add(nullptr); }
  bool boolean(bool value) { return add(value); }
  bool number_integer(json::number_integer_t value) { return add(value); }
  bool number_unsigned(json::number_unsigned_t value) { return add(value); }
  bool number_float(json::number_float_t value, const std::string&) { return add(value); }
  bool string(std::string& value) { return add(std::move(value)); }
  bool binary(json::binary_t&) { return false; }  // JSON text has none
  bool start_object(std::size_t) { return open(json::value_t::object); }
  bool start_array(std::size_t) { return open(json::value_t::array); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  template <class Exception>
  bool parse_error(std::size_t, const std::string&, const Exception&) {
    return false;
  }

  bool key(std::string& name) {
    auto [it, inserted] = open_.back()->emplace(name, nullptr);
    if (!inserted) {
      duplicate = std::move(name);
      return false;
    }
    member_ = &it.value();
    return true;
  }

  std::optional<std::string> duplicate;
  bool too_deep = false;

 private:
  template <class Value>
  bool add(Value&& value) {
    place(json(std::forward<Value>(value)));
    return true;
  }

  json* place(json value) {
    if (open_.empty()) return &(root_ = std::move(value));
    if (open_.back()->is_array()) {
      open_.back()->push_back(std::move(value));
      return &open_.back()->back();
    }
    return &(*member_ = std::move(value));
  }

  bool open(json::value_t type) {
    if (open_.size() == max_json_depth) {
      too_deep = true;
      return false;
    }
    open_.push_back(place(json(type)));
    return true;
  }

  bool close() {
    open_.pop_back();
    return true;
  }

  json& root_;
  std::vector<json*> open_;  // the arrays and objects being filled, innermost last
  json* member_ = nullptr;   // where the value after the last key goes
};

}  // namespace

Expected<json> parse_json(std::string_view text) {
  json document;
  StrictBuilder builder(document);
  if (json::sax_parse(text, &builder, json::input_format_t::json, /*strict=*/true)) return document;
  if (builder.too_deep)
    return Unexpected{"it nests arrays and objects deeper than " + std::to_string(max_json_depth)};
  if (builder.duplicate)
    return Unexpected{"it has the key " + in_quotes(*builder.duplicate, 200) +
                      " twice in one object"};
  return Unexpected{std::string("it is not valid JSON")};
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
