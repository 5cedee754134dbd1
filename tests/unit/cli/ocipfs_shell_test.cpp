// The ocipfs command in a shell: its completion scripts for bash and zsh, and its progress line
// on a terminal.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "support/files.hpp"
#include "support/process.hpp"

namespace {

namespace fs = std::filesystem;
using ocipfs::testing::run_command;
using ocipfs::testing::TempDir;
using ocipfs::testing::write_file;
using ::testing::HasSubstr;

std::string quote(const fs::path& path) { return "'" + path.string() + "'"; }

// What bash's completion function offers for the words (the last one being completed), in
// `directory`: the words of COMPREPLY, one a line.
std::string bash_completes(const fs::path& directory, const std::string& words) {
  write_file(directory / "complete.sh",
             "source <(\"$1\" completion bash) || exit 9\n"
             "COMP_WORDS=(" +
                 words +
                 ")\n"
                 "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
                 "_ocipfs\n"
                 "(( ${#COMPREPLY[@]} == 0 )) || printf '%s\\n' \"${COMPREPLY[@]}\"\n");
  auto run =
      run_command("cd " + quote(directory) + " && bash complete.sh " + OCIPFS_CLI_PATH + " 2>&1");
  return run.exit_code == 0 ? run.output : "exit " + std::to_string(run.exit_code) + run.output;
}

TEST(OcipfsCompletion, BashScriptParsesAndCompletesCommandsFlagsAndValues) {
  TempDir tmp;
  auto run = run_command(std::string(OCIPFS_CLI_PATH) + " completion bash | bash -n 2>&1");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  run = run_command("bash -c 'source <(\"$0\" completion bash) && complete -p ocipfs' " +
                    std::string(OCIPFS_CLI_PATH) + " 2>&1");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("-F _ocipfs ocipfs"));

  write_file(tmp / "app.car", "");
  write_file(tmp / "app.json", "");
  fs::create_directories(tmp / "allowed");
  EXPECT_EQ(bash_completes(tmp.path(), "ocipfs pu"), "publish\n");
  EXPECT_EQ(bash_completes(tmp.path(), "ocipfs pack --ca"), "--car=\n");
  EXPECT_EQ(bash_completes(tmp.path(), "ocipfs pack --j"), "--json\n");
  EXPECT_EQ(bash_completes(tmp.path(), "ocipfs inspect --ca"), "") << "inspect has no --car";
  EXPECT_EQ(bash_completes(tmp.path(), "ocipfs publish --upload = c"), "car\n");
  EXPECT_EQ(bash_completes(tmp.path(), "ocipfs publish --upload ="), "car\nfiles\n");
  EXPECT_EQ(bash_completes(tmp.path(), "ocipfs inspect --verify=o"), "off\n");
  EXPECT_EQ(bash_completes(tmp.path(), "ocipfs pack --car = app.c"), "app.car\n");
  EXPECT_EQ(bash_completes(tmp.path(), "ocipfs compose -o app.j"), "app.json\n");
  EXPECT_EQ(bash_completes(tmp.path(), "ocipfs compose --allow-outside = al"), "allowed\n");
  EXPECT_EQ(bash_completes(tmp.path(), "ocipfs compose app.j"), "app.json\n");
  EXPECT_EQ(bash_completes(tmp.path(), "ocipfs completion z"), "zsh\n");
}

TEST(OcipfsCompletion, ZshScriptParses) {
  if (run_command("command -v zsh >/dev/null").exit_code != 0)
    GTEST_SKIP() << "zsh is not installed (tests/install-deps.sh test installs it)";
  auto run = run_command(std::string(OCIPFS_CLI_PATH) + " completion zsh > /tmp/ocipfs-zsh-" +
                         std::to_string(::getpid()) + ".zsh && zsh -n /tmp/ocipfs-zsh-" +
                         std::to_string(::getpid()) + ".zsh 2>&1; rm -f /tmp/ocipfs-zsh-" +
                         std::to_string(::getpid()) + ".zsh");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  // Loaded by compinit's compdef, it completes the commands.
  run = run_command(
      "zsh -f -c 'autoload -U compinit && compinit -u -D && source <(\"$0\" completion "
      "zsh) && echo ${_comps[ocipfs]}' " +
      std::string(OCIPFS_CLI_PATH) + " 2>&1");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output, "_ocipfs\n");
}

TEST(OcipfsCompletion, OnlyBashOrZsh) {
  auto run = run_command(std::string(OCIPFS_CLI_PATH) + " completion fish 2>&1");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.output, HasSubstr("completion takes bash or zsh"));
  EXPECT_EQ(run_command(std::string(OCIPFS_CLI_PATH) + " completion --json bash 2>&1").exit_code,
            2);
}

// A directory holding a 512 MiB file of zeros (sparse: no disk used), which takes a second or
// more to pack: every byte is hashed twice and compressed.
void make_long_pack(const fs::path& root) {
  fs::create_directories(root / "big");
  std::ofstream(root / "big/zeros").close();
  fs::resize_file(root / "big/zeros", 512u << 20);
}

struct Timed {
  ocipfs::testing::Outcome run;
  double seconds;
};

Timed timed(const std::string& command) {
  auto start = std::chrono::steady_clock::now();
  auto run = run_command(command);
  return {run, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
}

const std::string pack_big = std::string(OCIPFS_CLI_PATH) +
                             " pack big --json --tarball=out/big.tar.gz --car=out/big.car "
                             "-o out/big.layer.json";

TEST(OcipfsProgress, ALongPackShowsBytesAndRateOnATerminalAndErasesTheLine) {
  TempDir tmp;
  make_long_pack(tmp.path());
  fs::create_directories(tmp.path() / "out");
  // script(1) gives the command a terminal; stdout goes to a file, so the terminal shows stderr.
  auto [run, seconds] = timed("cd " + quote(tmp.path()) + " && timeout 120 script -qfec \"" +
                              pack_big + " > out/stdout.json\" /dev/null");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  auto json = nlohmann::json::parse(std::ifstream(tmp.path() / "out/stdout.json"));
  EXPECT_EQ(json["tag"], "big.tar.gz") << "the progress line does not touch --json's stdout";
  if (seconds < 1.5) GTEST_SKIP() << "packing took " << seconds << " s: too fast to show progress";
  EXPECT_THAT(run.output, ::testing::StartsWith("\rpacking: ")) << run.output;
  EXPECT_THAT(run.output, ::testing::MatchesRegex("(\rpacking: [0-9.]+ MiB, [0-9.]+ MiB/s\x1b\\[K)+"
                                                  "\r\x1b\\[K"))
      << "lines redrawn in place, then erased: " << run.output;
}

TEST(OcipfsProgress, SilentWhenStderrIsNoTerminal) {
  TempDir tmp;
  make_long_pack(tmp.path());
  fs::create_directories(tmp.path() / "out");
  auto [run, seconds] =
      timed("cd " + quote(tmp.path()) + " && timeout 120 " + pack_big + " 2>&1 >/dev/null");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.output, "") << "after " << seconds << " s";
}

}  // namespace
