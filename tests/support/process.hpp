// Running a command from a test: its exit code and its output.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace ocipfs::testing {

struct Outcome {
  int exit_code = -1;
  std::string output;  // stdout (and stderr with 2>&1)
};

// Runs `command` with /bin/sh and waits for it.
inline Outcome run_command(const std::string& command) {
  Outcome run;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return run;
  std::array<char, 4096> chunk{};
  while (std::size_t n = fread(chunk.data(), 1, chunk.size(), pipe))
    run.output.append(chunk.data(), n);
  int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// Starts `argv` (argv[0] a path) in `directory`, its output to /dev/null, with SIGINT, SIGTERM
// and SIGHUP at their default (whatever the test inherited); returns its process id.
inline pid_t spawn(const std::vector<std::string>& argv, const std::string& directory) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid != 0) return pid;
  for (int signo : {SIGINT, SIGTERM, SIGHUP}) std::signal(signo, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  int null = open("/dev/null", O_RDWR);
  dup2(null, 1);
  dup2(null, 2);
  if (chdir(directory.c_str()) != 0) _exit(127);
  execv(args[0], args.data());
  _exit(127);
}

// Polls `ready` until it holds or `bound` passes; whether it held.
inline bool wait_until(const std::function<bool()>& ready, std::chrono::milliseconds bound) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (!ready()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Waits for `pid`; its raw wait status.
inline int wait_status(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// Sends `signo` to the child `pid` at a moment when `ready` holds (the child is stopped while
// `ready` is checked again, so that it still holds when the signal comes), then waits for the
// child. `sent` is false when `ready` never held within `bound` or the child ended first (a
// child still running then is killed).
struct Interrupted {
  bool sent = false;
  int status = 0;  // the child's wait status
};
inline Interrupted interrupt_when(pid_t pid, int signo, const std::function<bool()>& ready,
                                  std::chrono::milliseconds bound) {
  Interrupted out;
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (!out.sent && std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!wait_until(ready, left)) break;
    kill(pid, SIGSTOP);
    int status = 0;
    if (waitpid(pid, &status, WUNTRACED) == pid && !WIFSTOPPED(status)) {
      out.status = status;  // it ended on its own
      return out;
    }
    out.sent = ready() && kill(pid, signo) == 0;
    kill(pid, SIGCONT);
  }
  if (!out.sent) kill(pid, SIGKILL);
  out.status = wait_status(pid);
  return out;
}

// Whether `directory` holds a temporary of the ocipfs command: ".NAME.tmp-XXXXXX" (a file being
// written) or ".ocipfs-compose-XXXXXX" (compose's scratch directory); only those whose name
// starts with `prefix` when one is given.
inline bool has_temporaries(const std::string& directory, const std::string& prefix = "") {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    std::string name = entry.path().filename().string();
    bool temporary =
        name.find(".tmp-") != std::string::npos || name.starts_with(".ocipfs-compose-");
    if (temporary && name.starts_with(prefix)) return true;
  }
  return false;
}

}  // namespace ocipfs::testing
