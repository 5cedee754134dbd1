// The platform an executable runs on, read from its ELF header (and, for 32-bit arm, from its
// .ARM.attributes section, which tells v5, v6, v7 and v8 apart). Pure: bytes in, a Platform out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/image/platform.hpp"

namespace ocipfs {

// The bytes of a file's start that tell whether it is an ELF executable, and for which machine:
// the ELF header (64 bytes at most).
inline constexpr std::size_t elf_header_size = 64;
// How much of a 32-bit arm executable elf_platform may need to find its .ARM.attributes (the
// section headers are at the end of the file): a larger one has its variant untold.
inline constexpr std::size_t max_arm_elf_scan = 16 * 1024 * 1024;

// Whether `head` (a file's first bytes) starts with the ELF magic "\x7fELF".
bool starts_like_elf(std::string_view head);

// Whether elf_platform needs more of the file than `head` (at least elf_header_size bytes of
// it, or all of a shorter file) to tell the platform: a 32-bit arm executable, whose variant is
// in a section anywhere in the file.
bool elf_needs_whole_file(std::string_view head);

// The platform of the ELF file whose first bytes are `bytes` (`file_size` in all; `bytes` may
// hold less: elf_header_size, or the whole file when elf_needs_whole_file): linux/amd64, 386,
// arm64 (v8), arm (v5, v6, v7 or v8, from Tag_CPU_arch), ppc64le, s390x, riscv64, mips64le,
// mipsle, loong64. nullopt: not an ELF executable (no ELF magic, or an object file, a core dump:
// neither an executable nor a shared object). The error says what is wrong with the file, e.g.
// "ELF machine 50 (class 64, little-endian) is not a platform ocipfs knows", "its ELF header
// is truncated", "it is a 32-bit arm executable whose .ARM.attributes do not say its
// architecture version". Reads nothing outside `bytes`; every offset and size is checked.
Expected<std::optional<Platform>> elf_platform(std::string_view bytes, std::uint64_t file_size);

}  // namespace ocipfs
