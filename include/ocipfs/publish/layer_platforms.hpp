// The platforms a packed layer's executables are built for, and the platform that `ocipfs
// compose` declares for an image from them (pure).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/image/platform.hpp"

namespace ocipfs {

// The annotation of a composed image document that says where its platform was read from:
// "layer N: FILE", e.g. "layer 1: bin/busybox".
inline constexpr std::string_view platform_source_annotation = "io.ocipfs.platform.source";

// An executable of a layer, and the platform it was read from (elf_platform).
struct PlatformExample {
  Platform platform;
  std::string file;  // its name in the layer, e.g. "bin/busybox"

  friend bool operator==(const PlatformExample&, const PlatformExample&) = default;
};

// What a layer's executables run on. Executables are the regular files with an execute bit
// that are ELF executables or shared objects (elf_platform): scripts and data count for none.
struct LayerPlatforms {
  std::vector<PlatformExample> found;  // one per platform, its first file in the tar's order
  std::string untold_file;             // the first ELF executable whose platform is not told
  std::string untold_problem;          // why (elf_platform's error)

  friend bool operator==(const LayerPlatforms&, const LayerPlatforms&) = default;
};

// The platform a composed image declares, and where it was read from (the annotation's text).
struct DetectedPlatform {
  Platform platform;
  std::string source;  // "layer 1: bin/busybox"
};

// The platform of an image composed of `layers` (those packed: nullopt for a layer taken by CID,
// which counts by what its layer manifest declares, reconciled by image_platform), when the
// compose file declares none: executables of one platform give it; none gives nullopt (every
// default platform). Several platforms are an error that names one file of each, e.g. `layer 2
// has linux/amd64 executables (bin/busybox) and layer 3 has linux/arm64/v8 ones (lib/x): say
// which platform the image is for with "platform" in the compose file`; so is an executable
// whose platform cannot be told.
Expected<std::optional<DetectedPlatform>> detect_image_platform(
    const std::vector<std::optional<LayerPlatforms>>& layers);

}  // namespace ocipfs
