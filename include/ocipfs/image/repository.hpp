// Repository names: which kind of document on IPFS a name such as "layer/<cid>" or "image/<cid>"
// serves, and its CID.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/base/registry_error.hpp"
#include "ocipfs/formats/cid.hpp"

namespace ocipfs {

// The kinds of document a repository can name; the name's first component says which.
enum class DocumentKind {
  layer,  // layer/<cid>: a layer manifest, served as a one-layer image
  image,  // image/<cid>: an image document (composed or verbatim), served as its image
  blob,   // not a name: an index, manifest or config that a verbatim image keeps
};

struct Repository {
  DocumentKind kind = DocumentKind::layer;
  Cid cid;           // the document's CID
  std::string name;  // as requested, e.g. "layer/bafk..."
};

// What messages call a kind of document, e.g. "layer manifest".
std::string_view document_noun(DocumentKind kind);

// The answer for proven content that is not a valid document of `kind`: 404 MANIFEST_INVALID,
// immutable like the content. The message names the document and the problem.
RegistryError invalid_document(DocumentKind kind, const std::string& cid,
                               const std::string& problem);

// What to tell a user whose CID names `what` ("a UnixFS directory", "a gzip stream") where a
// document of `kind` belongs: what it is, and which CID to give instead.
std::string not_a_document_message(DocumentKind kind, const std::string& cid,
                                   std::string_view what);

// The answer for proven content that is `what` instead of a document: 400 MANIFEST_INVALID
// (not_a_manifest), immutable like the content, with not_a_document_message.
RegistryError not_a_document(DocumentKind kind, const std::string& cid, std::string_view what);

// True for names of the OCI grammar: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/...)*, at most 255.
bool is_repository_name(std::string_view name);

// True for a valid OCI tag: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
bool is_tag(std::string_view text);

// Parses a name of the OCI grammar into the repository it serves: "<kind>/<CID>", the CID in
// lowercase base32 or base36 (OCI names are lowercase). Any other name is 404 NAME_UNKNOWN, with a
// message that says which names are served.
Expected<Repository, RegistryError> parse_repository(std::string_view name);

// What a repository name names, found without allocating: its kind and its CID as a binary
// CIDv1, for every name that a route accepts (is_repository_name, then parse_repository), and
// nullopt for every other.
struct RepositoryId {
  DocumentKind kind = DocumentKind::layer;
  CidV1Bytes cid;
};
std::optional<RepositoryId> identify_repository(std::string_view name);

}  // namespace ocipfs
