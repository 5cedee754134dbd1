#include "ocipfs/handler.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace ocipfs {

namespace {

constexpr std::string_view json_media_type = "application/json";

// A content-addressed answer: prebuilt bytes from the image, immutable, revalidated by digest.
Response blob_response(unsigned status, std::string_view content_type, const ImagePtr& image,
                       std::string_view bytes, std::string_view digest, const Request& request) {
  Response response;
  response.status = status;
  response.content_type = std::string(content_type);
  response.body_owner = image;
  response.shared_body = bytes;
  response.content_length = bytes.size();
  response.head = request.head();
  response.add("Docker-Content-Digest", std::string(digest));
  std::string etag = "\"";
  etag += digest;
  etag += '"';
  response.add("ETag", std::move(etag));
  response.add("Cache-Control", std::string(immutable_cache_control));
  if (status == 200 && matches_etag(request.if_none_match, digest)) {
    response.status = 304;
    response.shared_body = {};
    response.content_length = 0;
  }
  return response;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
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

Response tags_list(const Route& route, std::string_view query, const Image& image, bool head) {
  std::vector<std::string> tags = image.tags;
  if (auto last = query_value(query, "last")) {
    std::erase_if(tags, [&](const std::string& tag) { return tag <= *last; });
  }
  bool truncated = false;
  if (auto n = query_value(query, "n")) {
    std::size_t limit = 0;
    bool numeric = !n->empty() && n->size() <= 6 &&
                   std::all_of(n->begin(), n->end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric) limit = std::stoul(std::string(*n));
    if (numeric && limit < tags.size()) {
      tags.resize(limit);
      truncated = true;
    }
  }
  const std::string& name = route.repository.name;
  nlohmann::json body = {{"name", name}, {"tags", tags}};
  Response response = text_response(body.dump(), json_media_type, head);
  if (truncated && !tags.empty())
    response.add("Link", "</v2/" + name + "/tags/list?n=" + std::to_string(tags.size()) +
                             "&last=" + tags.back() + ">; rel=\"next\"");
  return response;
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : ", ") + word;
  return out;
}

}  // namespace

bool accepts_index(std::string_view accept) { return accepts(accept, oci_index_media_type); }

bool accepts(std::string_view accept, std::string_view media_type) {
  if (trim(accept).empty()) return true;
  while (!accept.empty()) {
    auto comma = accept.find(',');
    auto item = accept.substr(0, comma);
    auto type = lowercase(trim(item.substr(0, item.find(';'))));
    if (type == media_type || type == "*/*" || type == "application/*") return true;
    if (comma == std::string_view::npos) break;
    accept.remove_prefix(comma + 1);
  }
  return false;
}

bool matches_etag(std::string_view if_none_match, std::string_view digest) {
  while (!if_none_match.empty()) {
    auto comma = if_none_match.find(',');
    auto tag = trim(if_none_match.substr(0, comma));
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

// The Content-Type of a manifest or an index of `image`: its own, or OCI's for its role.
std::string_view manifest_type(const Image& image, const Blob& blob) {
  if (!blob.media_type.empty()) return blob.media_type;
  bool index =
      &blob == &image.index || std::any_of(image.nested_indexes.begin(), image.nested_indexes.end(),
                                           [&](const Blob& nested) { return &nested == &blob; });
  return index ? oci_index_media_type : oci_manifest_media_type;
}

Response manifest_answer(const Route& route, const Request& request, const ImagePtr& image_ptr) {
  const Image& image = *image_ptr;
  const std::string& name = route.repository.name;
  const Blob* blob = nullptr;
  if (route.by_digest()) {
    blob = image.manifest_by_digest(route.reference);
    if (!blob)
      return error_response(
          manifest_unknown("manifest " + route.reference + " is not part of " + name),
          request.head());
  } else if (!image.has_tag(route.reference)) {
    return error_response(manifest_unknown("tag \"" + route.reference + "\" is not in " + name +
                                           "; its tags are: " + joined(image.tags)),
                          request.head());
  } else {
    bool index = image.has_index() && accepts(request.accept, manifest_type(image, image.index));
    blob = index ? &image.index : &image.default_platform().manifest;
  }
  Response response = blob_response(200, manifest_type(image, *blob), image_ptr, blob->bytes,
                                    blob->digest, request);
  // By tag, the answer depends on what the client accepts.
  if (!route.by_digest()) response.add("Vary", "Accept");
  return response;
}

// A layer is downloaded from the gateway: GET is a 302 there, HEAD answers its size.
Response layer_answer(const LayerManifest& layer, const Request& request, const ImagePtr& image,
                      const RedirectGateway& redirect_gateway) {
  if (request.head()) {
    Response response = blob_response(200, layer.media_type, image, {}, layer.digest, request);
    if (response.status == 200) response.content_length = layer.size;
    return response;
  }
  Response response = blob_response(302, layer.media_type, image, {}, layer.digest, request);
  response.add("Location", layer_location(redirect_gateway, layer.path));
  return response;
}

Response blob_answer(const Route& route, const Request& request, const ImagePtr& image_ptr,
                     const RedirectGateway& redirect_gateway) {
  const Image& image = *image_ptr;
  const auto& digest = route.reference;
  if (const LayerManifest* layer = image.layer_by_digest(digest))
    return layer_answer(*layer, request, image_ptr, redirect_gateway);
  if (const Blob* config = image.config_by_digest(digest)) {
    auto type = config->media_type.empty() ? oci_config_media_type : config->media_type;
    return blob_response(200, type, image_ptr, config->bytes, digest, request);
  }
  if (const Blob* manifest = image.manifest_by_digest(digest))
    return blob_response(200, manifest_type(image, *manifest), image_ptr, manifest->bytes, digest,
                         request);
  return error_response(blob_unknown("blob " + digest + " is not part of " + route.repository.name),
                        request.head());
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

}  // namespace

Response answer(const Route& route, const Request& request, const ImagePtr& image,
                const RedirectGateway& redirect_gateway) {
  switch (route.kind) {
    case RouteKind::manifest:
      return manifest_answer(route, request, image);
    case RouteKind::blob:
      return blob_answer(route, request, image, redirect_gateway);
    case RouteKind::tags_list: {
      Response response = tags_list(route, request.query, *image, request.head());
      response.add("Cache-Control", std::string(immutable_cache_control));
      return response;
    }
    default:
      return error_response(internal_error(), request.head());
  }
}

Handler::Handler(Resolver& resolver, RedirectGateway redirect_gateway)
    : resolver_(resolver), redirect_gateway_(std::move(redirect_gateway)) {}

std::optional<Response> Handler::answer_now(const Request& request, const Route& route) {
  if (auto response = imageless_answer(route, request)) return response;
  auto image = resolver_.cached(route.repository);
  if (!image) return std::nullopt;
  if (!*image) return error_response(image->error(), request.head());
  return answer(route, request, image->value(), redirect_gateway_);
}

boost::asio::awaitable<Response> Handler::answer_later(const Request& request, const Route& route) {
  auto image = co_await resolver_.resolve(route.repository);
  if (!image) co_return error_response(image.error(), request.head());
  co_return answer(route, request, *image, redirect_gateway_);
}

}  // namespace ocipfs
