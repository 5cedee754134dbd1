#include "ocipfs/route.hpp"

#include <array>
#include <optional>

#include "ocipfs/digest.hpp"
#include "ocipfs/image.hpp"
#include "ocipfs/text.hpp"

namespace ocipfs {

namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool is_name_component(std::string_view component) {
  if (component.empty() || !is_lower_alnum(component.front()) || !is_lower_alnum(component.back()))
    return false;
  for (std::size_t i = 0; i < component.size();) {
    if (is_lower_alnum(component[i])) {
      ++i;
      continue;
    }
    // A separator: ".", "_", "__" or "-+", always followed by an alphanumeric.
    std::size_t start = i;
    char c = component[i];
    if (c == '-') {
      while (i < component.size() && component[i] == '-') ++i;
    } else if (c == '_') {
      i += (i + 1 < component.size() && component[i + 1] == '_') ? 2 : 1;
    } else if (c == '.') {
      ++i;
    } else {
      return false;
    }
    if (i == start || i >= component.size() || !is_lower_alnum(component[i])) return false;
  }
  return true;
}

RegistryError not_found(std::string_view path) {
  return {404, ErrorCode::name_unknown, "no such registry path: " + printable(path)};
}

// Checks a digest reference: a well-formed sha256 digest, or an error.
std::optional<RegistryError> digest_problem(std::string_view digest, RouteKind kind) {
  if (is_sha256_digest(digest)) return std::nullopt;
  if (!is_digest_grammar(digest))
    return digest_invalid("invalid digest " + in_quotes(digest) + ": expected algorithm:hex");
  if (digest.starts_with("sha256:"))
    return digest_invalid("invalid digest " + in_quotes(digest) +
                          ": sha256 needs 64 lowercase hex digits");
  std::string message =
      "unknown digest " + in_quotes(digest) + ": this registry addresses by sha256";
  return kind == RouteKind::blob ? blob_unknown(message) : manifest_unknown(message);
}

}  // namespace

bool is_repository_name(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  std::size_t start = 0;
  while (true) {
    auto slash = name.find('/', start);
    if (!is_name_component(name.substr(start, slash - start))) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

Expected<Route, RegistryError> parse_route(std::string_view path) {
  constexpr std::string_view root = "/v2/";
  if (path == "/v2") return Route{};
  if (!path.starts_with(root)) return Unexpected{not_found(path)};
  std::string_view rest = path.substr(root.size());
  if (rest.empty()) return Route{};

  struct Suffix {
    std::string_view marker;
    RouteKind kind;
  };
  static constexpr std::array<Suffix, 4> suffixes = {{
      {"/manifests/", RouteKind::manifest},
      {"/blobs/", RouteKind::blob},
      {"/referrers/", RouteKind::referrers},
      {"/tags/list", RouteKind::tags_list},
  }};

  Route route;
  std::string_view name;
  bool matched = false;
  for (const auto& suffix : suffixes) {
    auto at = rest.rfind(suffix.marker);
    if (at == std::string_view::npos) continue;
    std::string_view reference = rest.substr(at + suffix.marker.size());
    if (suffix.kind == RouteKind::tags_list ? !reference.empty() : reference.empty()) continue;
    name = rest.substr(0, at);
    route.kind = suffix.kind;
    route.reference = std::string(reference);
    matched = true;
    break;
  }
  if (!matched) return Unexpected{not_found(path)};

  if (!is_repository_name(name))
    return Unexpected{name_invalid("invalid repository name " + in_quotes(name))};
  constexpr std::string_view prefix = "layer/";
  auto cid_text = name.substr(name.starts_with(prefix) ? prefix.size() : name.size());
  if (!name.starts_with(prefix) || cid_text.find('/') != std::string_view::npos)
    return Unexpected{name_unknown("repository " + in_quotes(name) +
                                   " is not served here: names are layer/<CID of a layer "
                                   "manifest, CIDv1 in lowercase base32 or base36>")};
  auto cid = parse_cid(cid_text);
  if (!cid || !is_lowercase_cid(cid_text))
    return Unexpected{name_unknown("repository " + in_quotes(name) +
                                   " does not name a CID (CIDv1 in lowercase base32 or base36)" +
                                   (cid ? std::string() : ": " + cid.error()))};
  route.name = std::string(name);
  route.cid = std::move(*cid);

  switch (route.kind) {
    case RouteKind::manifest:
      if (route.reference.find(':') != std::string::npos) {
        if (auto problem = digest_problem(route.reference, route.kind)) return Unexpected{*problem};
      } else if (!is_tag(route.reference)) {
        return Unexpected{
            manifest_unknown(in_quotes(route.reference) + " is neither a valid tag nor a digest")};
      }
      break;
    case RouteKind::blob:
    case RouteKind::referrers:
      if (auto problem = digest_problem(route.reference, route.kind)) return Unexpected{*problem};
      break;
    default:
      break;
  }
  return route;
}

}  // namespace ocipfs
