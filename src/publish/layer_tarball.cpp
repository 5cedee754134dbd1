#include "ocipfs/publish/layer_tarball.hpp"

#include "ocipfs/base/text.hpp"

namespace ocipfs {

Expected<std::string> layer_media_type_for(std::string_view file_name) {
  if (file_name.ends_with(".tar")) return std::string(oci_layer_tar);
  if (file_name.ends_with(".tar.gz")) return std::string(oci_layer_tar_gzip);
  if (file_name.ends_with(".tar.zst")) return std::string(oci_layer_tar_zstd);
  return Unexpected{in_quotes(file_name, 200) + " does not end in .tar, .tar.gz or .tar.zst"};
}

std::string unsafe_tar_name_problem(std::string_view name) {
  if (name.empty()) return "has an empty name";
  if (name.front() == '/') return "has an absolute path";
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    if (name.substr(start, slash - start) == "..") return "has a \"..\" component";
    start = slash + 1;
  }
  return {};
}

}  // namespace ocipfs
