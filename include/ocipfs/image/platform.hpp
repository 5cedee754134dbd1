// The platform an image is for (OCI image-spec's os, architecture and variant).
#pragma once

#include <string>

namespace ocipfs {

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;  // may be empty

  friend bool operator==(const Platform&, const Platform&) = default;
};

// "os/architecture[/variant]", e.g. "linux/arm64/v8".
std::string platform_text(const Platform& platform);

}  // namespace ocipfs
