// A tarball as an image source: an oci-archive (an OCI layout in a tar), or a docker save tarball,
// whose image import gives an OCI manifest of its own. Private to src/publish (import).
#pragma once

#include <filesystem>
#include <string_view>

#include "opened_source.hpp"

namespace ocipfs::publish_detail {

// Opens the tarball at `path` (read once here, its small entries kept): an oci-archive when it
// holds index.json and oci-layout, choosing `ref` as choose_layout_entry does; else a docker save
// when it holds manifest.json, choosing `ref` as parse_docker_save_manifest does, its manifest
// synthesized by docker_save_manifest and its config checked against the digest its name says.
// Blobs are found by entry name through links. Fails (StepFailure) with one line otherwise.
OpenedSource open_archive(const std::filesystem::path& path, std::string_view ref);

}  // namespace ocipfs::publish_detail
