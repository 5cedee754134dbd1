// A tarball read for import, in two passes: the first keeps its small entries and the names,
// sizes and links of all; the second streams the large layers into the sink. Entry names are
// checked (none may leave the archive) and normalized. Private to src/publish (import).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "layer_stream.hpp"
#include "ocipfs/publish/image_source_json.hpp"

namespace ocipfs::publish_detail {

// `name` without "." and empty components; ".." goes up (nullopt above the root).
std::optional<std::string> normalized(std::string_view name);

// What the first read of a tarball keeps: the small files' bytes, every file's size, the links.
struct ArchiveContents {
  std::map<std::string, std::string> small;
  std::map<std::string, std::uint64_t> sizes;
  std::map<std::string, std::string> links;  // a symlink's or hard link's name → its target
  std::size_t kept = 0;

  // The file a name stands for, through at most 16 links.
  std::string resolve(std::string name) const;
};

// The first read: regular files of at most max_verbatim_blob_size bytes kept (together at most
// max_kept_archive_bytes), larger ones only counted, links recorded. Fails (StepFailure) on an
// entry whose name leaves the archive and on a tarball that is not valid or is truncated.
ArchiveContents read_archive_contents(const std::filesystem::path& path);

// The second read: each large layer in `wanted` (by entry name) streamed into the sink through a
// LayerStream, its root recorded in `nodes`. Fails when one is not found, as when the tarball
// changed between the reads.
void stream_archive_layers(const std::filesystem::path& path,
                           const std::map<std::string, BlobDescriptor>& wanted,
                           const BlockSink& sink, LayerNodes& nodes);

}  // namespace ocipfs::publish_detail
