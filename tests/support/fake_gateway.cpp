#include "fake_gateway.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

namespace ocipfs::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

// A fresh self-signed certificate for `name` (an IP address or a host name), as PEM: trusted by
// nobody unless given as a CA.
std::pair<std::string, std::string> self_signed_pem(const std::string& name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);  // v3: it has extensions
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* subject = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, subject);
  boost::system::error_code not_an_address;
  asio::ip::make_address(name, not_an_address);
  std::string alt_name = (not_an_address ? "DNS:" : "IP:") + name;
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension =
      X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, alt_name.c_str());
  X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
  X509_sign(cert, key, EVP_sha256());
  auto to_pem = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return out;
  };
  std::string cert_pem = to_pem([&](BIO* bio) { PEM_write_bio_X509(bio, cert); });
  std::string key_pem = to_pem(
      [&](BIO* bio) { PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr); });
  X509_free(cert);
  EVP_PKEY_free(key);
  return {cert_pem, key_pem};
}

}  // namespace

struct FakeGateway::Impl {
  Impl(Transport t, std::uint16_t port, const std::string& certificate_name)
      : transport(t), acceptor(ioc) {
    if (transport == Transport::https_self_signed) {
      auto [cert, key] = self_signed_pem(certificate_name);
      certificate = cert;
      tls.use_certificate_chain(asio::buffer(cert));
      tls.use_private_key(asio::buffer(key), asio::ssl::context::pem);
    }
    // reuse_address: a gateway restarted on its old port binds while old connections linger.
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen();
  }

  Transport transport;
  std::string certificate;
  asio::ssl::context tls{asio::ssl::context::tls_server};
  asio::io_context ioc;
  tcp::acceptor acceptor;
  mutable std::mutex mutex;
  std::map<std::string, FakeReply> replies;
  FakeReply fallback{FakeReply::Kind::respond, 404, "not found", {}, {}};
  std::map<std::string, std::size_t> counts;
  std::vector<std::string> log;
  std::vector<std::string> accepts;
  std::vector<std::string> ranges;
  std::vector<std::string> authorizations;
  std::optional<std::string> required_authorization;
  bool honours_only_if_cached = false;
  std::size_t connections = 0;
  std::size_t hang_ups = 0;
  std::size_t unasked = 0;
  std::size_t open = 0;
  std::size_t max_open = 0;
  std::thread thread;

  FakeReply lookup(const std::string& method, const std::string& path, const std::string& accept,
                   const std::string& authorization, const std::string& cache_control) {
    std::lock_guard lock(mutex);
    std::string without_query = path.substr(0, path.find('?'));
    ++counts[path];
    if (without_query != path) ++counts[without_query];
    log.push_back(method + " " + path);
    accepts.push_back(accept);
    authorizations.push_back(authorization);
    if (required_authorization && authorization != *required_authorization)
      return {FakeReply::Kind::respond,
              401,
              R"({"Message":"unauthorized","Code":0,"Type":"error"})",
              {{"WWW-Authenticate", "Bearer"}},
              {}};
    auto it = replies.find(path);
    if (it == replies.end()) it = replies.find(without_query);
    bool held = it != replies.end() && it->second.kind == FakeReply::Kind::respond &&
                it->second.status / 100 == 2;
    if (honours_only_if_cached && !held &&
        cache_control.find("only-if-cached") != std::string::npos)
      return {FakeReply::Kind::respond, 412, "not in this node's store", {}, {}};
    return it == replies.end() ? fallback : it->second;
  }

  // The value of the field `name` (lower case) in a request head, or "".
  static std::string field_of(const std::string& head, const std::string& name) {
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto at = lower.find("\r\n" + name + ": ");
    if (at == std::string::npos) return "";
    auto start = at + name.size() + 4;
    return head.substr(start, head.find("\r\n", start) - start);
  }

  static std::string render(const FakeReply& reply, bool head) {
    std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " Fake\r\n";
    bool has_length = false;
    for (const auto& [name, value] : reply.headers) {
      out += name + ": " + value + "\r\n";
      if (name == "Content-Length") has_length = true;
    }
    if (!has_length) out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
    out += "\r\n";
    if (!head) out += reply.body;
    return out;
  }

  // Counts a connection open from its accept to the end of its coroutine.
  struct OpenConnection {
    Impl& gateway;
    explicit OpenConnection(Impl& g) : gateway(g) {
      std::lock_guard lock(gateway.mutex);
      gateway.max_open = std::max(gateway.max_open, ++gateway.open);
    }
    ~OpenConnection() {
      std::lock_guard lock(gateway.mutex);
      --gateway.open;
    }
  };

  asio::awaitable<void> serve_plain(tcp::socket socket) {
    OpenConnection counted(*this);
    co_await serve(socket);
  }

  asio::awaitable<void> serve_tls(tcp::socket socket) {
    OpenConnection counted(*this);
    asio::ssl::stream<tcp::socket> stream(std::move(socket), tls);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (!ec) co_await serve(stream);
  }

  // Waits `delay`, or less when the client hangs up meanwhile: then true, counted.
  asio::awaitable<bool> hung_up_during(tcp::socket::lowest_layer_type& socket,
                                       std::chrono::milliseconds delay) {
    auto timer = std::make_shared<asio::steady_timer>(socket.get_executor(), delay);
    auto readable = std::make_shared<bool>(false);
    socket.async_wait(tcp::socket::wait_read, [timer, readable](boost::system::error_code ec) {
      if (ec) return;
      *readable = true;
      timer->cancel();
    });
    co_await timer->async_wait(use_tuple);
    if (!*readable) {
      socket.cancel();  // the wait's handler holds only what it shares
      co_return false;
    }
    boost::system::error_code ec;
    std::size_t pending = socket.available(ec);  // readable with nothing to read: end of stream
    if (ec || pending == 0) {
      std::lock_guard lock(mutex);
      ++hang_ups;
      co_return true;
    }
    timer->expires_at(timer->expiry());  // bytes to read, not a hang-up: the rest of the delay
    co_await timer->async_wait(use_tuple);
    co_return false;
  }

  template <class Stream>
  asio::awaitable<bool> send_unasked(Stream& socket, const FakeReply& reply) {
    asio::steady_timer timer(socket.get_executor(), reply.unasked_delay);
    co_await timer.async_wait(use_tuple);
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(reply.unasked), use_tuple);
    std::lock_guard lock(mutex);
    ++unasked;
    co_return !ec;
  }

  void record_range(const std::string& range) {
    std::lock_guard lock(mutex);
    ranges.push_back(range);
  }

  // A file answer: from the offset a "bytes=N-" Range names (206), else whole (200); cut or
  // stalled after reply.cut_after or reply.stall_after bytes of its body.
  template <class Stream>
  asio::awaitable<void> send_file(Stream& socket, const FakeReply& reply,
                                  const std::string& range) {
    std::size_t from = 0;
    if (range.starts_with("bytes=") && range.ends_with("-"))
      from = std::stoul(range.substr(6, range.size() - 7));
    std::string body = reply.body.substr(std::min(from, reply.body.size()));
    std::string out = "HTTP/1.1 " + std::string(from ? "206 Partial Content" : "200 OK") +
                      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    if (from)
      out += "Content-Range: bytes " + std::to_string(from) + "-" +
             std::to_string(reply.body.size() - 1) + "/" + std::to_string(reply.body.size()) +
             "\r\n";
    out += "Connection: close\r\n\r\n";
    std::size_t sent = std::min({body.size(), reply.cut_after, reply.stall_after});
    out += body.substr(0, sent);
    auto [write_error, w] = co_await asio::async_write(socket, asio::buffer(out), use_tuple);
    if (write_error || sent == body.size() || reply.cut_after <= reply.stall_after) co_return;
    co_await socket.lowest_layer().async_wait(tcp::socket::wait_read, use_tuple);
  }

  template <class Stream>
  asio::awaitable<void> serve(Stream& socket) {
    asio::streambuf buffer(64 * 1024);
    for (;;) {
      auto [ec, n] = co_await asio::async_read_until(socket, buffer, "\r\n\r\n", use_tuple);
      if (ec) co_return;
      std::string head(asio::buffers_begin(buffer.data()), asio::buffers_begin(buffer.data()) + n);
      buffer.consume(n);
      auto first_space = head.find(' ');
      auto second_space = head.find(' ', first_space + 1);
      std::string method = head.substr(0, first_space);
      std::string path = head.substr(first_space + 1, second_space - first_space - 1);
      FakeReply reply = lookup(method, path, field_of(head, "accept"),
                               field_of(head, "authorization"), field_of(head, "cache-control"));
      record_range(field_of(head, "range"));
      if (reply.delay.count() > 0 && reply.kind != FakeReply::Kind::trickle) {
        bool hung_up = co_await hung_up_during(socket.lowest_layer(), reply.delay);
        if (hung_up) co_return;
      }
      switch (reply.kind) {
        case FakeReply::Kind::never_answer: {
          asio::steady_timer timer(socket.get_executor(), std::chrono::hours(1));
          co_await timer.async_wait(use_tuple);
          co_return;
        }
        case FakeReply::Kind::silent: {
          co_await socket.lowest_layer().async_wait(tcp::socket::wait_read, use_tuple);
          co_return;  // readable with nothing asked: the client has hung up
        }
        case FakeReply::Kind::close:
          co_return;
        case FakeReply::Kind::raw:
          co_await asio::async_write(socket, asio::buffer(reply.body), use_tuple);
          co_return;
        case FakeReply::Kind::endless: {
          std::string header = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
          auto [write_error, w] =
              co_await asio::async_write(socket, asio::buffer(header), use_tuple);
          std::string chunk = "4000\r\n" + std::string(0x4000, 'x') + "\r\n";
          while (!write_error) {
            std::tie(write_error, w) =
                co_await asio::async_write(socket, asio::buffer(chunk), use_tuple);
          }
          co_return;
        }
        case FakeReply::Kind::trickle: {
          std::string out = render(reply, method == "HEAD");
          asio::steady_timer timer(socket.get_executor());
          for (char byte : out) {
            auto [write_error, w] =
                co_await asio::async_write(socket, asio::buffer(&byte, 1), use_tuple);
            if (write_error) co_return;
            timer.expires_after(reply.delay);
            co_await timer.async_wait(use_tuple);
          }
          co_return;
        }
        case FakeReply::Kind::file:
          co_await send_file(socket, reply, field_of(head, "range"));
          co_return;
        case FakeReply::Kind::respond: {
          std::string out = render(reply, method == "HEAD");
          auto [write_error, w] = co_await asio::async_write(socket, asio::buffer(out), use_tuple);
          if (write_error) co_return;
          if (!reply.unasked.empty() && !co_await send_unasked(socket, reply)) co_return;
          break;
        }
      }
    }
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec) co_return;
      {
        std::lock_guard lock(mutex);
        ++connections;
      }
      if (transport == Transport::https_self_signed) {
        asio::co_spawn(ioc, serve_tls(std::move(socket)), asio::detached);
      } else {
        asio::co_spawn(ioc, serve_plain(std::move(socket)), asio::detached);
      }
    }
  }
};

FakeGateway::FakeGateway(Transport transport, std::uint16_t port,
                         const std::string& certificate_name)
    : impl_(std::make_unique<Impl>(transport, port, certificate_name)) {
  asio::co_spawn(impl_->ioc, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

FakeGateway::~FakeGateway() {
  impl_->ioc.stop();
  impl_->thread.join();
}

std::uint16_t FakeGateway::port() const { return impl_->acceptor.local_endpoint().port(); }
std::string FakeGateway::certificate_pem() const { return impl_->certificate; }
std::string FakeGateway::url() const {
  bool https = impl_->transport == Transport::https_self_signed;
  return (https ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port());
}

void FakeGateway::set(const std::string& path, FakeReply reply) {
  std::lock_guard lock(impl_->mutex);
  impl_->replies[path] = std::move(reply);
}

void FakeGateway::set_default(FakeReply reply) {
  std::lock_guard lock(impl_->mutex);
  impl_->fallback = std::move(reply);
}

void FakeGateway::serve_cid(const std::string& cid, std::string body) {
  FakeReply reply;
  reply.body = std::move(body);
  set("/ipfs/" + cid, std::move(reply));
}

std::size_t FakeGateway::request_count(const std::string& path) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->counts.find(path);
  return it == impl_->counts.end() ? 0 : it->second;
}

std::size_t FakeGateway::connection_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->connections;
}

std::size_t FakeGateway::hang_up_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->hang_ups;
}

std::size_t FakeGateway::max_open_connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->max_open;
}

std::size_t FakeGateway::unasked_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->unasked;
}

std::vector<std::string> FakeGateway::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->log;
}

std::vector<std::string> FakeGateway::authorization_headers() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->authorizations;
}

void FakeGateway::require_authorization(const std::string& value) {
  std::lock_guard lock(impl_->mutex);
  impl_->required_authorization = value;
}

void FakeGateway::honour_only_if_cached() {
  std::lock_guard lock(impl_->mutex);
  impl_->honours_only_if_cached = true;
}

std::vector<std::string> FakeGateway::range_headers() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->ranges;
}

std::vector<std::string> FakeGateway::accept_headers() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->accepts;
}

}  // namespace ocipfs::testing
