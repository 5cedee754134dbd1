// The ocipfs command's output: "label   value" lines, aligned (private to the executable).
#pragma once

#include <cstdio>
#include <string_view>

namespace ocipfs::cli {

struct Report {
  std::FILE* out = stdout;
  void line(std::string_view label, std::string_view value) const {
    std::fprintf(out, "%-15.*s %.*s\n", static_cast<int>(label.size()), label.data(),
                 static_cast<int>(value.size()), value.data());
  }
  void text(std::string_view value) const {
    std::fprintf(out, "%.*s\n", static_cast<int>(value.size()), value.data());
  }
};

}  // namespace ocipfs::cli
