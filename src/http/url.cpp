#include "ocipfs/http/url.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <cctype>

#include "ocipfs/base/text.hpp"

namespace ocipfs {

namespace {

Expected<HttpUrl> from_url(const boost::urls::url_view& url, std::string_view url_text) {
  const std::string text = redacted_url(url_text);  // the URL as messages show it
  HttpUrl out;
  if (url.scheme_id() == boost::urls::scheme::https) {
    out.https = true;
  } else if (url.scheme_id() != boost::urls::scheme::http) {
    return Unexpected{"URL " + in_quotes(text) + " is not http or https"};
  }
  if (url.has_userinfo())
    return Unexpected{"URL " + in_quotes(text) + " has credentials, which are not supported"};
  if (url.has_fragment()) return Unexpected{"URL " + in_quotes(text) + " has a fragment"};
  out.host = url.encoded_host_address();
  if (out.host.empty()) return Unexpected{"URL " + in_quotes(text) + " has no host"};
  if (url.host_type() == boost::urls::host_type::name) {
    for (char& c : out.host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (out.host.find('%') != std::string::npos)
      return Unexpected{"URL " + in_quotes(text) + " has an encoded host name"};
  }
  out.port = out.https ? 443 : 80;
  if (url.has_port()) {
    if (url.port().empty() || url.port_number() == 0)
      return Unexpected{"URL " + in_quotes(text) + " has an invalid port"};
    out.port = url.port_number();
  }
  out.path = url.encoded_path();
  if (out.path.empty()) out.path = "/";
  if (out.path.front() != '/') return Unexpected{"URL " + in_quotes(text) + " has a relative path"};
  if (url.has_query()) {
    out.path += '?';
    out.path += url.encoded_query();
  }
  return out;
}

}  // namespace

std::string HttpUrl::origin() const {
  std::string out = https ? "https://" : "http://";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (https ? 443 : 80)) {
    out += ':';
    out += std::to_string(port);
  }
  return out;
}

std::string_view HttpUrl::base_path() const {
  std::string_view out = path;
  while (!out.empty() && out.back() == '/') out.remove_suffix(1);
  return out;
}

std::string redacted_url(std::string_view text) {
  // The authority runs from "//" to the first '/', '?' or '#'; credentials end at its last '@'.
  auto slashes = text.find("//");
  if (slashes == std::string_view::npos) return std::string(text);
  auto start = slashes + 2;
  auto end = std::min(text.find_first_of("/?#", start), text.size());
  auto at = text.substr(start, end - start).rfind('@');
  if (at == std::string_view::npos) return std::string(text);
  return std::string(text.substr(0, start)) + "***" + std::string(text.substr(start + at));
}

Expected<HttpUrl> parse_http_url(std::string_view text) {
  if (text.size() > 2048) return Unexpected{std::string("URL is longer than 2048 characters")};
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url) return Unexpected{"invalid URL " + in_quotes(redacted_url(text))};
  return from_url(*url, text);
}

Expected<HttpUrl> resolve_location(const HttpUrl& base, std::string_view location) {
  if (location.size() > 4096) return Unexpected{std::string("redirect location is too long")};
  auto reference = boost::urls::parse_uri_reference(location);
  if (!reference) return Unexpected{"invalid redirect location " + in_quotes(location)};
  const std::string base_text = base.to_string();
  auto base_url = boost::urls::parse_absolute_uri(base_text);
  if (!base_url) return Unexpected{"invalid base URL " + in_quotes(base_text)};
  boost::urls::url resolved;
  auto result = boost::urls::resolve(*base_url, *reference, resolved);
  if (!result) return Unexpected{"cannot resolve redirect location " + in_quotes(location)};
  return from_url(resolved, location);
}

namespace {

bool is_local_v4(const boost::asio::ip::address_v4& address) {
  auto bytes = address.to_bytes();
  return address.is_loopback() || address.is_unspecified() || (bytes[0] == 169 && bytes[1] == 254);
}

}  // namespace

bool is_local_host(std::string_view host) {
  if (host.ends_with('.')) host.remove_suffix(1);
  std::string lower;
  for (char c : host) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "localhost" || lower.ends_with(".localhost")) return true;
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(lower, ec);
  if (ec) return false;
  if (address.is_v4()) return is_local_v4(address.to_v4());
  auto v6 = address.to_v6();
  if (v6.is_v4_mapped())
    return is_local_v4(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
  return v6.is_loopback() || v6.is_link_local() || v6.is_unspecified();
}

}  // namespace ocipfs
