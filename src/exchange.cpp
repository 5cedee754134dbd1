#include "ocipfs/exchange.hpp"

#include <boost/beast/http/status.hpp>

namespace ocipfs {

Response error_response(const RegistryError& error, bool head) {
  Response response = text_response(error_body(error), "application/json", head);
  response.status = error.status;
  if (error.status == 405) response.add("Allow", "GET, HEAD");
  response.add("Cache-Control", "no-store");
  return response;
}

Response text_response(std::string body, std::string_view content_type, bool head) {
  Response response;
  response.content_type = std::string(content_type);
  response.content_length = body.size();
  response.body = std::move(body);
  response.head = head;
  return response;
}

void serialize_head(const Response& response, Persistence persistence, std::string& out) {
  namespace http = boost::beast::http;
  out.clear();
  out += "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += http::obsolete_reason(static_cast<http::status>(response.status));
  out += "\r\nServer: ocipfsd\r\nDocker-Distribution-API-Version: registry/2.0\r\n";
  if (!response.content_type.empty()) {
    out += "Content-Type: ";
    out += response.content_type;
    out += "\r\n";
  }
  for (const auto& [name, value] : response.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (response.status != 304) {
    out += "Content-Length: ";
    out += std::to_string(response.content_length);
    out += "\r\n";
  }
  if (persistence == Persistence::close) out += "Connection: close\r\n";
  if (persistence == Persistence::keep_alive_1_0) out += "Connection: keep-alive\r\n";
  out += "\r\n";
}

}  // namespace ocipfs
