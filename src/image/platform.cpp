#include "ocipfs/image/platform.hpp"

namespace ocipfs {

std::string platform_text(const Platform& platform) {
  std::string out = platform.os + "/" + platform.architecture;
  if (!platform.variant.empty()) out += "/" + platform.variant;
  return out;
}

}  // namespace ocipfs
