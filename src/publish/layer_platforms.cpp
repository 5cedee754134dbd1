#include "ocipfs/publish/layer_platforms.hpp"

#include <algorithm>

#include "ocipfs/base/text.hpp"

namespace ocipfs {

namespace {

constexpr std::string_view say_which =
    ": say which platform the image is for with \"platform\" in the compose file";

// An executable found in layer `layer` (0-based).
struct Found {
  std::size_t layer;
  const PlatformExample* example;
};

// "linux/amd64 executables (bin/busybox)", with `noun` for "executables".
std::string executables(const Found& found, std::string_view noun) {
  return platform_text(found.example->platform) + " " + std::string(noun) + " (" +
         printable(found.example->file, 200) + ")";
}

// Two platforms found: the error names one file of each.
std::string mixed(const Found& first, const Found& second) {
  std::string layer = "layer " + std::to_string(first.layer + 1) + " has ";
  std::string other =
      first.layer == second.layer ? "" : "layer " + std::to_string(second.layer + 1) + " has ";
  return layer + executables(first, "executables") + " and " + other + executables(second, "ones") +
         std::string(say_which);
}

}  // namespace

Expected<std::optional<DetectedPlatform>> detect_image_platform(
    const std::vector<std::optional<LayerPlatforms>>& layers) {
  std::vector<Found> distinct;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (!layers[i]) continue;
    const LayerPlatforms& layer = *layers[i];
    if (!layer.untold_file.empty())
      return Unexpected{"layer " + std::to_string(i + 1) + ": " +
                        printable(layer.untold_file, 200) + ": " + layer.untold_problem +
                        std::string(say_which)};
    for (const PlatformExample& example : layer.found) {
      bool seen = std::any_of(distinct.begin(), distinct.end(), [&](const Found& each) {
        return each.example->platform == example.platform;
      });
      if (!seen) distinct.push_back({i, &example});
    }
  }
  if (distinct.size() > 1) return Unexpected{mixed(distinct[0], distinct[1])};
  if (distinct.empty()) return std::optional<DetectedPlatform>();
  const Found& only = distinct.front();
  return std::optional<DetectedPlatform>(
      DetectedPlatform{only.example->platform,
                       "layer " + std::to_string(only.layer + 1) + ": " + only.example->file});
}

}  // namespace ocipfs
