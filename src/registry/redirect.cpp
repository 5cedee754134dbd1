#include "ocipfs/registry/redirect.hpp"

#include <charconv>

namespace ocipfs {

namespace {
constexpr std::string_view placeholder = "{cid}";
}

std::string RedirectGateway::to_string() const {
  if (!subdomain) return url.to_string();
  std::string origin = url.origin();
  auto at = origin.find("://") + 3;
  return origin.substr(0, at) + std::string(placeholder) + origin.substr(at + 3);
}

Expected<RedirectGateway> parse_redirect_gateway(std::string_view text) {
  auto at = text.find(placeholder);
  if (at == std::string_view::npos) {
    auto url = parse_http_url(text);
    if (!url) return Unexpected{std::move(url).error()};
    return RedirectGateway{std::move(*url), false, {}};
  }
  if (text.find(placeholder, at + 1) != std::string_view::npos)
    return Unexpected{std::string("a gateway template has {cid} once")};
  std::string filled =
      std::string(text.substr(0, at)) + "cid" + std::string(text.substr(at + placeholder.size()));
  auto url = parse_http_url(filled);
  if (!url) return Unexpected{std::move(url).error()};
  auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos || at != scheme_end + 3 ||
      !url->host.starts_with("cid.") || url->host.size() <= 4)
    return Unexpected{
        std::string("a gateway template has {cid} as the first label of its host, e.g. "
                    "https://{cid}.ipfs.dweb.link")};
  if (url->path != "/") return Unexpected{std::string("a gateway template has no path")};
  RedirectGateway out{std::move(*url), true, {}};
  out.host_suffix = out.url.host.substr(4);
  return out;
}

std::string layer_location(const RedirectGateway& gateway, const IpfsPath& path) {
  std::string out, root_v1 = path.root_cid.to_string(), segments;
  path.append_encoded_segments(segments);
  append_layer_location(out, gateway, {path.root, root_v1, segments});
  return out;
}

void append_layer_location(std::string& out, const RedirectGateway& gateway,
                           const IpfsPathText& path) {
  const HttpUrl& url = gateway.url;
  out += url.https ? "https://" : "http://";
  if (gateway.subdomain) {
    out += path.root_v1;
    out += '.';
    out += gateway.host_suffix;
  } else if (url.host.find(':') != std::string::npos) {
    out += '[';
    out += url.host;
    out += ']';
  } else {
    out += url.host;
  }
  if (url.port != (url.https ? 443 : 80)) {
    char digits[8];
    out += ':';
    out.append(digits, std::to_chars(digits, digits + sizeof digits, url.port).ptr);
  }
  if (!gateway.subdomain) {
    out += url.base_path();
    out += "/ipfs/";
    out += path.root;
  }
  out += path.encoded_segments;
  if (path.encoded_segments.empty() && gateway.subdomain) out += '/';
}

}  // namespace ocipfs
