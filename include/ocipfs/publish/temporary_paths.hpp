// Temporary files and directories that must not outlive an interrupted process: each is
// registered while it exists, and remove_temporary_paths() removes whatever is still registered
// (the ocipfs command calls it on SIGINT, SIGTERM and SIGHUP, from a thread of its own).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>

namespace ocipfs {

using TemporaryId = std::uint64_t;

// Runs `create` (which makes a file or a directory and returns its path, or an empty path when it
// failed) and registers what it made, both under the registry's lock, so that a removal running
// meanwhile either waits for the path or is never followed by one. Returns the registration (0
// for an empty path).
TemporaryId create_temporary(const std::function<std::filesystem::path()>& create);
// The path was removed or renamed into place: it is no longer removed.
void forget_temporary(TemporaryId id);
// Removes every registered path (a directory with its contents), and keeps the registry locked
// for good: a temporary made afterwards waits forever. For the last act of a dying process.
void remove_temporary_paths();

}  // namespace ocipfs
