// ocipfsd's own TLS (--tls-cert, --tls-key): the server on 127.0.0.1:0 with certificates made at
// test time, a client that trusts only the test CA, and reloading the credentials.
#include "ocipfs/server/tls.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "support/certificates.hpp"
#include "support/http_client.hpp"
#include "support/server_fixture.hpp"

namespace ocipfs {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TestCertificates;
using testing::TlsClient;

class TlsServer : public ServerTest {
 protected:
  void SetUp() override {
    gateway.serve_cid(cid, testing::layer_manifest_json());
    first = certificates.issue("first", "1001");
    ASSERT_FALSE(first.cert.empty()) << "the openssl command failed";
    start({"--tls-cert=" + first.cert, "--tls-key=" + first.key});
  }

  // /metrics over TLS.
  std::string metrics() {
    TlsClient client(server->port(), certificates.ca());
    return client.request("/metrics").body;
  }

  TestCertificates certificates;
  TestCertificates::Issued first;
};

TEST_F(TlsServer, ServesAManifestOverHttps) {
  TlsClient client(server->port(), certificates.ca());
  ASSERT_TRUE(client.connected()) << client.error();
  EXPECT_EQ(client.version(), "TLSv1.3");
  EXPECT_EQ(client.alpn(), "http/1.1");  // offered h2 first; only http/1.1 is served
  EXPECT_EQ(client.serial(), "1001");
  auto manifest = client.request(repo + "/manifests/latest", {{"Accept", accept_all}});
  EXPECT_EQ(manifest.status, 200u) << manifest.body;
  EXPECT_EQ(manifest.header("docker-content-digest"), image.index.digest);
  // Kept alive: the next request on the same connection.
  auto again = client.request(repo + "/manifests/" + image.index.digest, {{"Accept", accept_all}});
  EXPECT_EQ(again.status, 200u);
  EXPECT_EQ(again.body, manifest.body);
  EXPECT_THAT(metrics(), HasSubstr("ocipfs_tls_handshakes_total 2\n"));
}

TEST_F(TlsServer, AClientThatDoesNotTrustTheCertificateIsRefused) {
  TestCertificates other;
  other.issue("other", "2002");  // another CA
  TlsClient client(server->port(), other.ca());
  EXPECT_FALSE(client.connected());
  EXPECT_THAT(client.error(), HasSubstr("certificate verify failed"));
  EXPECT_THAT(metrics(), HasSubstr("ocipfs_tls_handshake_failures_total{reason=\"refused\"} 1\n"));
}

TEST_F(TlsServer, PlainHttpIsToldToUseHttps) {
  auto answer = testing::raw_exchange(server->port(), "GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(answer, HasSubstr("HTTP/1.1 400 "));
  EXPECT_THAT(answer, HasSubstr("this port speaks HTTPS: use https://"));
  EXPECT_THAT(metrics(),
              HasSubstr("ocipfs_tls_handshake_failures_total{reason=\"plain_http\"} 1\n"));
}

// Past --max-connections, a TLS connection is closed without a word: a plain-HTTP 503 would be
// garbage to it. The handshake holds its slot.
TEST_F(TlsServer, ConnectionsOverTheLimitAreClosed) {
  start({"--tls-cert=" + first.cert, "--tls-key=" + first.key, "--max-connections=1"});
  TlsClient held(server->port(), certificates.ca());
  ASSERT_TRUE(held.connected()) << held.error();
  TlsClient over(server->port(), certificates.ca());
  EXPECT_FALSE(over.connected());
  // Closed or reset; a plain-HTTP answer would have been read as a bad TLS record.
  EXPECT_THAT(over.error(),
              Not(AnyOf(HasSubstr("wrong version number"), HasSubstr("packet length"))));
  EXPECT_THAT(held.request("/metrics").body, HasSubstr("ocipfs_connections_refused_total 1\n"));
}

// Reloading (what SIGHUP does): new connections get the new certificate, an open one goes on with
// its own, and files that cannot be served with leave the ones before in place.
TEST_F(TlsServer, ReloadServesNewConnectionsTheNewCertificate) {
  TlsClient open(server->port(), certificates.ca());
  ASSERT_TRUE(open.connected()) << open.error();
  ASSERT_EQ(open.request("/v2/").status, 200u);
  auto second = certificates.issue("second", "2002");
  std::filesystem::copy_file(second.cert, first.cert,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(second.key, first.key,
                             std::filesystem::copy_options::overwrite_existing);
  auto reloaded = server->tls()->reload();
  ASSERT_TRUE(reloaded) << reloaded.error();
  EXPECT_THAT(*reloaded, HasSubstr("serial 2002"));

  TlsClient fresh(server->port(), certificates.ca());
  ASSERT_TRUE(fresh.connected()) << fresh.error();
  EXPECT_EQ(fresh.serial(), "2002");
  EXPECT_EQ(fresh.request(repo + "/manifests/latest", {{"Accept", accept_all}}).status, 200u);
  EXPECT_EQ(open.serial(), "1001");
  EXPECT_EQ(open.request(repo + "/manifests/latest", {{"Accept", accept_all}}).status, 200u);

  testing::write_file(first.cert, "not a certificate\n");
  auto refused = server->tls()->reload();
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error(), HasSubstr("--tls-cert=" + first.cert + ": not a PEM"));
  TlsClient after(server->port(), certificates.ca());
  ASSERT_TRUE(after.connected()) << after.error();
  EXPECT_EQ(after.serial(), "2002");
  EXPECT_THAT(server->tls()->description(), HasSubstr("serial 2002"));
}

// Files that cannot be served with are refused at start with one line naming the file.
TEST_F(TlsServer, BadFilesAreRefusedAtStart) {
  auto second = certificates.issue("second", "2002");
  std::string missing = certificates.path("missing.pem");
  struct Case {
    std::string cert, key, error;
  } cases[] = {
      {missing, first.key, "--tls-cert=" + missing + ": cannot read it (No such file"},
      {first.key, first.key, "--tls-cert=" + first.key + ": not a PEM certificate chain"},
      {first.cert, second.key, "--tls-key=" + second.key + ": not a PEM private key of the"},
  };
  for (const auto& bad : cases) {
    Config config;
    config.listen.host = "127.0.0.1";
    config.listen.port = 0;
    config.gateway.urls.push_back(*parse_http_url(gateway.url()));
    config.tls = {bad.cert, bad.key};
    try {
      Server refused(config);
      ADD_FAILURE() << "served with " << bad.cert << " and " << bad.key;
    } catch (const TlsError& error) {
      EXPECT_THAT(error.what(), HasSubstr(bad.error));
      EXPECT_EQ(std::string(error.what()).find('\n'), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace ocipfs
