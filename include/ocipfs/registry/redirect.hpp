// Where layer downloads are sent: a path gateway base URL, or a subdomain gateway template.
#pragma once

#include <string>
#include <string_view>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/formats/ipfs_path.hpp"
#include "ocipfs/http/url.hpp"

namespace ocipfs {

struct RedirectGateway {
  HttpUrl url;              // for a template, the URL with "{cid}" standing as the label "cid"
  bool subdomain = false;   // a template like https://{cid}.ipfs.dweb.link
  std::string host_suffix;  // for a template: the host after "{cid}.", e.g. "ipfs.dweb.link"

  std::string to_string() const;
};

// Parses a path gateway URL ("https://ipfs.io", "http://host:8080/prefix") or a subdomain
// template whose host starts with "{cid}." and that has no path.
Expected<RedirectGateway> parse_redirect_gateway(std::string_view text);

// The Location for a layer: <base>/ipfs/<root>/<segments> on a path gateway, or
// <scheme>://<root as CIDv1 base32>.<suffix>/<segments> on a subdomain gateway. Every segment is
// percent-encoded; nothing from the layer manifest can choose the host.
std::string layer_location(const RedirectGateway& gateway, const IpfsPath& path);
// Appends layer_location to `out`; allocates nothing when `out` has room.
void append_layer_location(std::string& out, const RedirectGateway& gateway,
                           const IpfsPathText& path);

}  // namespace ocipfs
