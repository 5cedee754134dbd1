#include "ocipfs/http/route.hpp"

#include <array>
#include <cstring>
#include <optional>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/image/image.hpp"

namespace ocipfs {

namespace {

struct Suffix {
  std::string_view marker;
  RouteKind kind;
};
constexpr std::array<Suffix, 4> suffixes = {{
    {"/manifests/", RouteKind::manifest},
    {"/blobs/", RouteKind::blob},
    {"/referrers/", RouteKind::referrers},
    {"/tags/list", RouteKind::tags_list},
}};

struct Fixed {
  std::string_view path;
  RouteKind kind;
};
constexpr std::array<Fixed, 5> fixed_paths = {{
    {"/v2/", RouteKind::base},
    {"/v2", RouteKind::base},
    {"/healthz", RouteKind::healthz},
    {"/readyz", RouteKind::readyz},
    {"/metrics", RouteKind::metrics},
}};

// The last '/' in `text` before `end`, or npos.
std::size_t last_slash(std::string_view text, std::size_t end) {
  const void* at = memrchr(text.data(), '/', end);
  return at ? static_cast<std::size_t>(static_cast<const char*>(at) - text.data())
            : std::string_view::npos;
}

// Where each suffix's marker last occurs in `text` (rfind's answer, npos for none), found in one
// pass over its slashes from the right: every marker starts with one. A warm request is split
// here, so this is kept to a few comparisons per slash.
std::array<std::size_t, suffixes.size()> last_markers(std::string_view text) {
  std::array<std::size_t, suffixes.size()> last;
  last.fill(std::string_view::npos);
  for (auto slash = last_slash(text, text.size()); slash != std::string_view::npos;
       slash = last_slash(text, slash))
    for (std::size_t i = 0; i < suffixes.size(); ++i)
      if (last[i] == std::string_view::npos && text.substr(slash).starts_with(suffixes[i].marker))
        last[i] = slash;
  return last;
}

Unexpected<RouteError> refuse(RouteKind kind, RegistryError error) {
  return Unexpected{RouteError{kind, std::move(error)}};
}

RegistryError not_found(std::string_view path) {
  return name_unknown("no such registry path: " + printable(path));
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

std::optional<RegistryError> reference_problem(RouteKind kind, const std::string& reference) {
  if (kind == RouteKind::blob || kind == RouteKind::referrers)
    return digest_problem(reference, kind);
  if (kind != RouteKind::manifest) return std::nullopt;
  if (reference.find(':') != std::string::npos) return digest_problem(reference, kind);
  if (!is_tag(reference))
    return manifest_unknown(in_quotes(reference) + " is neither a valid tag nor a digest");
  return std::nullopt;
}

// The repository route of a split path: its name and reference checked, and owned.
Expected<Route, RouteError> repository_route(const RouteView& view) {
  if (!is_repository_name(view.name))
    return refuse(view.kind, name_invalid("invalid repository name " + in_quotes(view.name)));
  auto repository = parse_repository(view.name);
  if (!repository) return refuse(view.kind, std::move(repository).error());
  Route route{view.kind, std::move(*repository), std::string(view.reference)};
  if (auto problem = reference_problem(route.kind, route.reference))
    return refuse(route.kind, std::move(*problem));
  return route;
}

}  // namespace

bool names_repository(RouteKind kind) {
  return kind == RouteKind::manifest || kind == RouteKind::blob || kind == RouteKind::tags_list ||
         kind == RouteKind::referrers;
}

bool is_operational(RouteKind kind) {
  return kind == RouteKind::healthz || kind == RouteKind::readyz || kind == RouteKind::metrics;
}

namespace {

bool is_http_scheme(std::string_view scheme) {
  constexpr std::string_view https = "https";
  if (scheme.size() != 4 && scheme.size() != 5) return false;
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if ((scheme[i] | 0x20) != https[i]) return false;
  return true;
}

// The path and query of an absolute-form target ("" when it has neither); nullopt for any other.
std::optional<std::string_view> absolute_form_rest(std::string_view target) {
  if (target.starts_with('/')) return std::nullopt;  // origin-form, the usual
  auto scheme_end = target.find("://");
  if (scheme_end == std::string_view::npos || !is_http_scheme(target.substr(0, scheme_end)))
    return std::nullopt;
  auto rest = target.substr(scheme_end + 3);
  auto path = rest.find_first_of("/?");
  return path == std::string_view::npos ? std::string_view() : rest.substr(path);
}

// A path outside /v2/: a page, or nothing this server answers.
RouteKind page_or_unknown(std::string_view path) {
  return path == "/" || path.starts_with("/layer/") || path.starts_with("/image/")
             ? RouteKind::page
             : RouteKind::unknown;
}

}  // namespace

RequestTarget split_target(std::string_view target) {
  if (auto rest = absolute_form_rest(target)) {
    target = *rest;
    if (target.empty() || target.front() == '?')
      return {"/", target.substr(target.empty() ? 0 : 1)};
  }
  auto mark = target.find('?');
  if (mark == std::string_view::npos) return {target, {}};
  return {target.substr(0, mark), target.substr(mark + 1)};
}

RouteView split_route(std::string_view path) {
  for (const auto& each : fixed_paths)
    if (path == each.path) return {each.kind, path, {}, {}};
  constexpr std::string_view root = "/v2/";
  if (!path.starts_with(root)) return {page_or_unknown(path), path, {}, {}};
  // "<name><marker><reference>": the last of a marker in the path is where the name ends.
  std::string_view rest = path.substr(root.size());
  const auto last = last_markers(rest);
  for (std::size_t i = 0; i < suffixes.size(); ++i) {
    const Suffix& suffix = suffixes[i];
    auto at = last[i];
    if (at == std::string_view::npos) continue;
    std::string_view reference = rest.substr(at + suffix.marker.size());
    if (suffix.kind == RouteKind::tags_list ? !reference.empty() : reference.empty()) continue;
    return {suffix.kind, path, rest.substr(0, at), reference};
  }
  return {RouteKind::unknown, path, {}, {}};
}

Expected<Route, RouteError> parse_route(const RouteView& route) {
  if (route.kind == RouteKind::unknown) return refuse(RouteKind::unknown, not_found(route.path));
  if (!names_repository(route.kind)) return Route{route.kind, {}, {}};
  return repository_route(route);
}

Expected<Route, RouteError> parse_route(std::string_view path) {
  return parse_route(split_route(path));
}

}  // namespace ocipfs
