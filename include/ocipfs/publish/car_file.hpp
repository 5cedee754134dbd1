// A CARv1 file written as its blocks arrive, in bounded memory, with its roots written last.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/publish/atomic_file.hpp"

namespace ocipfs {

// The binary length of every root a CarFile takes: a CIDv1 with a one-byte codec (raw or dag-pb)
// and a sha2-256 multihash.
inline constexpr std::size_t car_root_size = 36;

class CarFile {
 public:
  // Opens `destination` as an AtomicFile and reserves a header for `root_count` roots (the
  // header's length depends only on how many 36-byte roots it lists). Errors as AtomicFile's.
  static Expected<CarFile> create(const std::filesystem::path& destination, std::size_t root_count);

  // Appends the section of `block` unless a block with this CID is already in the file (a
  // file's identical chunks are stored once). The CID is trusted to name the block. Write
  // errors name the file.
  Expected<bool> add(const Cid& cid, std::string_view block);

  // Writes the header with `roots` (exactly root_count of them, each car_root_size bytes) over
  // the reserved space, and renames the file onto its destination. Call at most once.
  Expected<bool> commit(const std::vector<Cid>& roots);

  const std::filesystem::path& destination() const { return file_.destination(); }
  std::uint64_t size() const { return file_.size(); }
  std::size_t block_count() const { return written_.size(); }

 private:
  CarFile(AtomicFile file, std::size_t root_count, std::size_t header_size);

  AtomicFile file_;
  std::size_t root_count_;
  std::size_t header_size_;
  std::unordered_set<std::string> written_;  // the binary CIDv1 of every block in the file
};

}  // namespace ocipfs
