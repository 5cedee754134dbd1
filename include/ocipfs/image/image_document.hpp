// The image document: the JSON on IPFS that composes an image out of layer manifests and a
// container config; and the compose file that `ocipfs compose` turns into one.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/image/platform.hpp"

namespace ocipfs {

inline constexpr std::string_view image_document_media_type =
    "application/vnd.ocipfs.image.manifest.v1+json";
// containerd refuses more (the overlay mount's limit).
inline constexpr std::size_t max_image_layers = 127;
inline constexpr std::size_t max_image_document_size = 1024 * 1024;

// The `config` of an OCI image config (image-spec config.md), with OCI's names and types. Lists
// keep "absent" apart from "empty": an empty Entrypoint resets a base image's, an absent one
// does not.
struct ContainerConfig {
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::vector<std::string> env;            // "KEY=value", KEY not empty
  std::string working_dir;                 // absolute, or empty for none
  std::string user;                        // "uid[:gid]" or names, or empty for none
  std::vector<std::string> exposed_ports;  // "80/tcp", "53/udp", "9/sctp"; sorted, unique
  std::vector<std::string> volumes;        // absolute paths; sorted, unique
  std::map<std::string, std::string> labels;
  std::string stop_signal;  // "SIGTERM", "TERM" or a number; empty for none

  friend bool operator==(const ContainerConfig&, const ContainerConfig&) = default;
};

struct ImageDocument {
  std::vector<Cid> layers;  // layer manifests, bottom first: 1 to max_image_layers
  ContainerConfig config;
  std::optional<Platform> platform;                // the image's, when it is for one only
  std::map<std::string, std::string> annotations;  // onto every manifest of the image
  std::string tag;                                 // a tag besides latest, or empty
};

// Parses and validates an image document: mediaType must be image_document_media_type; each
// layer a CID (any form: CIDv0, CIDv1 in any base); each field of the type the OCI image spec
// gives it; Env entries KEY=value; ports PORT[/tcp|udp|sctp] with PORT 1-65535 ("80" is
// "80/tcp", as Docker reads it); volumes absolute; tag a valid OCI tag; at most
// max_image_document_size bytes. Unknown fields are ignored, in `config` too. The error names
// the field and the problem, e.g. `config.Env[2] must be KEY=value, not "PATH"`.
Expected<ImageDocument> parse_image_document(std::string_view json);

// The document's canonical text, as `ocipfs compose` stores it: keys in the order of the README
// (mediaType, layers, config, platform, annotations, tag), empty fields left out, layers as
// CIDv1 in base32, two-space indentation, a final newline. parse_image_document of it gives
// `document` back.
std::string image_document_json(const ImageDocument& document);

// The mediaType that `json` declares when it is a JSON object with a string mediaType (of at most
// max_image_document_size bytes); "" otherwise. It says how to read the document, valid or not.
std::string declared_media_type(std::string_view json);

// declared_media_type(json) == image_document_media_type.
bool declares_image_document(std::string_view json);

// The OCI `config` object for `config`, as canonical JSON (keys sorted, no whitespace): empty
// fields left out, an absent Entrypoint or Cmd too, an empty one kept.
std::string container_config_json(const ContainerConfig& config);

// The longest `at` of a compose file's layer entry.
inline constexpr std::size_t max_compose_at_length = 4096;

// One layer of a compose file: "PATH", or {"path": "PATH", "at": "/DIR"}.
struct ComposeEntry {
  // As written, not empty: a directory or a tarball (relative to the compose file), a
  // HOST/layer/<CID>[:TAG|@DIGEST] reference, or a layer manifest's CID.
  std::string path;
  // Where a directory's contents go in the layer: "/" (its root), or an absolute path whose
  // segments are each a valid IPFS path segment (never empty, "." or "..", no '\\', '?', '#' or
  // control characters), as written: "/app", "/usr/local/app".
  std::string at = "/";

  friend bool operator==(const ComposeEntry&, const ComposeEntry&) = default;
};

// A compose file: an image document whose layers may be written other ways.
struct ComposeFile {
  std::vector<ComposeEntry> layers;
  ImageDocument image;  // every other field; image.layers is empty
};

// Parses a compose file: the image document's rules, except that mediaType may be left out and
// each layer (1 to max_image_layers of them) is a non-empty string or an object with "path" (a
// non-empty string) and optionally "at" (see ComposeEntry; at most max_compose_at_length bytes),
// no other key. Errors as parse_image_document's; one about an entry names it by its index and
// says what to write instead, e.g. `layers[1].at must be an absolute path, not "app": write
// "/app"`.
Expected<ComposeFile> parse_compose_file(std::string_view json);

}  // namespace ocipfs
