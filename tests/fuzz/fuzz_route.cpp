// Fuzzes routing (http/route.hpp) and the answers made without I/O (Endpoints::answer and
// Handler::answer: server/endpoints.hpp, registry/handler.hpp), over caches that hold nothing,
// the image, or the error of an invalid document (cache/caching_resolver.hpp).
// The input is a request as lines: "METHOD TARGET", then the Accept and If-None-Match values
// (a first line without a space is a GET of that target). Access log lines are checked too.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "ocipfs/base/digest.hpp"
#include "ocipfs/base/log.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/cache/caching_resolver.hpp"
#include "ocipfs/cache/resolver.hpp"
#include "ocipfs/gateway/health.hpp"
#include "ocipfs/http/route.hpp"
#include "ocipfs/image/image.hpp"
#include "ocipfs/image/image_document.hpp"
#include "ocipfs/image/layer_manifest.hpp"
#include "ocipfs/image/verbatim_image.hpp"
#include "ocipfs/registry/handler.hpp"
#include "ocipfs/registry/pages.hpp"
#include "ocipfs/registry/redirect.hpp"
#include "ocipfs/server/endpoints.hpp"
#include "ocipfs/server/metrics.hpp"
#include "ocipfs/server/operations.hpp"

namespace {

using namespace ocipfs;
using nlohmann::json;

constexpr std::string_view redirect_base = "https://gateway.example/prefix";

// A layer manifest whose file name is a tag: the image every CID resolves to below.
const std::string layer_manifest =
    R"({"mediaType":"application/vnd.ocipfs.layer.manifest.v1+json","layer":{)"
    R"("mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":)"
    R"("sha256:1111111111111111111111111111111111111111111111111111111111111111","size":1234,)"
    R"("annotations":{"io.ocipfs.layer.ipfs.cid":)"
    R"("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn/hello.tar.gz","io.ocipfs.layer.fs.digest":)"
    R"("sha256:2222222222222222222222222222222222222222222222222222222222222222"}}})";

// A source that is never asked: the io_context the fetches would run on never runs.
class NoSource final : public ContentSource {
 public:
  boost::asio::awaitable<Content> fetch(const Cid&, DocumentKind) override { std::abort(); }
};

// Caches `resolution` in `caches` as the resolution of `repository`.
void hold(ResolverShared& caches, const Repository& repository, const Resolution& resolution) {
  caches.keep(ImageKey(repository).view(), resolution);
}

// What a fetch of `repository` whose document is `document` resolves to (an image document's
// layer is the layer manifest above).
Resolution resolution_of(const Repository& repository, const std::string& document) {
  if (repository.kind != DocumentKind::image)
    return build_image(repository.kind, repository.cid, document);
  auto read = read_image_document(repository.cid, document);
  if (!read) return Unexpected{read.error()};
  std::vector<Resolution> layers;
  for (const auto& layer : read->layers)
    layers.push_back(build_image(DocumentKind::layer, layer, layer_manifest));
  return compose_resolution(repository.cid, *read, layers);
}

// Caches the image of `repository`: its layer manifest's, or that of an image document naming
// one.
void hold_image(ResolverShared& caches, const Repository& repository) {
  if (repository.kind != DocumentKind::image)
    return hold(caches, repository, resolution_of(repository, layer_manifest));
  static const Cid layer = digest_cid(sha256_digest(layer_manifest));
  json document = {{"mediaType", image_document_media_type}, {"layers", {layer.to_string()}}};
  hold(caches, repository, resolution_of(repository, document.dump()));
}

const ImagePtr& image() {
  static const ImagePtr image = std::make_shared<const Image>(
      synthesize_image("bafkreifake", *parse_layer_manifest(layer_manifest)));
  return image;
}

std::string_view next_line(std::string_view& input) {
  auto end = input.find('\n');
  std::string_view line = input.substr(0, end);
  input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
  return line;
}

bool has_line_break(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// A header as the answer's head says it (fields such as the digest and Location included).
std::string header(const Response& response, std::string_view name) {
  return header_value(response, name);
}

// The answer a thread's endpoints give at once, over `caches`; nullopt when it waits for an image
// to be fetched (the fetch is started on `ioc`, which never runs).
std::optional<Response> answer_now(boost::asio::io_context& ioc, ResolverShared& caches,
                                   const RedirectGateway& redirect, const Request& request) {
  static GatewayHealth health(1);
  static Metrics metrics({"http://gateway.example/"});
  static ResolverShared operations_caches(1 << 20);
  static Operations operations({}, health, metrics, operations_caches, [] {});
  NoSource source;
  CachingResolver resolver(ioc.get_executor(), source, caches, std::chrono::seconds(1));
  Handler handler(resolver, redirect);
  Pages pages(resolver, redirect, "");
  Response out;
  auto answered = Endpoints(handler, pages, operations, metrics)
                      .answer(request, std::chrono::steady_clock::now(), out);
  if (answered.later) return std::nullopt;
  return out;
}

// A page path is a manifest route or a printable registry error; the look-up form's redirect
// leads to a page of this server, in a Location that needs no escaping.
void check_page(std::string_view path, std::string_view query) {
  if (path != "/") {
    auto page = page_route(path);
    FUZZ_CHECK(page ? page->kind == RouteKind::manifest : fuzz::is_printable(page.error().message));
  }
  auto location = lookup_location(query);
  if (!location) return;
  if (!*location) {
    FUZZ_CHECK(location->error().status == 400 || location->error().status == 404);
    FUZZ_CHECK(fuzz::is_printable(location->error().message));
    return;
  }
  const std::string& to = **location;
  FUZZ_CHECK(to.starts_with("/layer/") || to.starts_with("/image/"));
  FUZZ_CHECK(fuzz::is_printable(to) && to.find_first_of(" \"<>") == std::string::npos);
  FUZZ_CHECK(page_route(to).has_value());
  FUZZ_CHECK(html_escape(path).find_first_of("<>\"'") == std::string::npos);
}

void check_route(const Route& route, std::string_view path) {
  if (route.kind == RouteKind::base) {
    FUZZ_CHECK(path == "/v2" || path == "/v2/");
    return;
  }
  if (is_operational(route.kind)) {
    FUZZ_CHECK(path == "/healthz" || path == "/readyz" || path == "/metrics");
    return;
  }
  if (route.kind == RouteKind::page) {
    FUZZ_CHECK(path == "/" || path.starts_with("/layer/") || path.starts_with("/image/"));
    return;
  }
  const Repository& repository = route.repository;
  FUZZ_CHECK(is_repository_name(repository.name));
  FUZZ_CHECK(repository.name.starts_with("layer/") || repository.name.starts_with("image/"));
  std::string_view cid_text = std::string_view(repository.name).substr(6);
  FUZZ_CHECK(is_lowercase_cid(cid_text));
  FUZZ_CHECK(*parse_cid(cid_text) == repository.cid && repository.cid.version == 1);
  switch (route.kind) {
    case RouteKind::manifest:
      FUZZ_CHECK(is_sha256_digest(route.reference) || is_tag(route.reference));
      break;
    case RouteKind::blob:
    case RouteKind::referrers:
      FUZZ_CHECK(is_sha256_digest(route.reference));
      break;
    case RouteKind::tags_list:
      FUZZ_CHECK(route.reference.empty());
      break;
    default:
      break;
  }
}

// What every answer must be: a known status, headers that cannot split, a length that matches.
void check_response(const Response& response, const Request& request) {
  const bool head = request.method == "HEAD";
  const unsigned status = response.status;
  FUZZ_CHECK(status == 200 || status == 302 || status == 304 || status == 400 || status == 404 ||
             status == 405);
  FUZZ_CHECK(!response.content_type.empty() && !has_line_break(response.content_type));
  for (const auto& [name, value] : response.headers) {
    FUZZ_CHECK(!name.empty() && !has_line_break(name));
    FUZZ_CHECK(!has_line_break(value));
  }
  FUZZ_CHECK(!has_line_break(response.digest) && !has_line_break(response.location));
  if (status != 405) FUZZ_CHECK(response.head == head);
  const std::string_view payload = response.payload();
  const std::string digest = header(response, "Docker-Content-Digest");
  // HEAD of the layer says the layer's length; its bytes are on the gateway.
  const LayerManifest layer = image()->layer_manifest(0);
  const bool layer_head = head && status == 200 && digest == layer.digest;
  // HEAD of a document says its length and renders nothing.
  const bool document_head = head && status == 200 && !digest.empty() && !layer_head;
  if (layer_head) {
    FUZZ_CHECK(response.content_length == layer.size && payload.empty());
  } else if (document_head) {
    FUZZ_CHECK(response.content_length > 0 && payload.empty());
  } else {
    FUZZ_CHECK(response.content_length == payload.size());
  }

  if (status >= 400) {
    FUZZ_CHECK(response.content_type == "application/json");
    FUZZ_CHECK(fuzz::is_oci_error(payload, status));
    FUZZ_CHECK(fuzz::is_printable(payload));
    FUZZ_CHECK(header(response, "Cache-Control") == "no-store");
    return;
  }
  if (status == 302) {
    FUZZ_CHECK(header(response, "Location").starts_with(std::string(redirect_base) + "/ipfs/"));
    FUZZ_CHECK(payload.empty());
  }
  if (!digest.empty()) {
    FUZZ_CHECK(header(response, "ETag") == "\"" + digest + "\"");
    if (status == 200 && !head) FUZZ_CHECK(fuzz::digest_matches(digest, payload));
    if (status == 304) FUZZ_CHECK(matches_etag(request.if_none_match, digest));
  } else if (status == 200) {
    FUZZ_CHECK(response.content_type.find("json") != std::string::npos);
    FUZZ_CHECK(!json::parse(payload, nullptr, false).is_discarded());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view first = next_line(input);
  std::string_view method = "GET";
  std::string_view target = first;
  if (auto space = first.find(' '); space != std::string_view::npos) {
    method = first.substr(0, space);
    target = first.substr(space + 1);
  }
  std::string_view accept = next_line(input);
  std::string_view if_none_match = next_line(input);
  const RequestTarget parts = split_target(target);
  const Request request{method, parts.path, parts.query, accept, if_none_match, {}, {}, {}};
  const bool read_only = method == "GET" || method == "HEAD";

  std::string_view path = parts.path;
  const RouteView view = split_route(path);
  auto route = parse_route(view);
  FUZZ_CHECK(view.kind == (route ? route->kind : route.error().kind));
  if (route) {
    check_route(*route, path);
  } else {
    const RegistryError& error = route.error().error;
    FUZZ_CHECK(error.status == 400 || error.status == 404);
    FUZZ_CHECK(fuzz::is_printable(error.message));
  }
  const RouteKind kind = route ? route->kind : route.error().kind;
  if (kind == RouteKind::page) {
    check_page(path, parts.query);
    return 0;
  }
  // The operational endpoints answer from the process's state, not from images.
  if (is_operational(kind)) return 0;
  accepts_index(accept);
  matches_etag(if_none_match, sha256_digest_text(image()->index()->digest));

  // The access log line of the request (the last two lines standing as trace headers): one line
  // of JSON, whatever the request had in it.
  AccessRecord record{method, target, 200, 0, {}, accept, "127.0.0.1", accept, if_none_match, {}};
  std::string log_line = access_json(record, "project");
  FUZZ_CHECK(fuzz::is_printable(log_line));
  FUZZ_CHECK(!json::parse(log_line, nullptr, false).is_discarded());

  static const RedirectGateway redirect = *parse_redirect_gateway(redirect_base);
  boost::asio::io_context ioc;  // outlives the caches, whose waiters have timers on it

  // Nothing cached: only errors, /v2/ and referrers are answered now.
  ResolverShared nothing(1 << 20);
  auto now = answer_now(ioc, nothing, redirect, request);
  const bool needs_image =
      read_only && route && route->kind != RouteKind::base && route->kind != RouteKind::referrers;
  FUZZ_CHECK(now.has_value() == !needs_image);
  if (now) {
    if (fuzz::verbose())
      std::fprintf(stderr, "%u %.*s\n", now->status, static_cast<int>(now->payload().size()),
                   now->payload().data());
    check_response(*now, request);
    if (!read_only) FUZZ_CHECK(now->status == 405 && !header(*now, "Allow").empty());
    if (read_only && !route) FUZZ_CHECK(now->status == route.error().error.status);
  }
  if (!needs_image) return 0;

  // A cached image: every route gets its answer at once.
  ResolverShared cached(1 << 20);
  hold_image(cached, route->repository);
  auto answered = answer_now(ioc, cached, redirect, request);
  FUZZ_CHECK(answered);
  if (fuzz::verbose())
    std::fprintf(stderr, "%u %.*s\n", answered->status,
                 static_cast<int>(answered->payload().size()), answered->payload().data());
  check_response(*answered, request);
  if (route->kind == RouteKind::tags_list && answered->status == 200 && !answered->head) {
    json body = json::parse(answered->payload());
    FUZZ_CHECK(body["name"] == route->repository.name);
    FUZZ_CHECK(body["tags"].is_array() && body["tags"].size() <= image()->tags().size());
  }

  // A cached document that is invalid: its error is the answer.
  ResolverShared failed(1 << 20);
  hold(failed, route->repository, resolution_of(route->repository, "not JSON"));
  auto refused = answer_now(ioc, failed, redirect, request);
  FUZZ_CHECK(refused && refused->status == 404);
  FUZZ_CHECK(refused->payload().find("MANIFEST_INVALID") != std::string_view::npos);
  check_response(*refused, request);
  return 0;
}
