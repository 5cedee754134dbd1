// The registry's answers under /v2/: from a routed request and the image its repository names,
// as plain data in and out.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string_view>
#include <variant>

#include "ocipfs/cache/caching_resolver.hpp"
#include "ocipfs/http/exchange.hpp"
#include "ocipfs/http/layer_source.hpp"
#include "ocipfs/http/route.hpp"
#include "ocipfs/image/document_memo.hpp"
#include "ocipfs/registry/redirect.hpp"

namespace ocipfs {

class Handler {
 public:
  // `images` is the thread's way to its images; `redirect_gateway` is the public gateway base
  // that layer downloads are sent to, unless `layer_streams` (--blobs=proxy, the thread's; it
  // must outlive the handler) streams them through.
  Handler(CachingResolver& images, RedirectGateway redirect_gateway,
          LayerSource* layer_streams = nullptr);

  // The warm answer to `route` of a GET or HEAD, into `out` (reset first), when it names a
  // manifest, blob or tags list of a cached image (CachingResolver::cached), whichever thread
  // cached it: true. False leaves the request to answer with nothing said: a miss, or an answer
  // that is an error (those are worded by the checked route). Allocates nothing when `out` has
  // room; locks the cache for one look-up.
  bool answer_warm(const RouteView& route, const Request& request, Response& out);
  // The answer to a checked registry route (names_repository, or base) of a GET or HEAD, its
  // image looked up once: at once when no waiting is needed (/v2/, referrers, cached images and
  // errors: no coroutine), else the work that waits for the image's fetch, then answers.
  // `request` must outlive that work.
  std::variant<Response, boost::asio::awaitable<Response>> answer(const Request& request,
                                                                  Route route);

 private:
  boost::asio::awaitable<Response> answer_later(const Request& request, Route route,
                                                CachingResolver::Lookup lookup);
  Response answer_with(const Route& route, const Request& request, const Resolution& image);
  // The layer a GET or HEAD of `route` streams through (--blobs=proxy), or null.
  const ImageLayer* proxied_layer(const Route& route, const Resolution& image) const;
  // 200 and the layer's bytes as they come from the gateways; 206 with the ranges a Range asks
  // (If-Range permitting; several as multipart/byteranges), 416 when it asks none of its bytes;
  // 304 for an If-None-Match of its digest; HEAD: the size, nothing fetched. Or the error that
  // kept the bytes from starting.
  // `layer` is one of `image`'s.
  boost::asio::awaitable<Response> stream_layer(const Request& request, ImagePtr image,
                                                const ImageLayer& layer);

  CachingResolver& images_;
  RedirectGateway redirect_gateway_;
  LayerSource* layer_streams_;
  DocumentMemo memo_;  // the thread's: a Handler answers on one thread
};

// The pure parts, exposed for tests.

// True when a client with this Accept header takes an OCI image index.
bool accepts_index(std::string_view accept);
// True when a client with this Accept header takes `media_type` (listed, */*, application/*, or
// no Accept at all).
bool accepts(std::string_view accept, std::string_view media_type);

// The answer to `route` from `image`, into `out`; false when the image has no such manifest,
// blob or tag (or the route is no manifest, blob or tags list). Large documents come from `memo`
// when it holds them, and are kept there (none: each is rendered).
bool answer_from(const RouteView& route, const Request& request, const ImagePtr& image,
                 const RedirectGateway& redirect_gateway, Response& out,
                 DocumentMemo* memo = nullptr);

// The answer to a routed request for an image that resolved (`memo` as answer_from).
Response answer(const Route& route, const Request& request, const ImagePtr& image,
                const RedirectGateway& redirect_gateway, DocumentMemo* memo = nullptr);

// The error a GET of manifest route `route` gets from `image`: nullopt when it is served (its
// tag is one of the image's, or its digest one of its manifests).
std::optional<RegistryError> manifest_refusal(const Route& route, const Image& image);

// True when an If-None-Match value names `digest` (quoted or not, weak or not) or is "*".
bool matches_etag(std::string_view if_none_match, std::string_view digest);

}  // namespace ocipfs
