// An OCI layout directory as an image source: index.json, and blobs/sha256/<hex> read as files.
// Private to src/publish (import).
#pragma once

#include <filesystem>
#include <string_view>

#include "opened_source.hpp"

namespace ocipfs::publish_detail {

// Opens the layout at `layout`, choosing the index.json entry for `ref` as choose_layout_entry
// does. Fails (StepFailure) when it has no index.json or the entry cannot be chosen. Its lookup
// reads blobs of at most max_verbatim_blob_size bytes; its layers are read once, in 64 KiB
// pieces, and each must be a regular file.
OpenedSource open_layout(const std::filesystem::path& layout, std::string_view ref);

}  // namespace ocipfs::publish_detail
