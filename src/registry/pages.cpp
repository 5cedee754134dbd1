#include "ocipfs/registry/pages.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>

#include "ocipfs/base/text.hpp"
#include "ocipfs/registry/handler.hpp"

namespace ocipfs {

namespace {

constexpr std::string_view html_type = "text/html; charset=utf-8";
constexpr std::string_view json_type = "application/json";
constexpr std::string_view content_security_policy =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'";
// A page's reference and CID are as long as a CID and a tag; a pasted look-up no longer.
constexpr std::size_t max_lookup_size = 512;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_name_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-';
}

bool is_ipv6_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

// A form field's value decoded: "%XX" as its byte, '+' as a space.
std::string form_decoded(std::string_view raw) {
  std::string value;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    int high = i + 2 < raw.size() && raw[i] == '%' ? hex_digit_value(raw[i + 1]) : -1;
    int low = high >= 0 ? hex_digit_value(raw[i + 2]) : -1;
    if (low >= 0) {
      value += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      value += raw[i] == '+' ? ' ' : raw[i];
    }
  }
  return value;
}

// The value of `key` in a form query, decoded, if present.
std::optional<std::string> form_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    auto pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    auto eq = pair.find('=');
    if (pair.substr(0, eq) != key) continue;
    return form_decoded(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
  }
  return std::nullopt;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

Unexpected<RegistryError> not_a_cid(std::string_view text, const std::string& why) {
  return Unexpected{name_invalid(in_quotes(text) + " is not a CID: " + printable(why, 200))};
}

std::string kind_prefix(DocumentKind kind) {
  return kind == DocumentKind::image ? "image/" : "layer/";
}

// The image's own tag for a reference without one: the document's tag or the file name, else
// latest (as ocipfs inspect).
std::string own_tag(const Route& route, const Image& image) {
  if (route.reference != "latest") return route.reference;
  return std::string(image.own_tag());
}

void add_page_headers(Response& response) {
  response.add("Content-Security-Policy", std::string(content_security_policy));
  response.add("X-Content-Type-Options", "nosniff");
  response.add("Referrer-Policy", "no-referrer");
  response.vary_accept = true;
}

// The page's frame: head, style, a title, `body`.
std::string html_document(std::string_view title, std::string_view body) {
  std::string out =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>";
  out += html_escape(title);
  out +=
      "</title><style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 "
      "1rem;line-height:1.4}code,pre{font-family:monospace;overflow-wrap:anywhere}"
      "pre{background:#f4f4f4;padding:.6rem;white-space:pre-wrap}"
      "th{text-align:left;padding-right:1rem;vertical-align:top}td{overflow-wrap:anywhere}"
      ".error{color:#a00}</style></head><body>\n";
  out += body;
  out += "\n<p><a href=\"/\">ocipfs</a></p></body></html>\n";
  return out;
}

void table_row(std::string& out, std::string_view name, std::string_view value) {
  out += "<tr><th>" + html_escape(name) + "</th><td><code>" + html_escape(value) +
         "</code></td></tr>\n";
}

void layer_table(std::string& out, const LayerFacts& layer, std::size_t number) {
  out += "<h3>Layer " + std::to_string(number) + "</h3>\n<table>\n";
  if (!layer.manifest_cid.empty()) table_row(out, "layer manifest", layer.manifest_cid);
  table_row(out, "file", layer.file_name);
  table_row(out, "media type", layer.media_type);
  table_row(out, "digest", layer.digest);
  table_row(out, "size", std::to_string(layer.size) + " bytes");
  if (!layer.diff_id.empty()) table_row(out, "diff_id", layer.diff_id);
  table_row(out, "IPFS path", layer.ipfs_path);
  out += "<tr><th>gateway</th><td><a href=\"" + html_escape(layer.gateway_url) + "\">" +
         html_escape(layer.gateway_url) + "</a></td></tr>\n</table>\n";
}

}  // namespace

bool is_public_host(std::string_view text) {
  if (text.empty() || text.size() > max_public_host_size) return false;
  std::string_view host = text, port;
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close < 2) return false;
    host = text.substr(1, close - 1);
    if (!std::all_of(host.begin(), host.end(), is_ipv6_char)) return false;
    auto rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    port = rest.empty() ? rest : rest.substr(1);
    if (!rest.empty() && port.empty()) return false;
  } else {
    auto colon = text.find(':');
    host = text.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = text.substr(colon + 1);
      if (port.empty()) return false;
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), is_name_char)) return false;
  }
  return port.size() <= 5 && std::all_of(port.begin(), port.end(), is_digit);
}

std::string example_host(std::string_view public_host, std::string_view host_field) {
  if (!public_host.empty()) return std::string(public_host);
  if (is_public_host(host_field)) return std::string(host_field);
  return "HOST";
}

PageFormat page_format(std::string_view accept) {
  auto html = std::min(accept.find("text/html"), accept.find("application/xhtml+xml"));
  if (html == std::string_view::npos) return PageFormat::json;
  return html < accept.find("application/json") ? PageFormat::html : PageFormat::json;
}

Expected<Route, RegistryError> page_route(std::string_view path) {
  std::string_view name = path.substr(1), reference = "latest";
  auto at = name.find('@');
  auto colon = name.rfind(':');
  if (at != std::string_view::npos) {
    reference = name.substr(at + 1);
    name = name.substr(0, at);
  } else if (colon != std::string_view::npos) {
    reference = name.substr(colon + 1);
    name = name.substr(0, colon);
  }
  std::string target = "/v2/" + std::string(name) + "/manifests/" + std::string(reference);
  auto route = parse_route(split_route(target));
  if (!route) return Unexpected{std::move(route).error().error};
  // The manifest route's views were into `target`: the route owns its strings.
  if (route->kind != RouteKind::manifest)
    return Unexpected{name_unknown("no such page: " + in_quotes(path, 200))};
  return std::move(*route);
}

std::optional<Expected<std::string, RegistryError>> lookup_location(std::string_view query) {
  auto cid_field = form_value(query, "cid");
  if (!cid_field) return std::nullopt;
  std::string_view text = trimmed(*cid_field);
  if (text.size() > max_lookup_size) return not_a_cid(text, "it is too long");
  for (std::string_view kind : {"layer/", "image/"})
    if (auto at = text.find(kind); at != std::string_view::npos) {
      std::string path = "/" + std::string(text.substr(at));
      auto route = page_route(path);
      if (!route) return Unexpected{std::move(route).error()};
      return path;
    }
  auto kind = form_value(query, "kind").value_or("layer");
  if (kind != "layer" && kind != "image")
    return Unexpected{name_invalid("kind must be layer or image, not " + in_quotes(kind))};
  if (text.empty()) return not_a_cid(text, "the field is empty");
  auto cid = parse_cid(text);
  if (!cid) return not_a_cid(text, cid.error());
  return "/" + kind + "/" + cid->to_string();
}

PageFacts page_facts(const Route& route, const Image& image, const RedirectGateway& gateway,
                     std::string_view host) {
  PageFacts facts;
  facts.kind = route.repository.kind;
  facts.cid = image.cid();
  std::string tag = own_tag(route, image);
  facts.reference = std::string(host) + "/" + kind_prefix(facts.kind) + facts.cid +
                    (tag.starts_with("sha256:") ? "@" : ":") + tag;
  if (const Document* index = image.index()) facts.index = sha256_digest_text(index->digest);
  facts.tags.assign(image.tags().begin(), image.tags().end());
  for (std::size_t i = 0; i < image.platforms().size(); ++i)
    facts.platforms.push_back({platform_text(image.platforms()[i]),
                               sha256_digest_text(image.manifest_of(i).digest),
                               sha256_digest_text(image.config_of(i).digest)});
  for (std::size_t i = 0; i < image.layers().size(); ++i) {
    const LayerManifest layer = image.layer_manifest(i);
    facts.layers.push_back({std::string(image.layer_manifest_cid(i)),
                            std::string(layer.path.file_name()), layer.media_type, layer.digest,
                            layer.size, layer.diff_id, "/ipfs/" + layer.ipfs_path,
                            layer_location(gateway, layer.path)});
  }
  if (facts.kind == DocumentKind::layer) {
    facts.lines = {"COPY --from=" + facts.reference + " / /", "docker pull " + facts.reference};
  } else {
    facts.lines = {"FROM " + facts.reference, "docker run --rm " + facts.reference,
                   "docker pull " + facts.reference};
  }
  return facts;
}

std::string facts_html(const PageFacts& facts) {
  std::string body = "<h1>" + std::string(document_noun(facts.kind)) + " <code>" +
                     html_escape(facts.cid) + "</code></h1>\n<h2>Use it</h2>\n<pre>";
  for (const auto& line : facts.lines) body += html_escape(line) + "\n";
  body += "</pre>\n<h2>The image</h2>\n<table>\n";
  table_row(body, "reference", facts.reference);
  if (!facts.index.empty()) table_row(body, "index", facts.index);
  table_row(body, "tags", joined(facts.tags));
  body += "</table>\n<h2>Layers</h2>\n";
  for (std::size_t i = 0; i < facts.layers.size(); ++i) layer_table(body, facts.layers[i], i + 1);
  body +=
      "<h2>Platforms</h2>\n<table>\n<tr><th>platform</th><th>manifest</th><th>config</th></tr>\n";
  for (const auto& each : facts.platforms)
    body += "<tr><td>" + html_escape(each.platform) + "</td><td><code>" +
            html_escape(each.manifest) + "</code></td><td><code>" + html_escape(each.config) +
            "</code></td></tr>\n";
  body += "</table>";
  return html_document(facts.reference, body);
}

std::string facts_json(const PageFacts& facts) {
  nlohmann::json layers = nlohmann::json::array(), platforms = nlohmann::json::array();
  for (const auto& layer : facts.layers)
    layers.push_back({{"layer_manifest", layer.manifest_cid},
                      {"file", layer.file_name},
                      {"media_type", layer.media_type},
                      {"digest", layer.digest},
                      {"size", layer.size},
                      {"diff_id", layer.diff_id},
                      {"ipfs_path", layer.ipfs_path},
                      {"gateway_url", layer.gateway_url}});
  for (const auto& each : facts.platforms)
    platforms.push_back(
        {{"platform", each.platform}, {"manifest", each.manifest}, {"config", each.config}});
  nlohmann::json out = {{"kind", std::string(document_noun(facts.kind))},
                        {"cid", facts.cid},
                        {"reference", facts.reference},
                        {"index", facts.index},
                        {"tags", facts.tags},
                        {"layers", layers},
                        {"platforms", platforms},
                        {"lines", facts.lines}};
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string home_html(std::string_view host, const RedirectGateway& gateway) {
  const std::string h = html_escape(host);
  std::string body =
      "<h1>ocipfs</h1>\n<p><code>" + h +
      "</code> is an ocipfsd: a pull-only OCI registry that serves layers and images named by "
      "IPFS CIDs. It reads the small JSON document a CID names, synthesizes the image, and sends "
      "clients to an IPFS gateway for the layer bytes.</p>\n<p>Layers are downloaded from <code>" +
      html_escape(gateway.to_string()) +
      "</code>.</p>\n<h2>Use it</h2>\n<pre>FROM debian:12\nCOPY --from=" + h +
      "/layer/&lt;cid&gt;:&lt;file&gt; / /</pre>\n<pre>FROM " + h +
      "/image/&lt;cid&gt;:&lt;tag&gt;</pre>\n<pre>docker pull " + h +
      "/image/&lt;cid&gt;:&lt;tag&gt;</pre>\n<p>Open <code>" + h +
      "/layer/&lt;cid&gt;:&lt;tag&gt;</code> or <code>" + h +
      "/image/&lt;cid&gt;:&lt;tag&gt;</code> in a browser to see what it serves.</p>\n"
      "<h2>Look up a CID</h2>\n<form method=\"get\" action=\"/\">\n"
      "<label>CID or reference <input name=\"cid\" size=\"70\" required></label>\n"
      "<label><input type=\"radio\" name=\"kind\" value=\"layer\" checked> layer</label>\n"
      "<label><input type=\"radio\" name=\"kind\" value=\"image\"> image</label>\n"
      "<button type=\"submit\">Look up</button>\n</form>";
  return html_document("ocipfs at " + std::string(host), body);
}

std::string home_json(std::string_view host, const RedirectGateway& gateway) {
  nlohmann::json out = {{"registry", host},
                        {"redirect_gateway", gateway.to_string()},
                        {"layer", std::string(host) + "/layer/<cid>:<file>"},
                        {"image", std::string(host) + "/image/<cid>:<tag>"}};
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string error_html(const RegistryError& error, std::string_view path) {
  std::string code(code_name(error.code));
  std::string body = "<h1 class=\"error\">" + std::to_string(error.status) + " " +
                     html_escape(code) + "</h1>\n<p>A client asking for <code>" +
                     html_escape(printable(path, 300)) + "</code> gets:</p>\n<pre>" +
                     html_escape(error.message) + "</pre>";
  return html_document(std::to_string(error.status) + " " + code, body);
}

Response page_response(std::string body, PageFormat format, bool head, bool immutable) {
  Response response =
      text_response(std::move(body), format == PageFormat::html ? html_type : json_type, head);
  add_page_headers(response);
  response.immutable = immutable;
  if (!immutable) response.add("Cache-Control", "public, max-age=300");
  return response;
}

Response error_page(const RegistryError& error, PageFormat format, const Request& request) {
  Response response = error_response(error, request.head());
  if (format == PageFormat::html) {
    response.body = error_html(error, request.path);
    response.content_type = html_type;
    response.content_length = response.body.size();
  }
  add_page_headers(response);
  return response;
}

Pages::Pages(CachingResolver& images, RedirectGateway redirect_gateway, std::string public_host)
    : images_(images),
      redirect_gateway_(std::move(redirect_gateway)),
      public_host_(std::move(public_host)) {}

std::variant<Response, boost::asio::awaitable<Response>> Pages::answer(const Request& request) {
  const PageFormat format = page_format(request.accept);
  if (request.path == "/") {
    if (auto location = lookup_location(request.query)) {
      if (!*location) return error_page(location->error(), format, request);
      Response response = page_response("", format, request.head(), false);
      response.status = 303;
      response.location = std::move(**location);
      return response;
    }
    std::string host = example_host(public_host_, request.host);
    return page_response(format == PageFormat::html ? home_html(host, redirect_gateway_)
                                                    : home_json(host, redirect_gateway_),
                         format, request.head(), false);
  }
  auto route = page_route(request.path);
  if (!route) return error_page(route.error(), format, request);
  auto lookup = images_.find(route->repository);
  if (const Resolution* image = lookup.ready()) return answer_with(request, *route, *image);
  return answer_later(request, std::move(*route), std::move(lookup));
}

boost::asio::awaitable<Response> Pages::answer_later(const Request& request, Route route,
                                                     CachingResolver::Lookup lookup) {
  Resolution image = co_await images_.wait(std::move(lookup));
  co_return answer_with(request, route, image);
}

Response Pages::answer_with(const Request& request, const Route& route,
                            const Resolution& image) const {
  const PageFormat format = page_format(request.accept);
  if (!image) return error_page(image.error(), format, request);
  if (auto refusal = manifest_refusal(route, **image)) return error_page(*refusal, format, request);
  PageFacts facts =
      page_facts(route, **image, redirect_gateway_, example_host(public_host_, request.host));
  return page_response(format == PageFormat::html ? facts_html(facts) : facts_json(facts), format,
                       request.head(), true);
}

}  // namespace ocipfs
