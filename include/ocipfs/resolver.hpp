// The resolver seam: from a repository (a kind of document and its CID) to the image it serves,
// or a registry error; and the source of verified documents that resolvers build from.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "ocipfs/cid.hpp"
#include "ocipfs/expected.hpp"
#include "ocipfs/image.hpp"
#include "ocipfs/registry_error.hpp"
#include "ocipfs/repository.hpp"

namespace ocipfs {

using ImagePtr = std::shared_ptr<const Image>;
using Resolution = Expected<ImagePtr, RegistryError>;

class Resolver {
 public:
  virtual ~Resolver() = default;
  // Resolves `repository` to its image. Errors are ready-made registry answers.
  virtual boost::asio::awaitable<Resolution> resolve(const Repository& repository) = 0;
  // The answer if it is at hand (cached), without waiting; nullopt otherwise.
  virtual std::optional<Resolution> cached(const Repository&) { return std::nullopt; }
};

// A document's bytes, proven to be what its CID names, or a ready-made registry error.
using Content = Expected<std::string, RegistryError>;

// Where verified documents come from. `kind` only names the document in messages: the bytes of a
// CID are the same whatever they are read as.
class ContentSource {
 public:
  virtual ~ContentSource() = default;
  virtual boost::asio::awaitable<Content> fetch(const Cid& cid, DocumentKind kind) = 0;
};

// Validates verified bytes as a document of `kind` and synthesizes its image (pure).
Resolution build_image(DocumentKind kind, const Cid& cid, const Content& content);

// True for what may be cached: images, and documents proven invalid (immutable too). Gateway
// failures never are.
bool is_cacheable(const Resolution& value);

// What a resolution costs in memory under `key`, all told (for LruCache::insert).
std::size_t cache_cost(const std::string& key, const Resolution& value);
std::size_t cache_cost(const std::string& key, const std::string& value);

}  // namespace ocipfs
