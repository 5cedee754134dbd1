#include "executable_scanner.hpp"

#include <algorithm>

#include "ocipfs/image/elf_platform.hpp"

namespace ocipfs::publish_detail {

void ExecutableScanner::begin(std::string_view name, std::uint64_t size, bool executable) {
  active_ = executable && size > 0;
  name_ = name;
  size_ = size;
  wanted_ = static_cast<std::size_t>(std::min<std::uint64_t>(size, elf_header_size));
  buffer_.clear();
  header_checked_ = false;
}

void ExecutableScanner::data(std::string_view chunk) {
  while (wants_data() && !chunk.empty()) {
    std::size_t take = std::min(chunk.size(), wanted_ - buffer_.size());
    buffer_.append(chunk.substr(0, take));
    chunk.remove_prefix(take);
    if (header_checked_ || buffer_.size() < wanted_) continue;
    // The header is in: a file that is no ELF is done with; a 32-bit arm one is read on.
    header_checked_ = true;
    if (!starts_like_elf(buffer_)) active_ = false;
    if (elf_needs_whole_file(buffer_))
      wanted_ = static_cast<std::size_t>(std::min<std::uint64_t>(size_, max_arm_elf_scan));
  }
}

void ExecutableScanner::end() {
  if (active_) record(std::move(name_), size_);
  active_ = false;
  buffer_.clear();
}

void ExecutableScanner::record(std::string name, std::uint64_t size) {
  auto platform = elf_platform(buffer_, size);
  if (!platform) {
    if (platforms_.untold_file.empty()) {
      platforms_.untold_file = std::move(name);
      platforms_.untold_problem = platform.error();
    }
    return;
  }
  if (!*platform) return;
  auto& found = platforms_.found;
  bool known = std::any_of(found.begin(), found.end(), [&](const PlatformExample& each) {
    return each.platform == **platform;
  });
  if (!known) found.push_back({std::move(**platform), std::move(name)});
}

}  // namespace ocipfs::publish_detail
