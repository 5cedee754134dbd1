// An in-process HTTP server that plays an IPFS gateway, including one that misbehaves.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ocipfs::testing {

struct FakeReply {
  enum class Kind {
    respond,       // an HTTP answer built from the fields below
    never_answer,  // read the request, then keep the connection open and silent
    silent,        // never_answer, until the client hangs up (then the connection is closed)
    raw,           // send `body` as raw bytes, then close
    close,         // close the connection without a word
    endless,       // a 200 whose chunked body never ends
    trickle,       // the answer of `respond`, one byte every `delay`
    file,          // `body` as a file: a Range "bytes=N-" gets 206 and the rest from N
  };
  Kind kind = Kind::respond;
  unsigned status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Before answering (trickle: between bytes). A client that hangs up meanwhile is noticed at
  // once (hang_up_count) and its connection closed.
  std::chrono::milliseconds delay{0};
  // respond: bytes sent on the kept-alive connection after the answer, `unasked_delay` later, as
  // a gateway or proxy may (a 408 before it closes, a spurious second answer).
  std::string unasked{};
  std::chrono::milliseconds unasked_delay{0};
  // file: after this many bytes of the body, close the connection (cut), or else fall silent
  // until the client hangs up (stall).
  std::size_t cut_after = std::string::npos;
  std::size_t stall_after = std::string::npos;
};

class FakeGateway {
 public:
  enum class Transport { http, https_self_signed };
  // Listens on 127.0.0.1:`port` (0: a port the OS chooses). A TLS gateway's self-signed
  // certificate names `certificate_name` (an IP address or a host name).
  explicit FakeGateway(Transport transport = Transport::http, std::uint16_t port = 0,
                       const std::string& certificate_name = "127.0.0.1");
  ~FakeGateway();

  std::string url() const;  // "http://127.0.0.1:<port>" (https for a TLS gateway)
  std::uint16_t port() const;
  std::string certificate_pem() const;  // a TLS gateway's certificate, to trust it as a CA

  // What to answer for a request path: the exact match, query included, or else the path without
  // its query; thread-safe.
  void set(const std::string& path, FakeReply reply);
  // What to answer for paths with no reply set (default: 404).
  void set_default(FakeReply reply);
  // Shorthand: serve `body` with 200 at /ipfs/<cid>.
  void serve_cid(const std::string& cid, std::string body);

  // Requests for `path`; a request with a query also counts for its path without it.
  std::size_t request_count(const std::string& path) const;
  std::size_t connection_count() const;
  // The most connections that were open at once (one is open until the gateway closes it).
  std::size_t max_open_connections() const;
  // Connections the client closed while their answer was being delayed (FakeReply::delay).
  std::size_t hang_up_count() const;
  // Times the `unasked` bytes of a reply were written.
  std::size_t unasked_count() const;
  std::vector<std::string> requests() const;  // "METHOD path", in order
  std::vector<std::string> accept_headers() const;
  std::vector<std::string> range_headers() const;  // the Range field of each request, or ""
  // The Authorization field of each request ("" when it had none), in order.
  std::vector<std::string> authorization_headers() const;
  // From now on, a request whose Authorization field is not `value` is answered 401, as a hosted
  // node's RPC API does.
  void require_authorization(const std::string& value);
  // From now on, a request with Cache-Control: only-if-cached for a path with no 2xx reply set is
  // answered 412, as a Kubo node answers for content it holds no copy of.
  void honour_only_if_cached();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ocipfs::testing
