// What resolving a repository (a kind of document and its CID) gives: the image it serves, or a
// registry error; the source of verified documents that resolvers build from; and the pure steps
// from documents to images.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/base/registry_error.hpp"
#include "ocipfs/cache/lru_cache.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/image/image.hpp"
#include "ocipfs/image/image_document.hpp"
#include "ocipfs/image/repository.hpp"
#include "ocipfs/image/verbatim_image.hpp"

namespace ocipfs {

using ImagePtr = std::shared_ptr<const Image>;
using Resolution = Expected<ImagePtr, RegistryError>;

// A document's bytes, proven to be what its CID names, or a ready-made registry error.
using Content = Expected<std::string, RegistryError>;

// Where verified documents come from. `kind` only names the document in messages: the bytes of a
// CID are the same whatever they are read as.
class ContentSource {
 public:
  virtual ~ContentSource() = default;
  virtual boost::asio::awaitable<Content> fetch(const Cid& cid, DocumentKind kind) = 0;
};

// Validates verified bytes as a layer manifest and synthesizes its one-layer image (pure). `kind`
// names the document in messages.
Resolution build_image(DocumentKind kind, const Cid& cid, const Content& content);

// An image document's layers are resolved this many at once, each as layer/<CID> is.
inline constexpr std::size_t layer_resolutions_at_once = 32;

// A verbatim image's indexes, manifests and configs are fetched this many at once, each as soon
// as the document naming it is in.
inline constexpr std::size_t verbatim_fetches_at_once = 64;

// True when an image document's bytes declare a verbatim image (read_verbatim_document), false
// for a composed one (read_image_document): how to read it, valid or not.
bool keeps_verbatim_image(const std::string& content);

// Validates verified bytes as an image document; 404 MANIFEST_INVALID naming the CID and the
// field otherwise, or the content's own error.
Expected<ImageDocument, RegistryError> read_image_document(const Cid& cid, const Content& content);

// The verbatim document in verifed bytes that declare one, or 404 MANIFEST_INVALID naming it.
Expected<VerbatimDocument, RegistryError> read_verbatim_document(const Cid& cid,
                                                                 const std::string& content);

// The image a verbatim document (named `cid`) keeps, from the bytes of its blobs by digest (see
// verbatim_image), or 404 MANIFEST_INVALID naming the image. Pure.
Resolution verbatim_resolution(const Cid& cid, const VerbatimDocument& document,
                               const std::map<std::string, std::string>& blobs);

// The image `document` (named `cid`) composes, from the resolution of each of its layers, in
// order. The first layer that failed decides the answer: its error, status and code, with a
// message that names it: `layer 3 of image bafk... (bafk...): ...`. Pure.
Resolution compose_resolution(const Cid& cid, const ImageDocument& document,
                              const std::vector<Resolution>& layers);

// True for what may be cached: images, and documents proven invalid (immutable too). Gateway
// failures never are.
bool is_cacheable(const Resolution& value);

// What keeping `image` under `key` costs the cache's memory, all told (for LruCache::insert).
std::size_t cache_cost(std::string_view key, const Image& image);

}  // namespace ocipfs
