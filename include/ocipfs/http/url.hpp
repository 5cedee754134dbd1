// Absolute http(s) URLs for gateways: parsed once, validated, and printable without secrets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ocipfs/base/expected.hpp"

namespace ocipfs {

struct HttpUrl {
  bool https = false;
  std::string host;  // a DNS name or an IP literal (without brackets)
  std::uint16_t port = 80;
  std::string path;  // starts with '/', e.g. "/" or "/prefix/ipfs/bafy..."; may hold a query

  std::string origin()
      const;  // "https://host[:port]" with the port only when it is not the default
  std::string to_string() const { return origin() + path; }
  // `path` without a trailing '/': the prefix a gateway's /ipfs/ paths go under.
  std::string_view base_path() const;
};

// Parses an absolute http or https URL. Refuses other schemes, user credentials, fragments and
// empty hosts. The error says which, showing the URL as redacted_url does.
Expected<HttpUrl> parse_http_url(std::string_view text);

// `text` (a URL, or what was meant as one) with the user:password of its authority, if any,
// written "***", for a message: "https://u:p@host/x" is "https://***@host/x".
std::string redacted_url(std::string_view text);

// Resolves a redirect's Location against the URL that was requested.
Expected<HttpUrl> resolve_location(const HttpUrl& base, std::string_view location);

// True for "localhost" (any case, a trailing dot allowed) and for addresses that are loopback
// (127.0.0.0/8, ::1), link-local (169.254.0.0/16, fe80::/10) or unspecified (0.0.0.0, ::), also
// IPv4-mapped. A gateway's redirect may lead to such a host only when the gateway is one itself:
// a gateway on the internet cannot make ocipfsd probe its own host or its cloud's metadata.
bool is_local_host(std::string_view host);

}  // namespace ocipfs
