// Publishing to an IPFS node through its Kubo-compatible RPC API (POST /api/v0/add and
// /api/v0/dag/import), over http or https, with credentials when the node asks for them.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/http/url.hpp"
#include "ocipfs/publish/layer_dag.hpp"
#include "ocipfs/publish/pack.hpp"

namespace ocipfs {

struct IpfsApiOptions {
  // The deadline of each step: resolving, connecting, every write of the request, and every
  // read of the answer (so a large upload may take longer, as long as it progresses).
  std::chrono::milliseconds timeout{60'000};
  std::size_t max_answer_size = 16 * 1024 * 1024;
  std::string user_agent = "ocipfs";
  // The Authorization field sent with every request (ipfs_api_authorization), or none when
  // empty. A secret: no error or message shows it.
  std::string authorization;
};

// The Authorization field for a hosted node's credentials: "user:password" (anything with a ':')
// is "Basic <base64 of it>", anything else a bearer token, "Bearer <it>".
std::string ipfs_api_authorization(std::string_view credentials);

// One line of the add answer.
struct AddedEntry {
  std::string name;  // the path added; "" for the wrapping directory
  std::string hash;  // its CID, as the node wrote it
  std::string size;  // its cumulative size, as the node wrote it
};

// The request target for adding one file: `<base>/api/v0/add` with CIDv1 in base32, raw leaves
// and wrap-with-directory as asked. A base that already ends in /api/v0 is taken as it is.
std::string add_target(std::string_view base_path, bool wrap_with_directory);

// Parses the NDJSON answer of /api/v0/add: one {"Name","Hash","Size"} object per line, the root
// last. An error object ({"Message": ..., "Type": "error"}), a line that is not such an object,
// or an answer without entries is an error.
Expected<std::vector<AddedEntry>> parse_add_answer(std::string_view body);

// Adds `file` (or `content`) as one file named `name` (a single path segment) through the RPC
// API at `api`. Blocks until the node has answered. Errors are one line that names the API's
// origin and the step that failed: connection refused, a step over the deadline, a non-2xx
// answer (with the node's message), or a malformed answer.
Expected<std::vector<AddedEntry>> ipfs_add_file(const HttpUrl& api,
                                                const std::filesystem::path& file,
                                                std::string_view name, bool wrap_with_directory,
                                                const IpfsApiOptions& options = {});
Expected<std::vector<AddedEntry>> ipfs_add_bytes(const HttpUrl& api, std::string_view content,
                                                 std::string_view name, bool wrap_with_directory,
                                                 const IpfsApiOptions& options = {});

struct PublishedLayer {
  std::string directory_cid;  // the directory that holds the tarball under its file name
  std::string tarball_cid;    // the tarball itself
  std::string ipfs_path;      // "<directory_cid>/<file name>": the layer manifest's annotation
  std::string manifest;       // the layer manifest's bytes, as stored
  Cid manifest_cid;           // the layer manifest's CID, proven to name `manifest`
};

// Publishes a packed layer: adds the tarball wrapped in a directory, writes the layer manifest
// that points at it (validated with parse_layer_manifest), adds that (raw leaves, CIDv1), and
// checks that the CID the node answered names exactly these bytes, as ocipfsd will check.
Expected<PublishedLayer> publish_layer(const HttpUrl& api, const PackedLayer& layer,
                                       const IpfsApiOptions& options = {});

// The node's CIDs after publish_layer are the ones pack_layer_dag computed for the same tarball;
// otherwise an error that names both and says the node used other import parameters.
Expected<bool> check_node_cids(const PublishedLayer& published, const LayerDag& dag);

// One root line of the dag/import answer.
struct ImportedRoot {
  std::string cid;        // as the node wrote it
  std::string pin_error;  // the node's PinErrorMsg: empty when the root is pinned
};

// The request target for importing a CAR: `<base>/api/v0/dag/import?pin-roots=true`.
std::string dag_import_target(std::string_view base_path);

// Parses the NDJSON answer of /api/v0/dag/import (Kubo and js-ipfs write the same):
// {"Root":{"Cid":{"/":"<cid>"},"PinErrorMsg":""}} per root; {"Stats":...} lines are skipped. An
// error object ({"Message": ...}), another line, or no root at all is an error.
Expected<std::vector<ImportedRoot>> parse_dag_import_answer(std::string_view body);

// Sends the CAR file `car` to the node's dag/import (multipart, as add does), which stores every
// block and pins the roots. Deadlines, limits and errors as ipfs_add_file's.
Expected<std::vector<ImportedRoot>> ipfs_dag_import(const HttpUrl& api,
                                                    const std::filesystem::path& car,
                                                    const IpfsApiOptions& options = {});

// Imports the CAR file `car` and checks that the node pinned every one of `roots`: an error names
// a root the node did not list, or its pin error.
Expected<bool> import_car(const HttpUrl& api, const std::filesystem::path& car,
                          const std::vector<Cid>& roots, const IpfsApiOptions& options = {});

// Imports `dag.car` and checks that the node pinned every one of `dag.car_roots`.
Expected<bool> import_layer_car(const HttpUrl& api, const LayerDag& dag,
                                const IpfsApiOptions& options = {});

}  // namespace ocipfs
