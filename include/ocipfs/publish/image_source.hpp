// Where an image to import comes from: the kinds of source (an OCI layout directory, an
// oci-archive, a docker save tarball) and the SOURCE[:REF] argument that names one.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace ocipfs {

// A tarball source's entries of at most max_verbatim_blob_size bytes are kept in memory while it
// is read; together at most this many bytes.
inline constexpr std::size_t max_kept_archive_bytes = 256 * 1024 * 1024;

enum class ImageSourceKind { oci_layout, oci_archive, docker_save };

// "OCI layout", "oci-archive" or "docker save", as the report says.
std::string_view source_kind_name(ImageSourceKind kind);

// Splits SOURCE into its path and REF: the whole text when `exists(text)`, else the part before
// the last ':' and the REF after it (when that part exists); else the whole text, no REF.
struct SourceSpec {
  std::filesystem::path path;
  std::string ref;  // empty: none given
};
SourceSpec split_source(std::string_view text,
                        const std::function<bool(const std::filesystem::path&)>& exists);

}  // namespace ocipfs
