// Certificates for TLS tests: a test CA and server certificates for 127.0.0.1 that it issues, made
// by tests/tools/test-certificates.sh (the openssl command) in a temporary directory.
#pragma once

#include <string>

#include "support/files.hpp"
#include "support/process.hpp"

namespace ocipfs::testing {

class TestCertificates {
 public:
  struct Issued {
    std::string cert;  // PEM certificate
    std::string key;   // PEM private key
  };

  // The CA's certificate, to trust.
  std::string ca() const { return (dir_ / "ca.pem").string(); }

  // A certificate for 127.0.0.1 with `serial` (hex, e.g. "1001"), in NAME.pem and NAME.key;
  // empty paths when openssl failed.
  Issued issue(const std::string& name, const std::string& serial) const {
    auto made = run_command(std::string(OCIPFS_SOURCE_DIR) + "/tests/tools/test-certificates.sh " +
                            dir_.path().string() + " " + name + " " + serial + " 2>&1");
    if (made.exit_code != 0) return {};
    return {(dir_ / (name + ".pem")).string(), (dir_ / (name + ".key")).string()};
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  TempDir dir_;
};

}  // namespace ocipfs::testing
