// A directory of the ocipfs command's own for temporary files, removed with everything in it
// whatever happens (private to the executable).
#pragma once

#include <stdlib.h>  // mkdtemp

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include "cli.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/publish/temporary_paths.hpp"

namespace ocipfs::cli {

class ScratchDirectory {
 public:
  // Creates "<parent>/<prefix>XXXXXX" (mkdtemp); an empty parent is $TMPDIR. Throws Failure.
  ScratchDirectory(std::filesystem::path parent, const std::string& prefix) {
    std::error_code ec;
    if (parent.empty()) parent = std::filesystem::temp_directory_path(ec);
    if (ec) throw Failure{"no directory for temporary files ($TMPDIR): " + ec.message()};
    std::string pattern = (parent / (prefix + "XXXXXX")).string();
    int error = 0;
    registration_ = create_temporary([&]() -> std::filesystem::path {
      bool made = ::mkdtemp(pattern.data()) != nullptr;
      error = errno;
      return made ? std::filesystem::path(pattern) : std::filesystem::path();
    });
    if (registration_ == 0)
      throw Failure{"cannot create a temporary directory in " + in_quotes(parent.string(), 200) +
                    ": " + std::strerror(error)};
    path_ = pattern;
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
    forget_temporary(registration_);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  TemporaryId registration_ = 0;  // removed on SIGINT, SIGTERM, SIGHUP
};

}  // namespace ocipfs::cli
