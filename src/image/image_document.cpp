#include "ocipfs/image/image_document.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "ocipfs/base/text.hpp"
#include "ocipfs/formats/ipfs_path.hpp"
#include "ocipfs/image/json_fields.hpp"
#include "ocipfs/image/layer_manifest.hpp"
#include "ocipfs/image/repository.hpp"

namespace ocipfs {

namespace {

using namespace json_fields;

constexpr std::size_t max_field_length = 64 * 1024;

std::string quoted_key(std::string_view key) { return in_quotes(key, 200); }

const std::string& string_value(const json& value, const std::string& where) {
  if (!value.is_string()) throw JsonInvalid{where + " must be a string"};
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() > max_field_length) throw JsonInvalid{where + " is longer than 64 KiB"};
  return text;
}

std::vector<std::string> string_list(const json& value, const std::string& where) {
  if (!value.is_array()) throw JsonInvalid{where + " must be an array of strings"};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value.size(); ++i)
    out.push_back(string_value(value[i], where + "[" + std::to_string(i) + "]"));
  return out;
}

// Takes the strings out of `value`, an object, leaving it empty: a document's parsed form and
// its map of thousands of annotations are never both whole at once.
std::map<std::string, std::string> take_string_map(json& value, const std::string& where) {
  if (!value.is_object()) throw JsonInvalid{where + " must be an object of strings"};
  std::map<std::string, std::string> out;
  auto& object = value.get_ref<json::object_t&>();
  for (auto it = object.begin(); it != object.end(); it = object.erase(it)) {
    if (it->first.empty()) throw JsonInvalid{where + " has an empty key"};
    string_value(it->second, where + "." + it->first);  // checked, then taken
    out.emplace_hint(out.end(), it->first, std::move(it->second.get_ref<std::string&>()));
  }
  return out;
}

std::map<std::string, std::string> string_map(const json& value, const std::string& where) {
  if (!value.is_object()) throw JsonInvalid{where + " must be an object of strings"};
  std::map<std::string, std::string> out;
  for (const auto& [key, each] : value.items()) {
    if (key.empty()) throw JsonInvalid{where + " has an empty key"};
    out[key] = string_value(each, where + "." + key);
  }
  return out;
}

// The keys of an object whose values must be empty objects (ExposedPorts, Volumes).
std::vector<std::string> key_set(const json& value, const std::string& where) {
  if (!value.is_object()) throw JsonInvalid{where + " must be an object of {} values"};
  std::vector<std::string> keys;
  for (const auto& [key, each] : value.items()) {
    if (!each.is_object())
      throw JsonInvalid{where + "[" + quoted_key(key) + "] must be {}, not " +
                        in_quotes(each.dump(), 40)};
    keys.push_back(key);
  }
  return keys;
}

bool is_env_entry(std::string_view entry) {
  auto eq = entry.find('=');
  return eq != std::string_view::npos && eq > 0 && entry.find('\0') == std::string_view::npos;
}

// "80/tcp", "53/udp", "9/sctp", or "80" (Docker's and OCI's default protocol, tcp).
std::optional<std::string> normalized_port(std::string_view key) {
  auto slash = key.find('/');
  std::string_view number = key.substr(0, slash);
  std::string_view protocol = slash == std::string_view::npos ? "tcp" : key.substr(slash + 1);
  if (protocol != "tcp" && protocol != "udp" && protocol != "sctp") return std::nullopt;
  unsigned port = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), port);
  if (ec != std::errc() || end != number.data() + number.size() || number.empty() ||
      number.front() == '0' || port == 0 || port > 65535)
    return std::nullopt;
  return std::string(number) + "/" + std::string(protocol);
}

bool is_absolute_path(std::string_view path) {
  return path.starts_with('/') && path.find('\0') == std::string_view::npos && path.size() <= 4096;
}

// The signals Linux and Docker know, by name without "SIG".
constexpr std::array<std::string_view, 34> signal_names = {
    "ABRT", "ALRM",   "BUS",  "CHLD",   "CLD",   "CONT", "FPE",  "HUP",  "ILL",
    "INT",  "IO",     "IOT",  "KILL",   "PIPE",  "POLL", "PROF", "PWR",  "QUIT",
    "SEGV", "STKFLT", "STOP", "SYS",    "TERM",  "TRAP", "TSTP", "TTIN", "TTOU",
    "URG",  "USR1",   "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ"};

constexpr unsigned max_signal_number = 64;  // SIGRTMAX on Linux

// A number from 1 to `max`, without leading zeros.
bool is_number_up_to(std::string_view text, unsigned max) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty() &&
         text.front() != '0' && value <= max;
}

// "SIGTERM", "TERM", "SIGRTMIN", "SIGRTMIN+3", "SIGRTMAX-2" or a number from 1 to 64.
bool is_signal(std::string_view signal) {
  if (is_number_up_to(signal, max_signal_number)) return true;
  if (signal.starts_with("SIG")) signal.remove_prefix(3);
  if (std::find(signal_names.begin(), signal_names.end(), signal) != signal_names.end())
    return true;
  for (std::string_view realtime : {"RTMIN", "RTMAX"}) {
    if (!signal.starts_with(realtime)) continue;
    std::string_view offset = signal.substr(realtime.size());
    if (offset.empty()) return true;
    const char sign = realtime == "RTMIN" ? '+' : '-';
    return offset.front() == sign && is_number_up_to(offset.substr(1), 15);
  }
  return false;
}

// "USER" or "USER:GROUP", each a name or a number: visible ASCII but ':'.
bool is_user(std::string_view user) {
  if (user.size() > 256) return false;
  auto colon = user.find(':');
  auto is_part = [](std::string_view part) {
    return !part.empty() && std::all_of(part.begin(), part.end(),
                                        [](char c) { return c > ' ' && c < 0x7f && c != ':'; });
  };
  if (colon == std::string_view::npos) return is_part(user);
  return is_part(user.substr(0, colon)) && is_part(user.substr(colon + 1));
}

std::vector<std::string> sorted_unique(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  return items;
}

std::vector<std::string> read_env(const json& value) {
  std::vector<std::string> env = string_list(value, "config.Env");
  for (std::size_t i = 0; i < env.size(); ++i)
    if (!is_env_entry(env[i]))
      throw JsonInvalid{"config.Env[" + std::to_string(i) + "] must be KEY=value, not " +
                        in_quotes(env[i])};
  return env;
}

std::vector<std::string> read_ports(const json& value) {
  std::vector<std::string> ports;
  for (const auto& key : key_set(value, "config.ExposedPorts")) {
    auto port = normalized_port(key);
    if (!port)
      throw JsonInvalid{"config.ExposedPorts has an invalid key " + quoted_key(key) +
                        " (PORT, PORT/tcp, PORT/udp or PORT/sctp, PORT 1-65535)"};
    ports.push_back(std::move(*port));
  }
  return sorted_unique(std::move(ports));
}

std::vector<std::string> read_volumes(const json& value) {
  std::vector<std::string> volumes = key_set(value, "config.Volumes");
  for (const auto& volume : volumes)
    if (!is_absolute_path(volume))
      throw JsonInvalid{"config.Volumes has an invalid key " + quoted_key(volume) +
                        " (an absolute path)"};
  return sorted_unique(std::move(volumes));
}

std::string read_working_dir(const json& value) {
  std::string dir = string_value(value, "config.WorkingDir");
  if (!dir.empty() && !is_absolute_path(dir))
    throw JsonInvalid{"config.WorkingDir must be an absolute path, not " + in_quotes(dir)};
  return dir;
}

std::string read_stop_signal(const json& value) {
  std::string signal = string_value(value, "config.StopSignal");
  if (!signal.empty() && !is_signal(signal))
    throw JsonInvalid{
        "config.StopSignal must be a signal name like SIGTERM, TERM or SIGRTMIN+3, "
        "or a number from 1 to 64, not " +
        in_quotes(signal)};
  return signal;
}

std::string read_user(const json& value) {
  std::string user = string_value(value, "config.User");
  if (!user.empty() && !is_user(user))
    throw JsonInvalid{
        "config.User must be USER or USER:GROUP, each a name or a number without "
        "spaces or control characters, not " +
        in_quotes(user)};
  return user;
}

ContainerConfig read_config(const json& value) {
  if (!value.is_object()) throw JsonInvalid{"config must be an object"};
  ContainerConfig config;
  auto field = [&value](const char* key) -> const json* {
    auto it = value.find(key);
    return it == value.end() || it->is_null() ? nullptr : &*it;
  };
  if (auto* v = field("Entrypoint")) config.entrypoint = string_list(*v, "config.Entrypoint");
  if (auto* v = field("Cmd")) config.cmd = string_list(*v, "config.Cmd");
  if (auto* v = field("Env")) config.env = read_env(*v);
  if (auto* v = field("WorkingDir")) config.working_dir = read_working_dir(*v);
  if (auto* v = field("User")) config.user = read_user(*v);
  if (auto* v = field("ExposedPorts")) config.exposed_ports = read_ports(*v);
  if (auto* v = field("Volumes")) config.volumes = read_volumes(*v);
  if (auto* v = field("Labels")) config.labels = string_map(*v, "config.Labels");
  if (auto* v = field("StopSignal")) config.stop_signal = read_stop_signal(*v);
  return config;
}

const json& layer_list(const json& document) {
  const json& layers = member(document, "layers", "");
  if (!layers.is_array()) throw JsonInvalid{"layers must be an array"};
  if (layers.empty()) throw JsonInvalid{"layers is empty: an image needs at least one layer"};
  if (layers.size() > max_image_layers)
    throw JsonInvalid{"layers has " + std::to_string(layers.size()) + " entries; at most " +
                      std::to_string(max_image_layers) + " are allowed (containerd's limit)"};
  return layers;
}

Cid layer_cid(const json& entry, std::size_t index) {
  const std::string where = "layers[" + std::to_string(index) + "]";
  const std::string& text = string_value(entry, where);
  auto cid = parse_cid(text);
  if (!cid)
    throw JsonInvalid{where + " must be the CID of a layer manifest, not " + in_quotes(text) +
                      ": " + cid.error()};
  return std::move(*cid);
}

// Everything but the layers.
void read_settings(json& document, bool media_type_required, ImageDocument& image) {
  if (!document.is_object()) throw JsonInvalid{"the document must be a JSON object"};
  if (media_type_required || document.contains("mediaType")) {
    const std::string& media_type = string_member(document, "mediaType", "");
    if (media_type != image_document_media_type)
      throw JsonInvalid{"mediaType must be \"" + std::string(image_document_media_type) +
                        "\", not " + in_quotes(media_type) +
                        (media_type == layer_manifest_media_type
                             ? " (a layer manifest is served as layer/<CID>)"
                             : "")};
  }
  if (auto it = document.find("config"); it != document.end()) image.config = read_config(*it);
  if (auto it = document.find("platform"); it != document.end())
    image.platform = parse_platform(*it, "platform");
  if (auto it = document.find("annotations"); it != document.end())
    image.annotations = take_string_map(*it, "annotations");
  if (auto it = document.find("tag"); it != document.end()) {
    image.tag = string_value(*it, "tag");
    if (!is_tag(image.tag))
      throw JsonInvalid{"tag must be an OCI tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127}), not " +
                        in_quotes(image.tag)};
  }
}

ImageDocument validate_document(json& document) {
  ImageDocument image;
  read_settings(document, true, image);
  const json& layers = layer_list(document);
  for (std::size_t i = 0; i < layers.size(); ++i) image.layers.push_back(layer_cid(layers[i], i));
  return image;
}

// An absolute path in normal form: `path` without empty or "." segments, each ".." taking the
// one before it away; `problem` says what `at` had that is not (empty when nothing). A segment
// that no normal form has (a backslash, a control character, ...) is an error.
struct NormalForm {
  std::string path;
  std::string problem;
};

NormalForm normal_form(std::string_view at, const std::string& where) {
  std::vector<std::string_view> kept;
  NormalForm form;
  for (std::size_t start = 1; start <= at.size();) {
    std::size_t end = std::min(at.find('/', start), at.size());
    std::string_view segment = at.substr(start, end - start);
    start = end + 1;
    if (segment.empty() || segment == "." || segment == "..") {
      if (form.problem.empty())
        form.problem = segment.empty() ? "an empty segment (\"//\" or a final \"/\")"
                                       : "a " + in_quotes(segment) + " segment";
      if (segment == ".." && !kept.empty()) kept.pop_back();
      continue;
    }
    if (auto problem = path_segment_problem(segment))
      throw JsonInvalid{where + " " + in_quotes(at, 200) + " has " + *problem};
    kept.push_back(segment);
  }
  for (auto segment : kept) form.path += "/" + std::string(segment);
  if (form.path.empty()) form.path = "/";
  if (at == "/") form.problem.clear();
  return form;
}

// `at` when it is "/" or an absolute path in normal form. The error says what to write instead.
std::string checked_at(const std::string& at, const std::string& where) {
  if (at.size() > max_compose_at_length)
    throw JsonInvalid{where + " is longer than " + std::to_string(max_compose_at_length) +
                      " bytes"};
  if (!at.starts_with('/'))
    throw JsonInvalid{where + " must be an absolute path, not " + in_quotes(at, 200) + ": write " +
                      in_quotes(normal_form("/" + at, where).path, 200)};
  NormalForm form = normal_form(at, where);
  if (form.problem.empty()) return at;
  throw JsonInvalid{where + " " + in_quotes(at, 200) + " has " + form.problem + ": write " +
                    in_quotes(form.path, 200)};
}

constexpr std::string_view entry_object_example = "{\"path\": \"app\", \"at\": \"/app\"}";

ComposeEntry compose_entry(const json& value, const std::string& where) {
  ComposeEntry entry;
  if (!value.is_string() && !value.is_object())
    throw JsonInvalid{where + " must be a path, a reference or a CID (a string), or an object " +
                      std::string(entry_object_example)};
  const json* path = &value;
  if (value.is_object()) {
    for (const auto& [key, each] : value.items())
      if (key != "path" && key != "at")
        throw JsonInvalid{where + " has an unknown key " + quoted_key(key) +
                          ": an entry object has only \"path\" and \"at\", as in " +
                          std::string(entry_object_example)};
    if (!value.contains("path"))
      throw JsonInvalid{where + " has no \"path\": write " + std::string(entry_object_example)};
    path = &value["path"];
    if (value.contains("at"))
      entry.at = checked_at(string_value(value["at"], where + ".at"), where + ".at");
  }
  const std::string path_where = value.is_object() ? where + ".path" : where;
  entry.path = string_value(*path, path_where);
  if (entry.path.empty()) throw JsonInvalid{path_where + " is empty"};
  return entry;
}

ComposeFile validate_compose(json& document) {
  ComposeFile compose;
  read_settings(document, false, compose.image);
  const json& layers = layer_list(document);
  for (std::size_t i = 0; i < layers.size(); ++i)
    compose.layers.push_back(compose_entry(layers[i], "layers[" + std::to_string(i) + "]"));
  return compose;
}

json object_of_keys(const std::vector<std::string>& keys) {
  json out = json::object();
  for (const auto& key : keys) out[key] = json::object();
  return out;
}

nlohmann::ordered_json platform_object(const Platform& platform) {
  nlohmann::ordered_json out = {{"os", platform.os}, {"architecture", platform.architecture}};
  if (!platform.variant.empty()) out["variant"] = platform.variant;
  return out;
}

}  // namespace

namespace {

json config_object(const ContainerConfig& config) {
  json out = json::object();
  if (config.entrypoint) out["Entrypoint"] = *config.entrypoint;
  if (config.cmd) out["Cmd"] = *config.cmd;
  if (!config.env.empty()) out["Env"] = config.env;
  if (!config.working_dir.empty()) out["WorkingDir"] = config.working_dir;
  if (!config.user.empty()) out["User"] = config.user;
  if (!config.exposed_ports.empty()) out["ExposedPorts"] = object_of_keys(config.exposed_ports);
  if (!config.volumes.empty()) out["Volumes"] = object_of_keys(config.volumes);
  if (!config.labels.empty()) out["Labels"] = config.labels;
  if (!config.stop_signal.empty()) out["StopSignal"] = config.stop_signal;
  return out;
}

}  // namespace

std::string container_config_json(const ContainerConfig& config) {
  return config_object(config).dump();
}

std::string image_document_json(const ImageDocument& document) {
  nlohmann::ordered_json out;
  out["mediaType"] = image_document_media_type;
  json layers = json::array();
  for (const auto& layer : document.layers) layers.push_back(layer.to_string());
  out["layers"] = std::move(layers);
  if (json config = config_object(document.config); !config.empty())
    out["config"] = std::move(config);
  if (document.platform) out["platform"] = platform_object(*document.platform);
  if (!document.annotations.empty()) out["annotations"] = document.annotations;
  if (!document.tag.empty()) out["tag"] = document.tag;
  return out.dump(2) + "\n";
}

Expected<ImageDocument> parse_image_document(std::string_view text) {
  return parse_document<ImageDocument>(text, max_image_document_size, validate_document);
}

namespace {

// Reads a document only as far as its top-level "mediaType" string, building nothing.
struct MediaTypeSniffer {
  std::string media_type;
  std::size_t depth = 0;
  bool next_is_it = false;  // the last key read at the top level was "mediaType"

  bool value() {
    next_is_it = false;
    return true;
  }
  bool null() { return value(); }
  bool boolean(bool) { return value(); }
  bool number_integer(json::number_integer_t) { return value(); }
  bool number_unsigned(json::number_unsigned_t) { return value(); }
  bool number_float(json::number_float_t, const std::string&) { return value(); }
  bool binary(json::binary_t&) { return value(); }
  bool string(std::string& text) {
    if (!next_is_it) return value();
    media_type = std::move(text);
    return false;  // found: stop reading
  }
  bool start_object(std::size_t) { return open(true); }
  bool start_array(std::size_t) { return open(false); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(std::string& name) {
    next_is_it = depth == 1 && name == "mediaType";
    return true;
  }
  template <class Exception>
  bool parse_error(std::size_t, const std::string&, const Exception&) {
    return false;
  }

 private:
  bool open(bool object) {
    if (depth == 0 && !object) return false;  // not an object: no media type
    next_is_it = false;
    return ++depth <= max_json_depth;
  }
  bool close() {
    --depth;
    return value();
  }
};

}  // namespace

std::string declared_media_type(std::string_view text) {
  if (text.size() > max_image_document_size) return {};
  MediaTypeSniffer sniffer;
  json::sax_parse(text, &sniffer, json::input_format_t::json, /*strict=*/false);
  return sniffer.media_type;
}

bool declares_image_document(std::string_view text) {
  return declared_media_type(text) == image_document_media_type;
}

Expected<ComposeFile> parse_compose_file(std::string_view text) {
  return parse_document<ComposeFile>(text, max_image_document_size, validate_compose);
}

}  // namespace ocipfs
