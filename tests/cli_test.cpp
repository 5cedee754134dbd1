// The ocipfsd executable: exit codes and messages for flags and start-up errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

#include "support/fake_gateway.hpp"

namespace {

using ::testing::HasSubstr;

struct Run {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

Run run_ocipfsd(const std::string& args) {
  std::string command = std::string("timeout 20 ") + OCIPFSD_PATH + " " + args + " 2>&1";
  Run run;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return run;
  std::array<char, 4096> chunk{};
  while (std::size_t n = fread(chunk.data(), 1, chunk.size(), pipe))
    run.output.append(chunk.data(), n);
  int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

TEST(Cli, HelpAndVersion) {
  auto help = run_ocipfsd("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.output, HasSubstr("--gateway=URL"));
  auto version = run_ocipfsd("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.output, HasSubstr("ocipfsd " OCIPFS_VERSION));
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
  FILE* pipe = popen((std::string("PORT=http timeout 20 ") + OCIPFSD_PATH + " 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::array<char, 512> chunk{};
  std::string output;
  while (std::size_t n = fread(chunk.data(), 1, chunk.size(), pipe)) output.append(chunk.data(), n);
  int status = pclose(pipe);
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_THAT(output, HasSubstr("$PORT"));
}

}  // namespace
