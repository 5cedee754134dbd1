// A blocking HTTP/1.1 client for tests: one request per connection, or several on one; over TLS
// too.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ocipfs::testing {

struct HttpResult {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  bool has_header(const std::string& name) const { return headers.count(name) != 0; }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// Sends one request to 127.0.0.1:port and reads the answer (HEAD-aware).
HttpResult http_request(std::uint16_t port, const std::string& method, const std::string& target,
                        const Headers& headers = {});

// A connection to 127.0.0.1:port that stays open between requests, until close() or the end.
class KeptAliveClient {
 public:
  explicit KeptAliveClient(std::uint16_t port);
  ~KeptAliveClient();
  HttpResult request(const std::string& target, const std::string& method = "GET",
                     const Headers& headers = {});
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A TLS connection to 127.0.0.1:port that trusts only the CA in `ca_file` and checks that the
// certificate is for 127.0.0.1, offering ALPN h2 and http/1.1. Each step has 10 s.
class TlsClient {
 public:
  TlsClient(std::uint16_t port, const std::string& ca_file);
  ~TlsClient();
  // Whether the handshake succeeded; else error() says why.
  bool connected() const;
  std::string error() const;
  // An answer on this connection (status 0 when there was none; error() says why).
  HttpResult request(const std::string& target, const Headers& headers = {});
  // The server's certificate serial, in hex; the protocol ALPN chose; "TLSv1.3" or "TLSv1.2".
  std::string serial() const;
  std::string alpn() const;
  std::string version() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True when a TCP connection to 127.0.0.1:port is accepted.
bool can_connect(std::uint16_t port);

// A port that was free a moment ago (for starting a separate process on it).
std::uint16_t free_port();

// Sends raw bytes to 127.0.0.1:port and returns everything read until the server closes or
// `timeout_ms` passes.
std::string raw_exchange(std::uint16_t port, const std::string& bytes, int timeout_ms = 5000);

}  // namespace ocipfs::testing
