// Reads the platform of each executable of a layer as its tar entries go by: the first bytes of
// each regular file with an execute bit (all of a 32-bit arm one, up to max_arm_elf_scan).
// Private to src/publish (the tarball reader and writer).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ocipfs/publish/layer_platforms.hpp"

namespace ocipfs::publish_detail {

class ExecutableScanner {
 public:
  // A regular file of `size` bytes named `name` in the layer begins; only one with an execute
  // bit is read.
  void begin(std::string_view name, std::uint64_t size, bool executable);
  // Whether data() wants more bytes of the current file (a reader may skip the rest).
  bool wants_data() const { return active_ && buffer_.size() < wanted_; }
  // The next bytes of the current file, in order.
  void data(std::string_view chunk);
  // The current file ended: its platform (if an executable) is recorded.
  void end();

  const LayerPlatforms& platforms() const { return platforms_; }

 private:
  void record(std::string name, std::uint64_t size);

  LayerPlatforms platforms_;
  bool active_ = false;
  std::string name_;
  std::uint64_t size_ = 0;
  std::size_t wanted_ = 0;       // how much of the file to read: its header, or all of it
  bool header_checked_ = false;  // whether the header decided how much to read
  std::string buffer_;
};

}  // namespace ocipfs::publish_detail
