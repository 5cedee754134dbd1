#include "ocipfs/http/exchange.hpp"

#include <algorithm>
#include <boost/beast/http/status.hpp>
#include <charconv>

#include "ocipfs/base/text.hpp"

namespace ocipfs {

namespace {

void append_number(std::string& out, std::uint64_t value) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

void append_content_address(std::string& out, std::string_view digest) {
  append_field(out, "Docker-Content-Digest", digest);
  out += "ETag: \"";
  out += digest;
  out += "\"\r\n";
  append_field(out, "Cache-Control", immutable_cache_control);
}

std::string_view standard_reason(unsigned status) {
  namespace http = boost::beast::http;
  return http::obsolete_reason(static_cast<http::status>(status));
}

// "<standard phrase>: <message>", printable and bounded.
std::string error_reason(const RegistryError& error) {
  std::string reason(standard_reason(error.status));
  reason += ": ";
  constexpr std::size_t ellipsis = 3;  // printable appends "..." to what it cuts
  std::size_t room = max_reason_phrase_size - std::min(max_reason_phrase_size, reason.size());
  reason += printable(error.message, room > ellipsis ? room - ellipsis : 0);
  return reason;
}

}  // namespace

DigestText& DigestText::operator=(std::string_view text) {
  size_ = static_cast<std::uint8_t>(std::min(text.size(), text_.size()));
  std::copy_n(text.data(), size_, text_.data());
  return *this;
}

void DigestText::assign(const Sha256& sha256) {
  write_sha256_digest(sha256, text_.data());
  size_ = static_cast<std::uint8_t>(text_.size());
}

void Response::reset() {
  status = 200;
  content_type = {};
  body.clear();
  body_owner.reset();
  shared_body = {};
  stream.reset();
  content_length = 0;
  head = false;
  digest = DigestText();
  immutable = false;
  vary_accept = false;
  location.clear();
  headers.clear();
  reason.clear();
}

void Response::take(Response&& answer) {
  status = answer.status;
  content_type = answer.content_type;
  body = answer.body;
  body_owner = std::move(answer.body_owner);
  shared_body = answer.shared_body;
  stream = std::move(answer.stream);
  content_length = answer.content_length;
  head = answer.head;
  digest = answer.digest;
  immutable = answer.immutable;
  vary_accept = answer.vary_accept;
  location = answer.location;
  headers = answer.headers;
  reason = answer.reason;
}

Response error_response(const RegistryError& error, bool head) {
  Response response = text_response(error_body(error), "application/json", head);
  response.status = error.status;
  response.reason = error_reason(error);
  if (error.status == 405) response.add("Allow", "GET, HEAD");
  if (error.status == 503) response.add("Retry-After", "1");  // out of room for a moment
  response.add("Cache-Control", "no-store");
  return response;
}

Response text_response(std::string body, std::string_view content_type, bool head) {
  Response response;
  response.content_type = content_type;
  response.content_length = body.size();
  response.body = std::move(body);
  response.head = head;
  return response;
}

void serialize_head(const Response& response, Persistence persistence, std::string& out) {
  out.clear();
  out += "HTTP/1.1 ";
  append_number(out, response.status);
  out += ' ';
  if (response.reason.empty())
    out += standard_reason(response.status);
  else
    out += response.reason;
  out += "\r\nServer: ocipfsd\r\nDocker-Distribution-API-Version: registry/2.0\r\n";
  if (!response.content_type.empty()) append_field(out, "Content-Type", response.content_type);
  if (!response.digest.empty())
    append_content_address(out, response.digest);
  else if (response.immutable)
    append_field(out, "Cache-Control", immutable_cache_control);
  if (response.vary_accept) out += "Vary: Accept\r\n";
  if (!response.location.empty()) append_field(out, "Location", response.location);
  for (const auto& [name, value] : response.headers) append_field(out, name, value);
  if (response.status != 304) {
    out += "Content-Length: ";
    append_number(out, response.content_length);
    out += "\r\n";
  }
  if (persistence == Persistence::close) out += "Connection: close\r\n";
  if (persistence == Persistence::keep_alive_1_0) out += "Connection: keep-alive\r\n";
  out += "\r\n";
}

std::string header_value(const Response& response, std::string_view name) {
  std::string head;
  serialize_head(response, Persistence::keep_alive_1_1, head);
  std::string_view text = head;
  std::string prefix = "\r\n" + std::string(name) + ": ";
  auto at = text.find(prefix);
  if (at == std::string_view::npos) return "";
  auto value = text.substr(at + prefix.size());
  return std::string(value.substr(0, value.find("\r\n")));
}

}  // namespace ocipfs
