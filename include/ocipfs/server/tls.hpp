// ocipfsd's TLS credentials: the certificate chain and key of --tls-cert and --tls-key, loaded at
// start and again on SIGHUP. Each new connection takes the credentials of the moment and keeps
// them while it lives. OpenSSL stays out of this header.
#pragma once

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/server/config.hpp"

namespace boost::asio::ssl {
class context;
}

namespace ocipfs {

// Certificate or key files that cannot be served with; what() is one line naming the file.
struct TlsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class TlsCredentials {
 public:
  using Context = boost::asio::ssl::context;

  // Loads `files` (enabled). Throws TlsError when they cannot be served with.
  explicit TlsCredentials(TlsConfig files);

  // The context new connections are to take: TLS 1.2 or 1.3, ALPN http/1.1, no session
  // resumption. Callable from any thread.
  std::shared_ptr<Context> current() const;

  // Loads the files again. On success new connections take them, and the answer describes the
  // certificate; on failure the ones before stay, and the error says why.
  Expected<std::string> reload();

  // The certificate being served: its subject, serial and expiry, in one line.
  std::string description() const;

 private:
  TlsConfig files_;
  mutable std::mutex mutex_;
  std::shared_ptr<Context> current_;
};

}  // namespace ocipfs
