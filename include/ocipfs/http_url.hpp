// Absolute http(s) URLs for gateways: parsed once, validated, and printable without secrets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ocipfs/expected.hpp"

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
// empty hosts. The error says which.
Expected<HttpUrl> parse_http_url(std::string_view text);

// Resolves a redirect's Location against the URL that was requested.
Expected<HttpUrl> resolve_location(const HttpUrl& base, std::string_view location);

}  // namespace ocipfs
