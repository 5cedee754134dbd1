#include "ocipfs/redirect.hpp"

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
  if (!gateway.subdomain) {
    return gateway.url.origin() + std::string(gateway.url.base_path()) + "/ipfs/" + path.encoded();
  }
  std::string out = gateway.url.https ? "https://" : "http://";
  out += path.root_cid.to_string() + "." + gateway.host_suffix;
  if (gateway.url.port != (gateway.url.https ? 443 : 80)) {
    out += ':';
    out += std::to_string(gateway.url.port);
  }
  std::string segments = path.encoded().substr(path.root.size());
  out += segments.empty() ? "/" : segments;
  return out;
}

}  // namespace ocipfs
