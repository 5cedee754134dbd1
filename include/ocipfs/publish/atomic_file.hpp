// A file that appears under its final name complete or not at all: written under a temporary
// name beside its destination, renamed onto it by commit().
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "ocipfs/base/expected.hpp"

namespace ocipfs {

class AtomicFile {
 public:
  // Creates a temporary file (".<name>.tmp-XXXXXX", mode 0600 until commit) in the directory of
  // `destination`. Refuses, up front, a destination that is an existing directory, and a
  // directory that does not exist or cannot be written. Errors are one line naming `destination`.
  static Expected<AtomicFile> create(const std::filesystem::path& destination);

  // Removes the temporary file unless commit() succeeded.
  ~AtomicFile();
  AtomicFile(AtomicFile&&) noexcept;
  AtomicFile& operator=(AtomicFile&&) noexcept;

  // Appends `bytes`. A write error (ENOSPC, EFBIG past `ulimit -f`, EIO) is one line naming the
  // destination and the cause. For EFBIG rather than death by SIGXFSZ, the process must ignore
  // SIGXFSZ (the ocipfs command does).
  Expected<bool> write(std::string_view bytes);
  // Overwrites bytes already written, from `offset` (offset + size at most size()).
  Expected<bool> write_at(std::uint64_t offset, std::string_view bytes);
  // Flushes to disk, gives the file the mode 0666 less the umask, and renames it onto the
  // destination (replacing a file there). After a failure the temporary file is still removed
  // by the destructor; call at most once.
  Expected<bool> commit();

  const std::filesystem::path& destination() const;
  std::uint64_t size() const;  // bytes written so far

 private:
  struct State;
  explicit AtomicFile(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace ocipfs
