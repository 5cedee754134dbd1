// ocipfs inspect HOST/NAME[:TAG|@DIGEST]: what the registry at HOST answers, checked as a client
// would check it (private to the ocipfs executable).
#pragma once

#include <chrono>
#include <string>

#include "ocipfs/http/url.hpp"
#include "report.hpp"

namespace ocipfs::cli {

struct RegistryReference {
  std::string host;       // HOST as written: "127.0.0.1:5000", "ocipfs.io"
  std::string name;       // "layer/<cid>" or "image/<cid>"
  std::string reference;  // a tag or a "sha256:..." digest; "latest" when none was given
};

// The registry at `host` ("host[:port]"): http:// for a loopback host (as docker treats
// localhost), https:// otherwise. Throws UsageError when `host` is not host[:port].
HttpUrl registry_origin(const std::string& host);

// Speaks the distribution API to the registry: GET /v2/, the manifest by tag or digest (OCI and
// Docker Accept types), for an index each manifest it names, each manifest's config blob, and
// for each layer blob a HEAD (200, its size and digest expected) and a GET whose redirect is not
// followed (a 302 with a Location expected: no layer is downloaded). Every request has
// `timeout` as its deadline and every body a size limit. Checks that Docker-Content-Digest is the
// sha256 of each manifest's body (and the digest asked for), that the media types are the
// expected ones, that each manifest and config has the digest and size its descriptor gives, and
// that a config has one diff_id per layer. Prints the image and each failed check through
// `report`; returns 0 when every check passed, else 1. An error answer (an OCI error body) to
// GET /v2/ or to the manifest asked for is a Failure with its status, code and message; a
// request that gets no answer is a Failure naming it.
int inspect_registry(const RegistryReference& ref, std::chrono::milliseconds timeout,
                     const Report& report);

}  // namespace ocipfs::cli
