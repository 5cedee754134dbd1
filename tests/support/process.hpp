// Running a command from a test: its exit code and its output.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

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

}  // namespace ocipfs::testing
