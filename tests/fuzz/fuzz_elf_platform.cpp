// Fuzzes the ELF platform reader (include/ocipfs/image/elf_platform.hpp): any bytes, as a whole
// file and as the header prefix that `ocipfs compose` keeps of a file it streams.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "ocipfs/image/elf_platform.hpp"

namespace {

using namespace ocipfs;

// What any answer must look like.
void check_answer(const Expected<std::optional<Platform>>& answer, std::string_view file) {
  if (!answer) {
    FUZZ_CHECK(!answer.error().empty());
    FUZZ_CHECK(starts_like_elf(file));
    return;
  }
  if (!*answer) return;
  const Platform& platform = **answer;
  FUZZ_CHECK(starts_like_elf(file));
  FUZZ_CHECK(platform.os == "linux" && !platform.architecture.empty());
  if (platform.architecture == "arm")
    FUZZ_CHECK(platform.variant == "v5" || platform.variant == "v6" || platform.variant == "v7" ||
               platform.variant == "v8");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view file(reinterpret_cast<const char*>(data), size);
  auto whole = elf_platform(file, size);
  check_answer(whole, file);

  // A streamed file is read as far as elf_needs_whole_file says: its header alone otherwise, and
  // then the answer must be the same as from the whole file.
  const std::string_view head = file.substr(0, elf_header_size);
  if (elf_needs_whole_file(head)) return 0;
  auto from_head = elf_platform(head, size);
  check_answer(from_head, file);
  FUZZ_CHECK(static_cast<bool>(from_head) == static_cast<bool>(whole));
  if (whole) FUZZ_CHECK(*from_head == *whole);
  if (!whole) FUZZ_CHECK(from_head.error() == whole.error());
  return 0;
}
