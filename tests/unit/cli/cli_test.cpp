// The ocipfsd executable: exit codes and messages for flags and start-up errors.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/fake_gateway.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_data.hpp"

namespace {

using ::testing::HasSubstr;

using Run = ocipfs::testing::Outcome;

Run run_ocipfsd(const std::string& args) {
  return ocipfs::testing::run_command(std::string("timeout 20 ") + OCIPFSD_PATH + " " + args +
                                      " 2>&1");
}

TEST(Cli, HelpAndVersion) {
  auto help = run_ocipfsd("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.output, HasSubstr("--gateway=URL"));
  auto version = run_ocipfsd("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.output, HasSubstr("ocipfsd " OCIPFS_VERSION));
}

// The README's ocipfsd section quotes --help as it is.
TEST(Cli, TheReadmeQuotesHelpAsItIs) {
  std::ifstream file(std::string(OCIPFS_SOURCE_DIR) + "/README.md");
  std::string readme((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const std::string opening = "\n## ocipfsd\n\n```\n";
  auto start = readme.find(opening);
  ASSERT_NE(start, std::string::npos) << "no ocipfsd section opening with a code block";
  start += opening.size();
  auto end = readme.find("```\n", start);
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ(readme.substr(start, end - start), run_ocipfsd("--help").output);
}

TEST(Cli, BadFlagsExitTwoWithOneLine) {
  for (const char* args :
       {"--bogus=1", "--threads=none", "--gateway=ftp://x", "positional", "--listen=nowhere"}) {
    auto run = run_ocipfsd(args);
    EXPECT_EQ(run.exit_code, 2) << args;
    EXPECT_THAT(run.output, HasSubstr("ocipfsd: ")) << args;
    EXPECT_EQ(std::count(run.output.begin(), run.output.end(), '\n'), 1) << run.output;
  }
}

TEST(Cli, PortTakenExitsOneWithOneLine) {
  ocipfs::testing::FakeGateway busy;  // holds a port on 127.0.0.1
  auto run = run_ocipfsd("--listen=127.0.0.1:" + std::to_string(busy.port()));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.output, HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(busy.port())));
  EXPECT_THAT(run.output, HasSubstr("in use"));
}

TEST(Cli, BadPortEnvironmentExitsTwo) {
  auto run =
      ocipfs::testing::run_command(std::string("PORT=http timeout 20 ") + OCIPFSD_PATH + " 2>&1");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.output, HasSubstr("$PORT"));
}

TEST(Cli, AMalformedTwinExitsTwoWithOneLineNamingIt) {
  auto run = ocipfs::testing::run_command(std::string("OCIPFSD_GATEWAY_TIMEOUT=soon timeout 20 ") +
                                          OCIPFSD_PATH + " 2>&1");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.output,
            "ocipfsd: OCIPFSD_GATEWAY_TIMEOUT: \"soon\" is not a duration like 30s, 500ms or 2m "
            "(at most a day)\n");
}

// Starts ocipfsd as a child process on a free port; returns its pid once it answers.
pid_t start_ocipfsd(std::uint16_t port, const std::string& gateway) {
  pid_t pid = fork();
  if (pid == 0) {
    std::string listen = "--listen=127.0.0.1:" + std::to_string(port);
    std::string gateway_flag = "--gateway=" + gateway;
    execl(OCIPFSD_PATH, OCIPFSD_PATH, listen.c_str(), gateway_flag.c_str(), "--log-level=warn",
          "--shutdown-grace=5s", static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 500 && !ocipfs::testing::can_connect(port); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return pid;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  for (int i = 0; i < 1000; ++i) {
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -2;  // did not exit within 10 s
}

TEST(Cli, SigtermLetsTheRequestInFlightFinishAndRefusesNewOnes) {
  ocipfs::testing::FakeGateway gateway;
  std::string content = ocipfs::testing::layer_manifest_json();
  std::string cid = ocipfs::testing::raw_cid_of(content);
  gateway.set("/ipfs/" + cid, {ocipfs::testing::FakeReply::Kind::respond,
                               200,
                               content,
                               {},
                               std::chrono::milliseconds(1500)});
  auto port = ocipfs::testing::free_port();
  pid_t pid = start_ocipfsd(port, gateway.url());
  ASSERT_TRUE(ocipfs::testing::can_connect(port));

  unsigned status = 0;
  std::thread slow([&] {
    status =
        ocipfs::testing::http_request(port, "GET", "/v2/layer/" + cid + "/manifests/latest").status;
  });
  for (int i = 0; i < 500 && gateway.request_count("/ipfs/" + cid) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(gateway.request_count("/ipfs/" + cid), 1u);  // the request is in flight

  kill(pid, SIGTERM);
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    refused = !ocipfs::testing::can_connect(port);
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(refused) << "new connections are still accepted after SIGTERM";
  slow.join();
  EXPECT_EQ(status, 200u);
  EXPECT_EQ(wait_exit_code(pid), 0);
}

TEST(Cli, SigtermWithNothingInFlightExitsAtOnce) {
  ocipfs::testing::FakeGateway gateway;
  auto port = ocipfs::testing::free_port();
  pid_t pid = start_ocipfsd(port, gateway.url());
  ASSERT_TRUE(ocipfs::testing::can_connect(port));
  auto started = std::chrono::steady_clock::now();
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit_code(pid), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
}

TEST(Cli, PortFromTheEnvironment) {
  auto port = ocipfs::testing::free_port();
  pid_t pid = fork();
  if (pid == 0) {
    setenv("PORT", std::to_string(port).c_str(), 1);
    execl(OCIPFSD_PATH, OCIPFSD_PATH, "--log-level=warn", static_cast<char*>(nullptr));
    _exit(127);
  }
  bool up = false;
  for (int i = 0; i < 500 && !up; ++i) {
    up = ocipfs::testing::can_connect(port);
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(up);
  if (up) {
    EXPECT_EQ(ocipfs::testing::http_request(port, "GET", "/v2/").status, 200u);
  }
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit_code(pid), 0);
}

TEST(Cli, JsonLogsOneObjectPerLine) {
  ocipfs::testing::FakeGateway gateway;
  std::string content = ocipfs::testing::layer_manifest_json();
  std::string cid = ocipfs::testing::raw_cid_of(content);
  gateway.serve_cid(cid, content);
  auto port = ocipfs::testing::free_port();
  std::string log_path = ::testing::TempDir() + "ocipfsd-json.log";
  pid_t pid = fork();
  if (pid == 0) {
    FILE* log = std::fopen(log_path.c_str(), "w");
    dup2(fileno(log), 2);
    setenv("K_SERVICE", "ocipfs", 1);  // Cloud Run: JSON by default
    setenv("GOOGLE_CLOUD_PROJECT", "proj", 1);
    std::string listen = "--listen=127.0.0.1:" + std::to_string(port);
    std::string gateway_flag = "--gateway=" + gateway.url();
    execl(OCIPFSD_PATH, OCIPFSD_PATH, listen.c_str(), gateway_flag.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 500 && !ocipfs::testing::can_connect(port); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto result = ocipfs::testing::http_request(
      port, "GET", "/v2/layer/" + cid + "/manifests/latest",
      {{"User-Agent", "test-agent"},
       {"X-Cloud-Trace-Context", "105445aa7843bc8bf206b12000100000/7;o=1"},
       {"Authorization", "Bearer secret-token"}});
  EXPECT_EQ(result.status, 200u);
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit_code(pid), 0);

  std::ifstream log(log_path);
  std::string line, text;
  int lines = 0;
  bool saw_request = false;
  while (std::getline(log, line)) {
    ++lines;
    text += line;
    auto object = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(object.is_discarded()) << line;
    ASSERT_TRUE(object.is_object()) << line;
    EXPECT_TRUE(object.contains("severity")) << line;
    EXPECT_TRUE(object.contains("message")) << line;
    if (object.contains("httpRequest")) {
      saw_request = true;
      const auto& request = object["httpRequest"];
      for (const char* field : {"requestMethod", "requestUrl", "status", "responseSize", "latency",
                                "userAgent", "remoteIp"})
        EXPECT_TRUE(request.contains(field)) << field;
      EXPECT_EQ(request["userAgent"], "test-agent");
      EXPECT_EQ(request["remoteIp"], "127.0.0.1");
      EXPECT_EQ(object["logging.googleapis.com/trace"],
                "projects/proj/traces/105445aa7843bc8bf206b12000100000");
    }
  }
  EXPECT_GE(lines, 3);  // start, the request, stop
  EXPECT_TRUE(saw_request);
  EXPECT_EQ(text.find("secret-token"), std::string::npos);
}

// ocipfsd with no arguments and no environment but its OCIPFSD_ variables: it listens where
// OCIPFSD_LISTEN says and serves from the gateways of OCIPFSD_GATEWAY, the second when the
// first does not have the CID.
TEST(Cli, ConfiguredOnlyFromTheEnvironment) {
  ocipfs::testing::FakeGateway empty_gateway, gateway;
  std::string content = ocipfs::testing::layer_manifest_json();
  std::string cid = ocipfs::testing::raw_cid_of(content);
  gateway.serve_cid(cid, content);
  auto port = ocipfs::testing::free_port();
  std::vector<std::string> variables = {
      "OCIPFSD_LISTEN=127.0.0.1:" + std::to_string(port),
      "OCIPFSD_GATEWAY=" + empty_gateway.url() + ", " + gateway.url(),
      "OCIPFSD_REDIRECT_GATEWAY=https://{cid}.ipfs.dweb.link",
      "OCIPFSD_LOG_LEVEL=warn",
      "OCIPFSD_SHUTDOWN_GRACE=5s",
      "OCIPFSD_READY_CHECK=true"};
  std::vector<char*> environment;
  for (auto& variable : variables) environment.push_back(variable.data());
  environment.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    execle(OCIPFSD_PATH, OCIPFSD_PATH, static_cast<char*>(nullptr), environment.data());
    _exit(127);
  }
  bool up = ocipfs::testing::wait_until([&] { return ocipfs::testing::can_connect(port); },
                                        std::chrono::seconds(10));
  ASSERT_TRUE(up) << "ocipfsd does not listen on OCIPFSD_LISTEN's port";
  auto manifest =
      ocipfs::testing::http_request(port, "GET", "/v2/layer/" + cid + "/manifests/latest");
  EXPECT_EQ(manifest.status, 200u);
  EXPECT_GE(empty_gateway.request_count("/ipfs/" + cid), 1u);
  EXPECT_GE(gateway.request_count("/ipfs/" + cid), 1u);
  auto blob = ocipfs::testing::http_request(
      port, "GET", "/v2/layer/" + cid + "/blobs/" + ocipfs::testing::layer_digest);
  EXPECT_EQ(blob.status, 302u);
  EXPECT_TRUE(blob.header("location").starts_with("https://"))
      << blob.header("location");  // OCIPFSD_REDIRECT_GATEWAY
  EXPECT_NE(blob.header("location").find(".ipfs.dweb.link/"), std::string::npos)
      << blob.header("location");
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit_code(pid), 0);
}

}  // namespace
