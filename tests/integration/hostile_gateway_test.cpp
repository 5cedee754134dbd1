// Gateways that fail, stall, flood, lie about HTTP or TLS, or go away and come back: each ends
// within the deadlines with the right OCI error, memory stays bounded, and nothing stays broken.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/rendered_image.hpp"
#include "support/server_fixture.hpp"

namespace ocipfs {
namespace {

using testing::FakeGateway;
using testing::FakeReply;
using ::testing::HasSubstr;
using HostileGateway = ServerTest;
using Clock = std::chrono::steady_clock;

// This process's resident set, in bytes.
std::size_t resident_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("VmRSS:")) return std::stoul(line.substr(6)) * 1024;
  return 0;
}

TEST_F(HostileGateway, GatewayNotFound) {
  for (unsigned status : {404u, 410u}) {
    auto result = with_gateway_reply({FakeReply::Kind::respond, status, "gone", {}, {}});
    EXPECT_EQ(result.status, 404u);
    EXPECT_EQ(error_code(result), "MANIFEST_UNKNOWN");
    EXPECT_THAT(error_message(result), HasSubstr("answered " + std::to_string(status)));
  }
}

TEST_F(HostileGateway, GatewayErrorsAreBadGateway) {
  std::vector<FakeReply> faults = {
      {FakeReply::Kind::respond, 500, "boom", {}, {}},
      {FakeReply::Kind::respond, 503, "", {}, {}},
      {FakeReply::Kind::respond, 429, "", {{"Retry-After", "5"}}, {}},
      {FakeReply::Kind::raw, 0, "this is not HTTP\r\n\r\n", {}, {}},
      {FakeReply::Kind::close, 0, "", {}, {}},
      {FakeReply::Kind::respond, 200, std::string(2 * 1024 * 1024, '{'), {}, {}},
      {FakeReply::Kind::endless, 0, "", {}, {}},
      {FakeReply::Kind::respond, 302, "", {}, {}},  // a redirect without Location
  };
  for (auto& fault : faults) {
    auto result = with_gateway_reply(fault);
    EXPECT_EQ(result.status, 502u) << result.body;
    EXPECT_EQ(error_code(result), "UNAVAILABLE");
    EXPECT_THAT(error_message(result), HasSubstr(gateway.url()));
    EXPECT_THAT(error_message(result), HasSubstr(cid));
  }
}

TEST_F(HostileGateway, GatewayThatNeverAnswersTimesOut) {
  auto started = std::chrono::steady_clock::now();
  auto result = with_gateway_reply({FakeReply::Kind::never_answer, 0, "", {}, {}});
  auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(result.status, 504u);
  EXPECT_THAT(error_message(result), HasSubstr("did not answer within 1s"));
  EXPECT_LT(elapsed, std::chrono::seconds(10));  // bounded by the 1 s deadline, generously
}

// The commonest mistake (the CAR was never imported): clients ask with HEAD first, which has no
// body, and print the status line; it says what to check.
TEST_F(HostileGateway, AHeadThatTimesOutSaysWhatToCheckInItsStatusLine) {
  gateway.set("/ipfs/" + cid, {FakeReply::Kind::never_answer, 0, "", {}, {}});
  auto answer = testing::raw_exchange(
      server->port(),
      "HEAD " + repo + "/manifests/latest HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      10'000);
  EXPECT_THAT(answer.substr(0, answer.find("\r\n")),
              ::testing::StartsWith("HTTP/1.1 504 Gateway Timeout: no gateway answered for layer "
                                    "manifest " +
                                    cid +
                                    " in time (is it pinned, or imported where the gateway can "
                                    "reach it? is the gateway slow?): " +
                                    gateway.url() + " did not answer within 1s"));
}

TEST_F(HostileGateway, SlowGatewayWithinTheDeadlineIsFine) {
  auto result = with_gateway_reply({FakeReply::Kind::respond,
                                    200,
                                    testing::layer_manifest_json(),
                                    {},
                                    std::chrono::milliseconds(200)});
  EXPECT_EQ(result.status, 200u);
}

TEST_F(HostileGateway, UnreachableGateway) {
  stop();
  start({"--gateway=http://127.0.0.1:1"});
  auto result = get(repo + "/manifests/latest");
  EXPECT_EQ(result.status, 502u);
  EXPECT_THAT(error_message(result), HasSubstr("connect"));
}

TEST_F(HostileGateway, HttpsGatewayWithAnUntrustedCertificateIsRefused) {
  FakeGateway tls_gateway(FakeGateway::Transport::https_self_signed);
  tls_gateway.serve_cid(cid, testing::layer_manifest_json());
  stop();
  // Loading the system trust store is slow under sanitizers: a generous deadline.
  start({"--gateway=" + tls_gateway.url(), "--gateway-timeout=20s"});
  auto result = get(repo + "/manifests/latest");
  EXPECT_EQ(result.status, 502u);
  EXPECT_THAT(error_message(result), HasSubstr("TLS handshake"));
  EXPECT_THAT(error_message(result), HasSubstr("certificate verify failed"));
  EXPECT_EQ(tls_gateway.request_count("/ipfs/" + cid), 0u);
}

TEST_F(HostileGateway, GatewayRedirectsAreFollowedUpToFive) {
  gateway.set("/ipfs/" + cid, {FakeReply::Kind::respond, 301, "", {{"Location", "/hop1"}}, {}});
  gateway.set("/hop1", {FakeReply::Kind::respond, 302, "", {{"Location", "/hop2"}}, {}});
  gateway.set("/hop2", {FakeReply::Kind::respond, 200, testing::layer_manifest_json(), {}, {}});
  EXPECT_EQ(get(repo + "/manifests/latest").status, 200u);

  stop();
  start({});  // forget the cached image
  gateway.set("/loop", {FakeReply::Kind::respond, 307, "", {{"Location", "/loop"}}, {}});
  auto loop = with_gateway_reply({FakeReply::Kind::respond, 302, "", {{"Location", "/loop"}}, {}});
  EXPECT_EQ(loop.status, 502u);
  EXPECT_THAT(error_message(loop), HasSubstr("redirected more than 5 times"));

  auto scheme = with_gateway_reply(
      {FakeReply::Kind::respond, 302, "", {{"Location", "ftp://127.0.0.1/x"}}, {}});
  EXPECT_EQ(scheme.status, 502u);
  EXPECT_THAT(error_message(scheme), HasSubstr("not http or https"));
}

// A gateway cannot use ocipfsd to probe ports: past a redirect, the client hears that the
// gateway's redirect failed and how, not where it led nor what connecting there said.
TEST_F(HostileGateway, AFailedRedirectDoesNotEchoWhereItLed) {
  auto probe = with_gateway_reply(
      {FakeReply::Kind::respond, 302, "", {{"Location", "http://127.0.0.1:1/secret-probe"}}, {}});
  EXPECT_EQ(probe.status, 502u);
  EXPECT_THAT(error_message(probe), HasSubstr(gateway.url() + " redirected to a location that "
                                                              "failed (unreachable)"));
  EXPECT_THAT(probe.body, ::testing::Not(HasSubstr("127.0.0.1:1")));
  EXPECT_THAT(probe.body, ::testing::Not(HasSubstr("refused")));
  EXPECT_THAT(probe.body, ::testing::Not(HasSubstr("secret-probe")));
}

TEST_F(HostileGateway, InterimAnswersBeforeTheRealOneAreSkipped) {
  std::string manifest = testing::layer_manifest_json();
  std::string final_answer =
      "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(manifest.size()) + "\r\n\r\n" +
      manifest;
  auto result = with_gateway_reply(
      {FakeReply::Kind::raw,
       0,
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n" + final_answer,
       {},
       {}});
  EXPECT_EQ(result.status, 200u) << result.body;

  stop();
  start({});  // forget the cached image
  std::string endless_interim;
  for (int i = 0; i < 20; ++i) endless_interim += "HTTP/1.1 100 Continue\r\n\r\n";
  auto flood = with_gateway_reply({FakeReply::Kind::raw, 0, endless_interim, {}, {}});
  EXPECT_EQ(flood.status, 502u);
  EXPECT_THAT(error_message(flood), HasSubstr("answered 100"));
}

TEST_F(HostileGateway, TrickleIsCutAtTheDeadline) {
  // A whole answer at 100 ms a byte would take about 40 s; the fetch deadline is 1 s.
  auto started = Clock::now();
  auto result = with_gateway_reply({FakeReply::Kind::trickle,
                                    200,
                                    testing::layer_manifest_json(),
                                    {},
                                    std::chrono::milliseconds(100)});
  EXPECT_EQ(result.status, 504u) << result.body;
  EXPECT_EQ(error_code(result), "UNAVAILABLE");
  EXPECT_THAT(error_message(result), HasSubstr("did not answer within 1s"));
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(10));
}

TEST_F(HostileGateway, FloodsLeaveNoMemoryBehind) {
  // Every fetch is a different CID, so none is coalesced: each one reads up to the 1 MiB cap.
  std::vector<FakeReply> floods = {
      {FakeReply::Kind::endless, 0, "", {}, {}},
      {FakeReply::Kind::respond, 200, std::string(4 * 1024 * 1024, 'x'), {}, {}},
      {FakeReply::Kind::raw, 0, "HTTP/1.1 200 OK\r\n" + std::string(200 * 1024, 'h'), {}, {}},
  };
  // The size cap, not the deadline, must end each fetch, even on a slow sanitizer build.
  start({"--gateway-timeout=30s"});
  constexpr int clients = 8;
  constexpr int requests_per_client = 4;
  std::atomic<int> next{0};
  auto round = [&](const FakeReply& flood) {
    gateway.set_default(flood);
    std::map<unsigned, int> statuses;
    std::mutex mutex;
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&] {
        for (int r = 0; r < requests_per_client; ++r) {
          std::string other = testing::raw_cid_of("flood " + std::to_string(next++));
          auto result = get("/v2/layer/" + other + "/manifests/latest");
          std::lock_guard lock(mutex);
          ++statuses[result.status];
        }
      });
    }
    for (auto& thread : threads) thread.join();
    return statuses;
  };
  for (const auto& flood : floods) round(flood);  // warm-up: the allocator takes its share
  std::size_t before = resident_bytes();
  constexpr int repeats = 2;
  for (int repeat = 0; repeat < repeats; ++repeat) {
    for (const auto& flood : floods) {
      auto statuses = round(flood);
      EXPECT_EQ(statuses[502], clients * requests_per_client)
          << "flood kind " << static_cast<int>(flood.kind);
    }
  }
  std::size_t after = resident_bytes();
  std::printf("resident set: %zu MiB after warm-up, %zu MiB after %d more floods\n", before >> 20,
              after >> 20,
              repeats * clients * requests_per_client * static_cast<int>(floods.size()));
  EXPECT_LT(after, before + 32 * 1024 * 1024);
}

class CaFile {
 public:
  explicit CaFile(const std::string& pem)
      : path_(::testing::TempDir() + "ocipfs-ca-" + std::to_string(::getpid()) + ".pem") {
    std::ofstream(path_) << pem;
  }
  ~CaFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST_F(HostileGateway, SelfSignedGatewayIsTrustedOnlyThroughTheCaFile) {
  FakeGateway tls_gateway(FakeGateway::Transport::https_self_signed);
  tls_gateway.serve_cid(cid, testing::layer_manifest_json());
  CaFile ca(tls_gateway.certificate_pem());
  start({"--gateway=" + tls_gateway.url(), "--gateway-timeout=20s",
         "--gateway-ca-file=" + ca.path()});
  auto result = get(repo + "/manifests/latest");
  EXPECT_EQ(result.status, 200u) << result.body;
  EXPECT_EQ(tls_gateway.request_count("/ipfs/" + cid), 1u);
}

TEST_F(HostileGateway, TrustedCertificateForAnotherHostIsRefused) {
  FakeGateway tls_gateway(FakeGateway::Transport::https_self_signed, 0, "gateway.example");
  tls_gateway.serve_cid(cid, testing::layer_manifest_json());
  CaFile ca(tls_gateway.certificate_pem());
  start({"--gateway=" + tls_gateway.url(), "--gateway-timeout=20s",
         "--gateway-ca-file=" + ca.path()});
  auto result = get(repo + "/manifests/latest");
  EXPECT_EQ(result.status, 502u);
  EXPECT_THAT(error_message(result), HasSubstr("certificate verify failed"));
  EXPECT_EQ(tls_gateway.request_count("/ipfs/" + cid), 0u);
}

TEST_F(HostileGateway, UnreadableCaFileIsAStartUpError) {
  CaFile not_pem("this is not a certificate\n");
  for (const std::string& path : {std::string("/nonexistent/ca.pem"), not_pem.path()}) {
    auto parsed = parse_command_line({"--listen=127.0.0.1:0", "--gateway-ca-file=" + path},
                                     [](std::string_view) { return std::nullopt; });
    ASSERT_TRUE(parsed) << parsed.error();
    try {
      Server server(parsed->config);
      ADD_FAILURE() << "started with --gateway-ca-file=" << path;
    } catch (const std::runtime_error& error) {
      EXPECT_THAT(error.what(), HasSubstr("--gateway-ca-file=" + path));
    }
  }
}

// A gateway (or a proxy before it) that writes on an idle kept-alive connection: a 408 before it
// closes, or a second answer nobody asked for. The next fetch must not read them as its answer:
// with --verify=strict that was a 502 for an innocent CID; with --verify=off, another CID's
// content served and cached. One server thread, so that both fetches share one pool.
TEST_F(HostileGateway, BytesNobodyAskedForRetireAPooledConnection) {
  const std::string first = testing::layer_manifest_json();
  const std::string second = testing::layer_manifest_json("other.tar.gz");
  const std::string second_cid = testing::raw_cid_of(second);
  const std::map<std::string, std::string> unasked = {
      {"an idle 408",
       "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"},
      {"a second answer",
       "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(first.size()) + "\r\n\r\n" + first}};
  std::size_t sent = 0;
  for (const std::string verify : {"strict", "off"})
    for (const auto& [what, bytes] : unasked) {
      SCOPED_TRACE(what + " with --verify=" + verify);
      start({"--threads=1", "--verify=" + verify});
      FakeReply poisoned{FakeReply::Kind::respond, 200, first, {}};
      poisoned.unasked = bytes;
      poisoned.unasked_delay = std::chrono::milliseconds(10);
      gateway.set("/ipfs/" + cid, poisoned);
      gateway.serve_cid(second_cid, second);
      ASSERT_EQ(get(repo + "/manifests/latest").status, 200u);
      auto written = Clock::now() + std::chrono::seconds(5);
      while (gateway.unasked_count() == sent && Clock::now() < written) std::this_thread::yield();
      ASSERT_EQ(gateway.unasked_count(), ++sent);

      auto answer = get("/v2/layer/" + second_cid + "/manifests/latest");
      EXPECT_EQ(answer.status, 200u) << answer.body;
      testing::RenderedImage expected{synthesize_image(second_cid, *parse_layer_manifest(second))};
      EXPECT_EQ(answer.header("docker-content-digest"), expected.index.digest);
    }
}

TEST_F(HostileGateway, GatewayThatGoesAwayAndComesBack) {
  std::optional<FakeGateway> flaky(std::in_place);
  const std::uint16_t port = flaky->port();
  flaky->serve_cid(cid, testing::layer_manifest_json());
  start({"--gateway=" + flaky->url(), "--gateway-timeout=1s"});
  ASSERT_EQ(get(repo + "/manifests/latest").status, 200u);

  flaky.reset();  // the gateway goes down
  // Clients keep asking for images nobody asked for before, through the outage and after.
  std::atomic<bool> loading{true};
  std::atomic<int> served{0};
  std::mutex mutex;
  std::mutex restarting;  // held while the gateway comes back and learns its content
  std::map<unsigned, int> statuses;
  std::vector<std::string> cids;
  for (int i = 0; i < 4; ++i)
    cids.push_back(testing::raw_cid_of(testing::layer_manifest_json("f" + std::to_string(i))));
  std::thread load([&] {
    for (int i = 0; loading; ++i) {
      std::unique_lock wait_for_restart(restarting);
      auto result = get("/v2/layer/" + cids[i % cids.size()] + "/manifests/latest");
      wait_for_restart.unlock();
      std::lock_guard lock(mutex);
      ++statuses[result.status];
      ++served;
    }
  });

  for (const auto& other : cids) {
    auto started = Clock::now();
    auto down = get("/v2/layer/" + other + "/manifests/latest");
    EXPECT_EQ(down.status, 502u) << down.body;
    EXPECT_THAT(error_message(down), HasSubstr("connect"));
    EXPECT_LT(Clock::now() - started, std::chrono::seconds(5));  // fails fast, not a hang
  }
  EXPECT_EQ(get(repo + "/manifests/latest").status, 200u);  // what was resolved stays served
  // The load is answered at least once during the outage before the gateway comes back.
  auto outage_deadline = Clock::now() + std::chrono::seconds(10);
  while (served == 0 && Clock::now() < outage_deadline) std::this_thread::yield();

  {
    std::lock_guard restart(restarting);
    flaky.emplace(FakeGateway::Transport::http, port);  // it comes back, on the same port
    for (int i = 0; i < 4; ++i)
      flaky->serve_cid(cids[i], testing::layer_manifest_json("f" + std::to_string(i)));
  }
  for (const auto& other : cids)
    EXPECT_EQ(get("/v2/layer/" + other + "/manifests/latest").status, 200u);

  int seen = served;
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (served < seen + 8 && Clock::now() < deadline) std::this_thread::yield();
  loading = false;
  load.join();
  std::lock_guard lock(mutex);
  for (const auto& [status, count] : statuses)
    EXPECT_TRUE(status == 200 || status == 502) << count << " answers " << status;
  EXPECT_GT(statuses[502], 0);
  EXPECT_GT(statuses[200], 0);
}

}  // namespace
}  // namespace ocipfs
