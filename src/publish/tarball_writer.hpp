// A directory written as a reproducible layer tarball, its digests computed as it is written.
// Private to src/publish (pack).
#pragma once

#include <filesystem>
#include <string_view>

#include "layer_compression.hpp"
#include "ocipfs/publish/layer_tarball.hpp"

namespace ocipfs::publish_detail {

// Writes the tree under `directory`, placed at `at` (PackOptions::at), into `tarball` (an
// AtomicFile), compressed as `compression` says, showing every stored byte to `observe` and
// telling `progress` (when set) the count of each piece of the tar stream: first a directory
// entry for each segment of `at`, then entries in byte order of their names, depth
// first, each directory before its contents; regular files, directories, symlinks and hard links
// only; mtime 0, uid/gid 0, modes 0755 or 0644 (0777 for symlinks); pax restricted format. Gives
// the digest, size, diff_id and entry count (not the path, file name or media type). Fails
// (StepFailure) with one line naming the file: one that cannot be read, that is of another kind,
// or that changed while it was packed; a tarball that cannot be written.
PackedLayer write_tarball(const std::filesystem::path& directory, std::string_view at,
                          const std::filesystem::path& tarball, Compression compression,
                          const StoredObserver& observe, const ProgressObserver& progress);

}  // namespace ocipfs::publish_detail
