// Small ELF executables for the tests, laid out as the ELF and ARM ABI specifications say: a
// header for any machine, and a 32-bit arm file with an .ARM.attributes section.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ocipfs::testing {

struct ElfShape {
  unsigned machine = 62;    // e_machine: 62 x86-64, 3 i386, 183 aarch64, 40 arm, 243 riscv...
  bool wide = true;         // ELFCLASS64 (else 32)
  bool little = true;       // ELFDATA2LSB (else MSB)
  unsigned type = 2;        // e_type: 2 ET_EXEC, 3 ET_DYN, 1 ET_REL
  std::uint64_t shoff = 0;  // e_shoff
  unsigned shentsize = 0;   // e_shentsize
  unsigned shnum = 0;       // e_shnum
};

// `value` as `size` bytes in the shape's byte order.
inline std::string elf_int(std::uint64_t value, unsigned size, bool little = true) {
  std::string out(size, '\0');
  for (unsigned i = 0; i < size; ++i)
    out[little ? i : size - 1 - i] = static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}

// The ELF header (52 or 64 bytes) of `shape`.
inline std::string elf_header(const ElfShape& shape) {
  std::string h =
      "\x7f"
      "ELF";
  h += static_cast<char>(shape.wide ? 2 : 1);
  h += static_cast<char>(shape.little ? 1 : 2);
  h += '\x01';                // EI_VERSION
  h += std::string(9, '\0');  // OS ABI, ABI version, padding
  auto put = [&](std::uint64_t value, unsigned size) { h += elf_int(value, size, shape.little); };
  put(shape.type, 2);
  put(shape.machine, 2);
  put(1, 4);  // e_version
  unsigned word = shape.wide ? 8 : 4;
  put(0x400000, word);                           // e_entry
  put(shape.wide ? 64 : 52, word);               // e_phoff
  put(shape.shoff, word);                        // e_shoff
  put(shape.machine == 40 ? 0x05000400 : 0, 4);  // e_flags (arm: EABI5, hard float)
  put(shape.wide ? 64 : 52, 2);                  // e_ehsize
  put(shape.wide ? 56 : 32, 2);                  // e_phentsize
  put(0, 2);                                     // e_phnum
  put(shape.shentsize, 2);
  put(shape.shnum, 2);
  put(0, 2);  // e_shstrndx
  return h;
}

// An .ARM.attributes section as GCC writes it, with Tag_CPU_name `cpu_name` and Tag_CPU_arch
// `cpu_arch` (10: v7, 4: v5TE, 6: v6, 14: v8-A).
inline std::string arm_attributes(std::string_view cpu_name, unsigned cpu_arch) {
  std::string file;  // the Tag_File attributes
  file += '\x05';    // Tag_CPU_name
  file += std::string(cpu_name) + '\0';
  file += '\x06';  // Tag_CPU_arch
  file += static_cast<char>(cpu_arch);
  file += "\x07\x41\x08\x01\x09\x02";  // profile A, ARM ISA, Thumb-2
  std::string sub = '\x01' + elf_int(5 + file.size(), 4) + file;
  std::string vendor = std::string("aeabi") + '\0' + sub;
  return "A" + elf_int(4 + vendor.size(), 4) + vendor;
}

// A 32-bit little-endian arm executable: the header, `attributes` as a section of type
// SHT_ARM_ATTRIBUTES, `padding` bytes of code, then the section headers (a null one first).
inline std::string arm_executable(std::string_view attributes, std::size_t padding = 0) {
  std::string body(padding, '\x90');
  std::size_t attributes_at = 52 + body.size();
  std::size_t table = attributes_at + attributes.size();
  ElfShape shape{40, false, true, 2, table, 40, 2};
  std::string out = elf_header(shape) + body + std::string(attributes);
  out += std::string(40, '\0');  // SHN_UNDEF
  out += elf_int(1, 4) + elf_int(0x70000003, 4) + elf_int(0, 4) + elf_int(0, 4) +
         elf_int(attributes_at, 4) + elf_int(attributes.size(), 4) + elf_int(0, 4) + elf_int(0, 4) +
         elf_int(1, 4) + elf_int(0, 4);
  return out;
}

}  // namespace ocipfs::testing
