#include "ocipfs/server/tls.hpp"

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace ocipfs {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// ALPN: http/1.1, the one protocol served. A client that offers only others goes on without ALPN.
int select_http_1_1(SSL*, const unsigned char** out, unsigned char* out_size,
                    const unsigned char* offered, unsigned int offered_size, void*) {
  static constexpr unsigned char served[] = "\x08http/1.1";
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_size, served, sizeof served - 1, offered,
                            offered_size) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// Why `path` (given as `flag`) cannot be read, if it cannot: OpenSSL's own reasons for a missing
// file are obscure.
std::string unreadable(const std::string& flag, const std::string& path) {
  std::ifstream file(path);
  if (file) return {};
  return flag + "=" + path + ": cannot read it (" + std::strerror(errno) + ")";
}

// TLS 1.2 at least, OpenSSL's default ciphers in the server's order of preference, ALPN http/1.1.
// No session tickets or cache: resuming is worth little to registry clients, which keep their
// connections alive, and ticket keys would have to be kept secret, shared and rotated.
void configure(SSL_CTX* context) {
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  SSL_CTX_set_options(context, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET |
                                   SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_num_tickets(context, 0);
  SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
  // An idle connection holds no TLS buffers (about 34 KiB each otherwise).
  SSL_CTX_set_mode(context, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_alpn_select_cb(context, select_http_1_1, nullptr);
}

Expected<std::shared_ptr<asio::ssl::context>> load(const TlsConfig& files) {
  for (const auto& [flag, path] :
       {std::pair{"--tls-cert", files.cert_file}, std::pair{"--tls-key", files.key_file}})
    if (auto problem = unreadable(flag, path); !problem.empty()) return Unexpected{problem};
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  configure(context->native_handle());
  error_code ec;
  context->use_certificate_chain_file(files.cert_file, ec);
  if (ec)
    return Unexpected{"--tls-cert=" + files.cert_file + ": not a PEM certificate chain (" +
                      ec.message() + ")"};
  context->use_private_key_file(files.key_file, asio::ssl::context::pem, ec);
  if (ec)
    return Unexpected{"--tls-key=" + files.key_file +
                      ": not a PEM private key of the "
                      "certificate in --tls-cert (" +
                      ec.message() + ")"};
  return context;
}

// The text of `time` as OpenSSL prints it ("Dec  8 12:00:00 2026 GMT").
std::string time_text(const ASN1_TIME* time) {
  BIO* out = BIO_new(BIO_s_mem());
  if (!out) return "?";
  ASN1_TIME_print(out, time);
  char* data = nullptr;
  long size = BIO_get_mem_data(out, &data);
  std::string text(data, static_cast<std::size_t>(size));
  BIO_free(out);
  return text;
}

std::string describe(asio::ssl::context& context) {
  X509* certificate = SSL_CTX_get0_certificate(context.native_handle());
  if (!certificate) return "no certificate";
  char subject[256];
  X509_NAME_oneline(X509_get_subject_name(certificate), subject, sizeof subject);
  std::string serial = "?";
  if (BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr)) {
    if (char* hex = BN_bn2hex(number)) {
      serial = hex;
      OPENSSL_free(hex);
    }
    BN_free(number);
  }
  return std::string(subject) + ", serial " + serial + ", valid until " +
         time_text(X509_get0_notAfter(certificate));
}

}  // namespace

TlsCredentials::TlsCredentials(TlsConfig files) : files_(std::move(files)) {
  auto loaded = load(files_);
  if (!loaded) throw TlsError(loaded.error());
  current_ = std::move(*loaded);
}

std::shared_ptr<TlsCredentials::Context> TlsCredentials::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

Expected<std::string> TlsCredentials::reload() {
  auto loaded = load(files_);
  if (!loaded) return Unexpected{loaded.error()};
  std::string described = describe(**loaded);
  std::lock_guard lock(mutex_);
  current_ = std::move(*loaded);
  return described;
}

std::string TlsCredentials::description() const { return describe(*current()); }

}  // namespace ocipfs
