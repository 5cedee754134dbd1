// Opening a file to read it. Only a regular file is read: a FIFO, a device, a socket or a
// directory is refused without waiting on it (opening a FIFO to read blocks until a writer comes).
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "ocipfs/base/expected.hpp"

namespace ocipfs {

struct CloseInputFile {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using InputFile = std::unique_ptr<std::FILE, CloseInputFile>;

// What a file type is called in messages: "a FIFO", "a directory", ...
std::string file_type_name(unsigned mode);

// Opens `path` (symlinks followed) for reading. The error is the reason alone, for the caller to
// say what it was reading: "No such file or directory", "it is a FIFO, not a regular file (only
// regular files are read)".
Expected<InputFile> open_regular_file(const std::filesystem::path& path);

}  // namespace ocipfs
