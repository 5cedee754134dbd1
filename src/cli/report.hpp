// The ocipfs command's output: "label   value" lines, aligned (private to the executable).
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "cli.hpp"

namespace ocipfs::cli {

// Writes `text` to `out` (stdout or stderr) and flushes it. A failure (a full disk, a closed
// descriptor or pipe) is a Failure naming the stream: a pipeline must not go on with less.
inline void write_out(std::FILE* out, std::string_view text) {
  errno = 0;
  bool written = std::fwrite(text.data(), 1, text.size(), out) == text.size();
  if (written && std::fflush(out) == 0 && !std::ferror(out)) return;
  throw Failure{std::string("cannot write to ") + (out == stderr ? "stderr" : "stdout") + ": " +
                std::strerror(errno ? errno : EIO)};
}

struct Report {
  std::FILE* out = stdout;
  void line(std::string_view label, std::string_view value) const {
    std::string text(label);
    if (text.size() < 15) text.resize(15, ' ');
    write_out(out, text + " " + std::string(value) + "\n");
  }
  void text(std::string_view value) const { write_out(out, std::string(value) + "\n"); }
};

}  // namespace ocipfs::cli
