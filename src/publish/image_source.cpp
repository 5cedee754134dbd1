#include "ocipfs/publish/image_source.hpp"

namespace ocipfs {

namespace fs = std::filesystem;

std::string_view source_kind_name(ImageSourceKind kind) {
  switch (kind) {
    case ImageSourceKind::oci_layout:
      return "OCI layout";
    case ImageSourceKind::oci_archive:
      return "oci-archive";
    case ImageSourceKind::docker_save:
      return "docker save";
  }
  return "?";
}

SourceSpec split_source(std::string_view text, const std::function<bool(const fs::path&)>& exists) {
  fs::path whole{std::string(text)};
  if (exists(whole)) return {whole, ""};
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return {whole, ""};
  fs::path path{std::string(text.substr(0, colon))};
  if (!exists(path)) return {whole, ""};
  return {path, std::string(text.substr(colon + 1))};
}

}  // namespace ocipfs
