#include "ocipfs/registry/handler.hpp"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "ocipfs/base/text.hpp"
#include "ocipfs/http/field_text.hpp"
#include "ocipfs/http/ranged_body.hpp"

namespace ocipfs {

namespace {

constexpr std::string_view json_media_type = "application/json";

// The head of a content-addressed answer: immutable, revalidated by digest (a 304 when the
// client has it).
void content_head(unsigned status, std::string_view content_type, const Sha256& digest,
                  const Request& request, Response& out) {
  out.status = status;
  out.content_type = content_type;
  out.head = request.head();
  out.digest.assign(digest);
  if (status == 200 && matches_etag(request.if_none_match, out.digest)) out.status = 304;
}

// A document of `image`: a verbatim image's kept bytes as they are, a synthesized one's rendered
// into the body (HEAD renders nothing).
void document_answer(const ImagePtr& image, const Document& document, const Request& request,
                     DocumentMemo* memo, Response& out) {
  content_head(200, image->media_type(document), document.digest, request, out);
  if (image->verbatim()) out.body_owner = image;  // keeps the media type and the bytes alive
  if (out.status == 304) return;
  out.content_length = document.size;
  if (request.head()) return;
  if (image->verbatim()) {
    out.shared_body = image->kept_bytes(document);
    return;
  }
  out.body.reserve(document.size);
  if (memo)
    memo->render(*image, document, out.body);
  else
    image->render(document, out.body);
}

// The value of `key` in an application/x-www-form-urlencoded query, if present.
std::optional<std::string_view> query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == key)
      return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// How many tags a page holds: `n` when it is a number of at most 6 digits, else all.
std::size_t page_size(std::string_view query) {
  auto n = query_value(query, "n");
  if (!n || n->empty() || n->size() > 6) return std::numeric_limits<std::size_t>::max();
  std::size_t limit = 0;
  for (char c : *n) {
    if (c < '0' || c > '9') return std::numeric_limits<std::size_t>::max();
    limit = limit * 10 + static_cast<std::size_t>(c - '0');
  }
  return limit;
}

// The tags list, written as nlohmann would: names and tags need no escaping (their grammars).
void tags_list(std::string_view name, std::string_view query, const Image& image, bool head,
               Response& out) {
  auto last = query_value(query, "last");
  std::size_t limit = page_size(query), listed = 0;
  std::string_view final_tag;
  out.body = "{\"name\":\"";
  out.body += name;
  out.body += "\",\"tags\":[";
  bool truncated = false;
  for (const auto& tag : image.tags()) {
    if (last && tag <= *last) continue;
    if (listed == limit) {
      truncated = true;
      break;
    }
    out.body += listed++ ? ",\"" : "\"";
    out.body += tag;
    out.body += '"';
    final_tag = tag;
  }
  out.body += "]}";
  out.content_type = json_media_type;
  out.content_length = out.body.size();
  out.head = head;
  if (truncated && listed > 0)
    out.add("Link", "</v2/" + std::string(name) + "/tags/list?n=" + std::to_string(listed) +
                        "&last=" + std::string(final_tag) + ">; rel=\"next\"");
  out.immutable = true;
}

}  // namespace

bool accepts_index(std::string_view accept) { return accepts(accept, oci_index_media_type); }

bool accepts(std::string_view accept, std::string_view media_type) {
  if (trim_ows(accept).empty()) return true;
  while (!accept.empty()) {
    auto comma = accept.find(',');
    auto item = accept.substr(0, comma);
    auto type = trim_ows(item.substr(0, item.find(';')));
    if (equals_lowercase(type, media_type) || type == "*/*" ||
        equals_lowercase(type, "application/*"))
      return true;
    if (comma == std::string_view::npos) break;
    accept.remove_prefix(comma + 1);
  }
  return false;
}

bool matches_etag(std::string_view if_none_match, std::string_view digest) {
  while (!if_none_match.empty()) {
    auto comma = if_none_match.find(',');
    auto tag = trim_ows(if_none_match.substr(0, comma));
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"')
      tag = tag.substr(1, tag.size() - 2);
    if (tag == "*" || (!tag.empty() && tag == digest)) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

namespace {

// The manifest a route names in `image`: by digest (an index or a manifest), or by tag for what
// the client accepts; nullptr when there is none.
const Document* named_manifest(const RouteView& route, const Request& request, const Image& image) {
  if (route.by_digest()) return image.find_manifest(route.reference);
  if (!image.has_tag(route.reference)) return nullptr;
  const Document* index = image.index();
  if (index && accepts(request.accept, image.media_type(*index))) return index;
  return &image.default_manifest();
}

// A layer is downloaded from the gateway: GET is a 302 there, HEAD answers its size.
void layer_answer(const ImagePtr& image, const ImageLayer& layer, const Request& request,
                  const RedirectGateway& redirect_gateway, Response& out) {
  content_head(request.head() ? 200 : 302, layer.media_type, layer.digest, request, out);
  out.body_owner = image;  // keeps the media type alive
  if (request.head()) {
    if (out.status == 200) out.content_length = layer.size;
    return;
  }
  append_layer_location(
      out.location, redirect_gateway,
      image->layer_path(static_cast<std::size_t>(&layer - image->layers().data())));
}

bool blob_answer(std::string_view digest, const Request& request, const ImagePtr& image,
                 const RedirectGateway& redirect_gateway, DocumentMemo* memo, Response& out) {
  auto hash = sha256_of_digest(digest);
  if (!hash) return false;
  if (const ImageLayer* layer = image->layer_by_digest(*hash)) {
    layer_answer(image, *layer, request, redirect_gateway, out);
  } else if (const Document* document = image->find_document(*hash)) {
    document_answer(image, *document, request, memo, out);
  } else {
    return false;
  }
  return true;
}

// The error for a route whose image has no such manifest, blob or tag.
RegistryError unknown_in_image(const RouteView& route, const Image& image) {
  std::string name(route.name), reference(route.reference);
  if (route.kind == RouteKind::blob)
    return blob_unknown("blob " + reference + " is not part of " + name);
  if (route.by_digest())
    return manifest_unknown("manifest " + reference + " is not part of " + name);
  return manifest_unknown("tag \"" + reference + "\" is not in " + name +
                          "; its tags are: " + joined(image.tags()));
}

// The answers that need no image.
std::optional<Response> imageless_answer(const Route& route, const Request& request) {
  if (route.kind == RouteKind::base) return text_response("{}", json_media_type, request.head());
  if (route.kind != RouteKind::referrers) return std::nullopt;
  nlohmann::json index = {{"schemaVersion", 2},
                          {"mediaType", oci_index_media_type},
                          {"manifests", nlohmann::json::array()}};
  return text_response(index.dump(), oci_index_media_type, request.head());
}

RouteView view_of(const Route& route) {
  return {route.kind, {}, route.repository.name, route.reference};
}

// The ranges (which never overlap: decide_range) in the layer's order, as the layer streams once
// (RFC 9110 14.6 lets a server reorder them), and the one span that holds them all.
ByteRange sort_ranges(std::vector<ByteRange>& ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.first < b.first; });
  return {ranges.front().first, ranges.back().last};
}

// A 206 of `ranges` (sorted) cut out of `reading`: one as it is, several as multipart.
void partial_answer(LayerReading reading, std::vector<ByteRange> ranges, std::uint64_t size,
                    Response& out) {
  out.status = 206;
  if (ranges.size() == 1) {
    out.add("Content-Range", content_range(ranges[0], size));
    out.content_length = ranges[0].size();
    out.stream =
        std::make_unique<RangedBody>(std::move(reading.stream), reading.first, std::move(ranges));
    return;
  }
  MultipartPlan plan = plan_multipart(ranges, size, out.content_type, random_hex(16));
  out.content_length = plan.content_length;
  auto body = std::make_unique<RangedBody>(std::move(reading.stream), reading.first,
                                           std::move(ranges), std::move(plan));
  out.content_type = body->content_type();  // kept alive by the stream it is in
  out.stream = std::move(body);
}

// What a transfer of `layer`, one of `image`'s, fetches and proves.
LayerBytes layer_bytes(const Image& image, const ImageLayer& layer) {
  const auto index = static_cast<std::size_t>(&layer - image.layers().data());
  const IpfsPathText& path = image.layer_path(index);
  std::string ipfs_path = "/ipfs/" + std::string(path.root) + std::string(path.encoded_segments);
  std::string name = "layer " + sha256_digest_text(layer.digest) + " (" + ipfs_path.substr(1) + ")";
  return LayerBytes{std::move(ipfs_path), std::move(name), layer.digest, layer.size};
}

Response unsatisfiable_range(std::uint64_t size) {
  Response out =
      error_response(range_not_satisfiable("no byte of the range asked is in the layer's " +
                                           std::to_string(size) + " bytes"),
                     false);
  out.add("Content-Range", unsatisfied_content_range(size));
  return out;
}

}  // namespace

bool answer_from(const RouteView& route, const Request& request, const ImagePtr& image,
                 const RedirectGateway& redirect_gateway, Response& out, DocumentMemo* memo) {
  switch (route.kind) {
    case RouteKind::manifest: {
      const Document* document = named_manifest(route, request, *image);
      if (!document) return false;
      document_answer(image, *document, request, memo, out);
      // By tag, the answer depends on what the client accepts.
      out.vary_accept = !route.by_digest();
      return true;
    }
    case RouteKind::blob:
      return blob_answer(route.reference, request, image, redirect_gateway, memo, out);
    case RouteKind::tags_list:
      tags_list(route.name, request.query, *image, request.head(), out);
      return true;
    default:
      return false;
  }
}

Response answer(const Route& route, const Request& request, const ImagePtr& image,
                const RedirectGateway& redirect_gateway, DocumentMemo* memo) {
  Response response;
  if (answer_from(view_of(route), request, image, redirect_gateway, response, memo))
    return response;
  if (!names_repository(route.kind) || route.kind == RouteKind::referrers)
    return error_response(internal_error(), request.head());
  return error_response(unknown_in_image(view_of(route), *image), request.head());
}

std::optional<RegistryError> manifest_refusal(const Route& route, const Image& image) {
  const Request any{"GET", {}, {}, {}, {}, {}, {}, {}};
  if (named_manifest(view_of(route), any, image)) return std::nullopt;
  return unknown_in_image(view_of(route), image);
}

Handler::Handler(CachingResolver& images, RedirectGateway redirect_gateway,
                 LayerSource* layer_streams)
    : images_(images),
      redirect_gateway_(std::move(redirect_gateway)),
      layer_streams_(layer_streams) {}

bool Handler::answer_warm(const RouteView& route, const Request& request, Response& out) {
  if (!names_repository(route.kind)) return false;
  // A proxied layer waits for a gateway: never warm.
  if (layer_streams_ && route.kind == RouteKind::blob) return false;
  ImagePtr image = images_.cached(route.name);
  if (!image) return false;
  out.reset();
  return answer_from(route, request, image, redirect_gateway_, out, &memo_);
}

std::variant<Response, boost::asio::awaitable<Response>> Handler::answer(const Request& request,
                                                                         Route route) {
  if (auto response = imageless_answer(route, request)) return std::move(*response);
  auto lookup = images_.find(route.repository);
  if (const Resolution* image = lookup.ready()) {
    if (const ImageLayer* layer = proxied_layer(route, *image))
      return stream_layer(request, **image, *layer);
    return answer_with(route, request, *image);
  }
  return answer_later(request, std::move(route), std::move(lookup));
}

boost::asio::awaitable<Response> Handler::answer_later(const Request& request, Route route,
                                                       CachingResolver::Lookup lookup) {
  Resolution image = co_await images_.wait(std::move(lookup));
  if (const ImageLayer* layer = proxied_layer(route, image))
    co_return co_await stream_layer(request, *image, *layer);
  co_return answer_with(route, request, image);
}

const ImageLayer* Handler::proxied_layer(const Route& route, const Resolution& image) const {
  if (!layer_streams_ || !image || route.kind != RouteKind::blob) return nullptr;
  auto hash = sha256_of_digest(route.reference);
  return hash ? (*image)->layer_by_digest(*hash) : nullptr;
}

boost::asio::awaitable<Response> Handler::stream_layer(const Request& request, ImagePtr image,
                                                       const ImageLayer& found) {
  Response out;
  LayerBytes layer = layer_bytes(*image, found);
  content_head(200, found.media_type, layer.digest, request, out);
  out.body_owner = image;  // keeps the media type alive
  out.add("Accept-Ranges", "bytes");
  if (out.status == 304) co_return out;
  out.content_length = layer.size;
  if (request.head()) co_return out;
  RangeAnswer asked = decide_range(request.range, request.if_range, out.digest, layer.size);
  if (asked.kind == RangeAnswer::Kind::unsatisfiable) co_return unsatisfiable_range(layer.size);
  const std::uint64_t size = layer.size;
  const bool partial = asked.kind == RangeAnswer::Kind::partial;
  std::optional<ByteRange> span;
  if (partial) span = sort_ranges(asked.ranges);
  auto reading = co_await layer_streams_->open(std::move(layer), span);
  if (!reading) co_return error_response(reading.error(), false);
  if (partial)
    partial_answer(std::move(*reading), std::move(asked.ranges), size, out);
  else
    out.stream = std::move(reading->stream);
  co_return out;
}

Response Handler::answer_with(const Route& route, const Request& request, const Resolution& image) {
  if (!image) return error_response(image.error(), request.head());
  return ocipfs::answer(route, request, *image, redirect_gateway_, &memo_);
}

}  // namespace ocipfs
