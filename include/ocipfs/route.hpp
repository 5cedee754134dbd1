// Routing: what a request target under /v2/ asks for, decided without I/O.
#pragma once

#include <string>
#include <string_view>

#include "ocipfs/cid.hpp"
#include "ocipfs/expected.hpp"
#include "ocipfs/registry_error.hpp"

namespace ocipfs {

enum class RouteKind {
  base,       // /v2/
  manifest,   // /v2/<name>/manifests/<tag or digest>
  blob,       // /v2/<name>/blobs/<digest>
  tags_list,  // /v2/<name>/tags/list
  referrers,  // /v2/<name>/referrers/<digest>
};

struct Route {
  RouteKind kind = RouteKind::base;
  std::string name;       // the repository name as requested, e.g. "layer/bafk..."
  Cid cid;                // the CID in the name
  std::string reference;  // a tag or a digest; for blobs and referrers always a sha256 digest

  bool by_digest() const { return reference.starts_with("sha256:"); }
};

// True for names of the OCI grammar: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/...)*, at most 255.
bool is_repository_name(std::string_view name);

// Parses the path of a request target (no query). Errors are registry answers:
// 404 NAME_UNKNOWN for names that are not layer/<lowercase CID>, 400 NAME_INVALID for names
// outside the grammar, 400 DIGEST_INVALID for malformed digests, 404 for unknown paths and tags
// that can never exist.
Expected<Route, RegistryError> parse_route(std::string_view path);

}  // namespace ocipfs
