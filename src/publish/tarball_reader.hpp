// A given layer tarball (.tar, .tar.gz or .tar.zst) read once, entry by entry: its digests and
// entry count computed, and refused when an extractor would write outside its root. Private to
// src/publish (pack).
#pragma once

#include <filesystem>
#include <string>

#include "ocipfs/publish/layer_tarball.hpp"

namespace ocipfs::publish_detail {

// Reads the tarball at `path`, compressed as `media_type` says, showing every stored byte to
// `observe`. Gives its digest, size, diff_id (of the whole tar stream, what follows the
// end-of-archive blocks included) and entry count, with its path, file name and media type.
// Fails (StepFailure) with one line naming the file and the entry: a compressed file named .tar,
// an invalid or truncated archive, an entry with no name, an unsafe name (unsafe_tar_name_problem),
// a hard link to an unsafe name or to one no earlier entry made, and an entry written through a
// symlink the archive made.
PackedLayer read_tarball(const std::filesystem::path& path, const std::string& media_type,
                         const StoredObserver& observe);

}  // namespace ocipfs::publish_detail
