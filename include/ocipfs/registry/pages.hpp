// The pages for people: what a browser (or curl) gets for "/" and for an image reference pasted
// after the host, "/layer/<cid>[:<tag>]" or "/image/<cid>[:<tag>]". The facts come from the
// resolution a /v2/ pull makes; the pure parts render them as HTML or JSON.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/base/registry_error.hpp"
#include "ocipfs/cache/caching_resolver.hpp"
#include "ocipfs/http/exchange.hpp"
#include "ocipfs/http/route.hpp"
#include "ocipfs/registry/redirect.hpp"

namespace ocipfs {

class Pages {
 public:
  // `images` is the thread's resolver, the one /v2/ answers from; `redirect_gateway` is where
  // layers are downloaded; `public_host` (--public-host, may be empty) is the host the examples
  // name, else the request's Host when it is a valid host[:port].
  Pages(CachingResolver& images, RedirectGateway redirect_gateway, std::string public_host);

  // The answer to a GET or HEAD of a page route (RouteKind::page): at once for "/", a lookup
  // and any image or error at hand; else the work that waits for the image. `request` must
  // outlive that work.
  std::variant<Response, boost::asio::awaitable<Response>> answer(const Request& request);

 private:
  boost::asio::awaitable<Response> answer_later(const Request& request, Route route,
                                                CachingResolver::Lookup lookup);
  Response answer_with(const Request& request, const Route& route, const Resolution& image) const;

  CachingResolver& images_;
  RedirectGateway redirect_gateway_;
  std::string public_host_;
};

// The pure parts, exposed for tests.

// At most this long: a host[:port] in the examples.
inline constexpr std::size_t max_public_host_size = 261;

// True for a host[:port] fit to show: a DNS name or IPv4 address ([A-Za-z0-9.-]), or an IPv6
// literal in brackets, with an optional port of 1 to 5 digits; at most max_public_host_size.
bool is_public_host(std::string_view text);

// The host the examples name: `public_host` when set, else `host_field` when is_public_host,
// else the placeholder "HOST".
std::string example_host(std::string_view public_host, std::string_view host_field);

enum class PageFormat { html, json };

// HTML when the Accept header names text/html (or application/xhtml+xml) before any
// application/json; JSON otherwise (application/json, */*, none: curl and scripts).
PageFormat page_format(std::string_view accept);

// The manifest route a page path names: "/layer/<cid>[:<tag>|@<digest>]" or "/image/...", the
// tag "latest" when none is given, checked as /v2/<name>/manifests/<reference> is (the same
// error, code and status).
Expected<Route, RegistryError> page_route(std::string_view path);

// What the look-up form asked for: nullopt when the query has no "cid" (the home page), else
// the path to send the browser to (303), or 400 NAME_INVALID saying why the CID is not one.
// "cid" takes a CID (then "kind", layer or image, says which; layer by default) or a pasted
// reference, "[host/]layer/<cid>[:<tag>]".
std::optional<Expected<std::string, RegistryError>> lookup_location(std::string_view query);

// One layer as a page shows it.
struct LayerFacts {
  std::string manifest_cid;  // the layer manifest's CID, empty for a kept image's layer
  std::string file_name;
  std::string media_type;
  std::string digest;
  std::uint64_t size = 0;
  std::string diff_id;
  std::string ipfs_path;    // /ipfs/<dir>/<file>
  std::string gateway_url;  // where the layer blob's 302 leads
};

struct PlatformFacts {
  std::string platform;  // linux/amd64
  std::string manifest;  // its digest
  std::string config;    // its digest
};

// What a page shows about a resolved reference, as `ocipfs inspect` does.
struct PageFacts {
  DocumentKind kind = DocumentKind::layer;
  std::string cid;
  std::string reference;  // host/layer/<cid>:<tag>
  std::string index;      // the index digest, empty when none
  std::vector<std::string> tags;
  std::vector<PlatformFacts> platforms;
  std::vector<LayerFacts> layers;
  std::vector<std::string> lines;  // what to paste: COPY --from=, FROM, docker run, docker pull
};

// The facts of `route`'s image (the route served: manifest_refusal found nothing), named by
// `host`.
PageFacts page_facts(const Route& route, const Image& image, const RedirectGateway& gateway,
                     std::string_view host);

// The facts as an HTML page or as JSON.
std::string facts_html(const PageFacts& facts);
std::string facts_json(const PageFacts& facts);

// The home page: what this instance is, where layers come from, how to use it, the form.
std::string home_html(std::string_view host, const RedirectGateway& gateway);
std::string home_json(std::string_view host, const RedirectGateway& gateway);

// The page for an error: the status, code and message a client gets.
std::string error_html(const RegistryError& error, std::string_view path);

// A page answer: its body, the page headers (Content-Security-Policy, nosniff, Referrer-Policy,
// Vary: Accept) and the type of `format`; `immutable` for facts derived from a CID.
Response page_response(std::string body, PageFormat format, bool head, bool immutable);

// The answer for `error` in `format`: status, reason phrase and Cache-Control as the registry
// answers it, with the page headers; HTML, or the OCI error body as JSON.
Response error_page(const RegistryError& error, PageFormat format, const Request& request);

}  // namespace ocipfs
