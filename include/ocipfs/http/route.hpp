// Routing: what a request target asks for, decided once and without I/O, for every path the
// server answers (the registry under /v2/ and the operational endpoints).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/base/registry_error.hpp"
#include "ocipfs/image/repository.hpp"

namespace ocipfs {

enum class RouteKind {
  base,       // /v2/
  manifest,   // /v2/<name>/manifests/<tag or digest>
  blob,       // /v2/<name>/blobs/<digest>
  tags_list,  // /v2/<name>/tags/list
  referrers,  // /v2/<name>/referrers/<digest>
  healthz,    // /healthz
  readyz,     // /readyz
  metrics,    // /metrics
  page,       // the pages for people: /, /layer/<cid>[:<tag>], /image/<cid>[:<tag>]
  unknown,    // anything else
};
inline constexpr std::size_t route_kind_count = 10;

// True for the routes that name a repository (manifests, blobs, tags, referrers).
bool names_repository(RouteKind kind);
// True for /healthz, /readyz and /metrics.
bool is_operational(RouteKind kind);

// A request target split once: the path, and the query after '?' (without it).
struct RequestTarget {
  std::string_view path;
  std::string_view query;
};
// Splits an origin-form target ("/v2/?q"), or an absolute-form one ("http://host:port/v2/?q",
// RFC 9112 3.2.2: the scheme http or https in any case; the authority is not checked, as Host
// is not), which names the same path and query ("/" when it has no path).
RequestTarget split_target(std::string_view target);

// A path's route, split but not yet checked: views into the path, made without allocating. Its
// kind is the route's whether or not the rest checks out.
struct RouteView {
  RouteKind kind = RouteKind::unknown;
  std::string_view path;       // the whole path
  std::string_view name;       // the repository name as written, for the routes that name one
  std::string_view reference;  // the tag or digest as written; empty for tags/list

  bool by_digest() const { return reference.starts_with("sha256:"); }
};

// Splits the path of a request target (no query) into its route: the kind from the path's shape
// ("/v2/<name>/manifests/<reference>", ..., the last marker in the path), and for the routes
// that name a repository the name and the reference, checked by parse_route only. A path outside
// /v2/ that is "/" or starts with "/layer/" or "/image/" is a page (checked only after every
// registry path is ruled out).
RouteView split_route(std::string_view path);

struct Route {
  RouteKind kind = RouteKind::base;
  Repository repository;  // for the routes that name one
  std::string reference;  // a tag or a digest; for blobs and referrers always a sha256 digest

  bool by_digest() const { return reference.starts_with("sha256:"); }
};

// A path refused: what it asked for (known from its shape, for metrics) and the answer.
struct RouteError {
  RouteKind kind = RouteKind::unknown;
  RegistryError error;
};

// Checks a split route, and makes it the Route it names, of the same kind (a page is checked by
// the pages themselves). Errors are registry
// answers: 404 NAME_UNKNOWN for unknown paths and names that are not <kind>/<lowercase CID>, 400
// NAME_INVALID for names outside the grammar, 400 DIGEST_INVALID for malformed digests, 404
// MANIFEST_UNKNOWN or BLOB_UNKNOWN for tags and digests that can never exist.
Expected<Route, RouteError> parse_route(const RouteView& route);
// parse_route(split_route(path)).
Expected<Route, RouteError> parse_route(std::string_view path);

}  // namespace ocipfs
