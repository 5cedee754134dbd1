#include "http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <chrono>

namespace ocipfs::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

using Parser = http::response_parser<http::string_body>;

void prepare(Parser& parser, const std::string& method) {
  parser.body_limit(64 * 1024 * 1024);
  if (method == "HEAD") parser.skip(true);
}

HttpResult result_of(Parser& parser) {
  HttpResult result;
  auto& response = parser.get();
  result.status = response.result_int();
  for (const auto& field : response) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    result.headers[name] = std::string(field.value());
  }
  result.body = response.body();
  return result;
}

http::request<http::empty_body> request_for(std::uint16_t port, const std::string& method,
                                            const std::string& target, const Headers& headers) {
  http::request<http::empty_body> request{http::string_to_verb(method), target, 11};
  if (request.method() == http::verb::unknown) request.method_string(method);
  request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  for (const auto& [name, value] : headers) request.set(name, value);
  return request;
}

}  // namespace

struct KeptAliveClient::Impl {
  std::uint16_t port;
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
};

KeptAliveClient::KeptAliveClient(std::uint16_t port) : impl_(std::make_unique<Impl>()) {
  impl_->port = port;
  impl_->stream.expires_after(std::chrono::seconds(60));
  impl_->stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
}

KeptAliveClient::~KeptAliveClient() = default;

void KeptAliveClient::close() {
  boost::system::error_code ignored;
  impl_->stream.socket().close(ignored);
}

HttpResult KeptAliveClient::request(const std::string& target, const std::string& method,
                                    const Headers& headers) {
  auto& stream = impl_->stream;
  stream.expires_after(std::chrono::seconds(60));
  http::write(stream, request_for(impl_->port, method, target, headers));
  Parser parser;
  prepare(parser, method);
  http::read(stream, impl_->buffer, parser);
  return result_of(parser);
}

HttpResult http_request(std::uint16_t port, const std::string& method, const std::string& target,
                        const Headers& headers) {
  return KeptAliveClient(port).request(target, method, headers);
}

struct TlsClient::Impl {
  std::uint16_t port;
  asio::io_context ioc;
  asio::ssl::context context{asio::ssl::context::tls_client};
  beast::ssl_stream<beast::tcp_stream> stream{ioc, context};
  beast::flat_buffer buffer;
  boost::system::error_code error;

  // Runs the asynchronous operation `start` begins, within 10 s; false when it failed (`error`).
  template <class Start>
  bool run(Start start) {
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    start([this](boost::system::error_code ec, auto&&...) { error = ec; });
    ioc.restart();
    ioc.run();
    return !error;
  }
};

TlsClient::TlsClient(std::uint16_t port, const std::string& ca_file)
    : impl_(std::make_unique<Impl>()) {
  auto& impl = *impl_;
  impl.port = port;
  impl.context.load_verify_file(ca_file);
  impl.stream.set_verify_mode(asio::ssl::verify_peer);  // the stream has its SSL already
  impl.stream.set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
  static constexpr unsigned char offered[] = "\x02h2\x08http/1.1";
  SSL_set_alpn_protos(impl.stream.native_handle(), offered, sizeof offered - 1);
  tcp::endpoint server(asio::ip::make_address("127.0.0.1"), port);
  auto& lowest = beast::get_lowest_layer(impl.stream);
  if (!impl.run([&](auto done) { lowest.async_connect(server, done); })) return;
  lowest.socket().set_option(tcp::no_delay(true));  // as real clients do: no 40 ms Nagle stalls
  impl.run([&](auto done) { impl.stream.async_handshake(asio::ssl::stream_base::client, done); });
}

TlsClient::~TlsClient() = default;

bool TlsClient::connected() const { return !impl_->error; }

std::string TlsClient::error() const { return impl_->error.message(); }

HttpResult TlsClient::request(const std::string& target, const Headers& headers) {
  auto& impl = *impl_;
  auto request = request_for(impl.port, "GET", target, headers);
  Parser parser;
  prepare(parser, "GET");
  bool answered = impl.run([&](auto done) {
    http::async_write(impl.stream, request, done);
  }) && impl.run([&](auto done) { http::async_read(impl.stream, impl.buffer, parser, done); });
  return answered ? result_of(parser) : HttpResult{};
}

std::string TlsClient::serial() const {
  X509* certificate = SSL_get1_peer_certificate(impl_->stream.native_handle());
  if (!certificate) return {};
  std::string out;
  if (BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr)) {
    char* hex = BN_bn2hex(number);
    out = hex ? hex : "";
    OPENSSL_free(hex);
    BN_free(number);
  }
  X509_free(certificate);
  return out;
}

std::string TlsClient::alpn() const {
  const unsigned char* chosen = nullptr;
  unsigned int size = 0;
  SSL_get0_alpn_selected(impl_->stream.native_handle(), &chosen, &size);
  return std::string(reinterpret_cast<const char*>(chosen), size);
}

std::string TlsClient::version() const { return SSL_get_version(impl_->stream.native_handle()); }

bool can_connect(std::uint16_t port) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  boost::system::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  return !ec;
}

std::uint16_t free_port() {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

std::string raw_exchange(std::uint16_t port, const std::string& bytes, int timeout_ms) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::milliseconds(timeout_ms));
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  boost::system::error_code ec;
  asio::write(stream.socket(), asio::buffer(bytes), ec);
  std::string out;
  char chunk[4096];
  for (;;) {
    stream.expires_after(std::chrono::milliseconds(timeout_ms));
    std::size_t n = stream.read_some(asio::buffer(chunk), ec);
    out.append(chunk, n);
    if (ec) break;
  }
  return out;
}

}  // namespace ocipfs::testing
