#include "ocipfs/publish/car_file.hpp"

#include <string>

#include "ocipfs/base/text.hpp"
#include "ocipfs/formats/car.hpp"

namespace ocipfs {

namespace {

// A stand-in root of the size every real root has, to measure and reserve the header.
Cid placeholder_root() {
  Cid cid;
  cid.codec = multicodec::dag_pb;
  cid.digest = std::string(32, '\0');
  return cid;
}

bool fits_the_reserved_header(const Cid& root) {
  return root.version == 1 && root.v1_bytes().size() == car_root_size;
}

}  // namespace

CarFile::CarFile(AtomicFile file, std::size_t root_count, std::size_t header_size)
    : file_(std::move(file)), root_count_(root_count), header_size_(header_size) {}

Expected<CarFile> CarFile::create(const std::filesystem::path& destination,
                                  std::size_t root_count) {
  auto file = AtomicFile::create(destination);
  if (!file) return Unexpected{std::move(file).error()};
  std::string reserved = car_header(std::vector<Cid>(root_count, placeholder_root()));
  if (auto written = file->write(reserved); !written) return Unexpected{written.error()};
  return CarFile(std::move(*file), root_count, reserved.size());
}

Expected<bool> CarFile::add(const Cid& cid, std::string_view block) {
  std::string key = cid.v1_bytes();
  if (written_.contains(key)) return true;
  if (auto written = file_.write(car_section(cid, block)); !written) return written;
  written_.insert(std::move(key));
  return true;
}

Expected<bool> CarFile::commit(const std::vector<Cid>& roots) {
  std::string where = in_quotes(destination().string(), 200);
  if (roots.size() != root_count_)
    return Unexpected{"cannot write " + where + ": " + std::to_string(roots.size()) +
                      " roots, but room for " + std::to_string(root_count_)};
  for (const auto& root : roots)
    if (!fits_the_reserved_header(root))
      return Unexpected{"cannot write " + where + ": the root " + root.to_string() +
                        " is not a CIDv1 with sha2-256"};
  std::string header = car_header(roots);
  if (header.size() != header_size_)
    return Unexpected{"cannot write " + where + ": the header does not fit its reserved space"};
  if (auto written = file_.write_at(0, header); !written) return written;
  return file_.commit();
}

}  // namespace ocipfs
