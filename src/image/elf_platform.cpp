#include "ocipfs/image/elf_platform.hpp"

#include <array>
#include <string>

namespace ocipfs {

namespace {

constexpr std::string_view elf_magic =
    "\x7f"
    "ELF";
constexpr unsigned elf_class_32 = 1, elf_class_64 = 2;
constexpr unsigned little_endian = 1, big_endian = 2;
constexpr unsigned et_exec = 2, et_dyn = 3;
constexpr unsigned em_arm = 40;
constexpr std::uint32_t sht_arm_attributes = 0x70000003;
constexpr std::uint64_t tag_cpu_arch = 6;

// One machine ELF names, as OCI (and Go) names its architecture.
struct Machine {
  unsigned machine;
  unsigned elf_class;
  unsigned byte_order;
  std::string_view architecture;
  std::string_view variant;
};

constexpr std::array<Machine, 13> machines{{
    {62, elf_class_64, little_endian, "amd64", ""},
    {3, elf_class_32, little_endian, "386", ""},
    {183, elf_class_64, little_endian, "arm64", "v8"},
    {em_arm, elf_class_32, little_endian, "arm", ""},  // the variant: from .ARM.attributes
    {21, elf_class_64, little_endian, "ppc64le", ""},
    {21, elf_class_64, big_endian, "ppc64", ""},
    {22, elf_class_64, big_endian, "s390x", ""},
    {243, elf_class_64, little_endian, "riscv64", ""},
    {8, elf_class_64, little_endian, "mips64le", ""},
    {8, elf_class_64, big_endian, "mips64", ""},
    {8, elf_class_32, little_endian, "mipsle", ""},
    {8, elf_class_32, big_endian, "mips", ""},
    {258, elf_class_64, little_endian, "loong64", ""},
}};

// The fields of the ELF header that elf_platform reads.
struct ElfHeader {
  unsigned elf_class = 0;
  unsigned byte_order = 0;
  unsigned type = 0;
  unsigned machine = 0;
  std::uint64_t section_headers = 0;  // e_shoff
  unsigned section_header_size = 0;   // e_shentsize
  unsigned section_count = 0;         // e_shnum
};

// Reads little- or big-endian integers at offsets checked against the bytes.
class Reader {
 public:
  Reader(std::string_view bytes, bool little) : bytes_(bytes), little_(little) {}

  bool has(std::uint64_t offset, std::uint64_t size) const {
    return offset <= bytes_.size() && size <= bytes_.size() - offset;
  }
  // The `size`-byte integer at `offset` (the caller checked has(offset, size)).
  std::uint64_t unsigned_at(std::uint64_t offset, unsigned size) const {
    std::uint64_t value = 0;
    for (unsigned i = 0; i < size; ++i) {
      unsigned byte = static_cast<unsigned char>(bytes_[offset + (little_ ? size - 1 - i : i)]);
      value = value << 8 | byte;
    }
    return value;
  }
  std::string_view bytes(std::uint64_t offset, std::uint64_t size) const {
    return bytes_.substr(offset, size);
  }

 private:
  std::string_view bytes_;
  bool little_;
};

std::string problem_of(std::string text) { return "it is an ELF file, but " + text; }

// The header's fields, once its identification and size are checked.
Expected<ElfHeader> read_header(std::string_view bytes) {
  if (bytes.size() < 20) return Unexpected{problem_of("its ELF header is truncated")};
  ElfHeader header;
  header.elf_class = static_cast<unsigned char>(bytes[4]);
  header.byte_order = static_cast<unsigned char>(bytes[5]);
  if (header.elf_class != elf_class_32 && header.elf_class != elf_class_64)
    return Unexpected{problem_of("its class (" + std::to_string(header.elf_class) +
                                 ") is neither 32-bit (1) nor 64-bit (2)")};
  if (header.byte_order != little_endian && header.byte_order != big_endian)
    return Unexpected{problem_of("its byte order (" + std::to_string(header.byte_order) +
                                 ") is neither little-endian (1) nor big-endian (2)")};
  Reader read(bytes, header.byte_order == little_endian);
  header.type = static_cast<unsigned>(read.unsigned_at(16, 2));
  header.machine = static_cast<unsigned>(read.unsigned_at(18, 2));
  bool wide = header.elf_class == elf_class_64;
  if (!read.has(0, wide ? 64 : 52)) {
    if (header.type != et_exec && header.type != et_dyn) return header;
    return Unexpected{problem_of("its ELF header is truncated")};
  }
  header.section_headers = read.unsigned_at(wide ? 40 : 32, wide ? 8 : 4);
  header.section_header_size = static_cast<unsigned>(read.unsigned_at(wide ? 58 : 46, 2));
  header.section_count = static_cast<unsigned>(read.unsigned_at(wide ? 60 : 48, 2));
  return header;
}

std::string machine_text(const ElfHeader& header) {
  return "ELF machine " + std::to_string(header.machine) + " (" +
         (header.elf_class == elf_class_64 ? "64-bit, " : "32-bit, ") +
         (header.byte_order == little_endian ? "little-endian)" : "big-endian)");
}

// A ULEB128 number of at most 64 bits at `at`, which moves past it; nullopt when it does not
// end within `bytes` or is too long.
std::optional<std::uint64_t> uleb128(std::string_view bytes, std::size_t& at) {
  std::uint64_t value = 0;
  for (unsigned shift = 0; at < bytes.size() && shift < 64; shift += 7) {
    auto byte = static_cast<unsigned char>(bytes[at++]);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return value;
  }
  return std::nullopt;
}

// Moves `at` past a NUL-terminated string; false when it does not end within `bytes`.
bool skip_string(std::string_view bytes, std::size_t& at) {
  auto nul = bytes.find('\0', at);
  if (nul == std::string_view::npos) return false;
  at = nul + 1;
  return true;
}

// Tag_CPU_arch in the attributes of a "File" sub-subsection, if they say it.
std::optional<std::uint64_t> cpu_arch_in(std::string_view attributes) {
  std::size_t at = 0;
  while (at < attributes.size()) {
    auto tag = uleb128(attributes, at);
    if (!tag) return std::nullopt;
    if (*tag == tag_cpu_arch) return uleb128(attributes, at);
    // The ARM ABI: Tag_CPU_raw_name (4), Tag_CPU_name (5), Tag_also_compatible_with (65) and
    // Tag_conformance (67) are strings; Tag_compatibility (32) a number then a string; other
    // tags below 32 numbers; above, odd tags strings and even ones numbers.
    bool text = *tag == 4 || *tag == 5 || (*tag >= 32 && *tag % 2 == 1);
    if (*tag == 32 && !uleb128(attributes, at)) return std::nullopt;
    if (text || *tag == 32 ? !skip_string(attributes, at) : !uleb128(attributes, at))
      return std::nullopt;
  }
  return std::nullopt;
}

// Tag_CPU_arch in an .ARM.attributes section: 'A', then subsections (length, vendor name,
// sub-subsections); only the "aeabi" vendor's "File" (tag 1) sub-subsection is read.
std::optional<std::uint64_t> cpu_arch(std::string_view section) {
  if (section.empty() || section[0] != 'A') return std::nullopt;
  Reader read(section, true);
  std::uint64_t at = 1;
  while (read.has(at, 4)) {
    std::uint64_t length = read.unsigned_at(at, 4);
    if (length < 4 || !read.has(at, length)) return std::nullopt;
    std::string_view subsection = read.bytes(at + 4, length - 4);
    at += length;
    std::size_t inner = 0;
    if (!skip_string(subsection, inner) ||
        subsection.substr(0, inner) != std::string_view("aeabi\0", 6))
      continue;
    Reader sub(subsection, true);
    while (inner < subsection.size()) {
      std::size_t start = inner;
      auto tag = uleb128(subsection, inner);
      if (!tag || !sub.has(inner, 4)) return std::nullopt;
      std::uint64_t size = sub.unsigned_at(inner, 4);
      if (size < inner - start + 4 || !sub.has(start, size)) return std::nullopt;
      std::size_t body = inner + 4;
      inner = start + size;
      if (*tag == 1) return cpu_arch_in(subsection.substr(body, inner - body));
    }
  }
  return std::nullopt;
}

// The OCI variant of a Tag_CPU_arch, or "" for one that no Linux arm platform names.
std::string_view arm_variant(std::uint64_t arch) {
  if (arch >= 3 && arch <= 5) return "v5";                    // v5T, v5TE, v5TEJ
  if (arch >= 6 && arch <= 9) return "v6";                    // v6, v6KZ, v6T2, v6K
  if (arch == 10) return "v7";                                // v7 (A and R profiles)
  if (arch == 14 || (arch >= 18 && arch <= 20)) return "v8";  // v8-A, v8.1-A to v8.3-A
  return "";
}

// The variant of a 32-bit arm executable, from its .ARM.attributes section.
Expected<std::string> arm_variant_of(std::string_view bytes, std::uint64_t file_size,
                                     const ElfHeader& header) {
  const std::string cannot = problem_of(
      "it is a 32-bit arm executable and its architecture version (v5, v6, v7) cannot be told: ");
  Reader read(bytes, true);
  std::uint64_t table = header.section_headers;
  std::uint64_t entry = header.section_header_size;
  if (table == 0 || header.section_count == 0 || entry < 40)
    return Unexpected{cannot + "it has no section headers"};
  if (!read.has(table, entry * header.section_count))
    return Unexpected{cannot + (bytes.size() < file_size
                                    ? "its section headers lie beyond the first " +
                                          std::to_string(bytes.size()) + " bytes"
                                    : std::string("its section headers lie beyond its end"))};
  for (unsigned i = 0; i < header.section_count; ++i) {
    std::uint64_t at = table + i * entry;
    if (read.unsigned_at(at + 4, 4) != sht_arm_attributes) continue;
    std::uint64_t offset = read.unsigned_at(at + 16, 4), size = read.unsigned_at(at + 20, 4);
    if (!read.has(offset, size))
      return Unexpected{cannot + "its .ARM.attributes section lies beyond its end"};
    auto arch = cpu_arch(read.bytes(offset, size));
    if (!arch) return Unexpected{cannot + "its .ARM.attributes do not say Tag_CPU_arch"};
    std::string_view variant = arm_variant(*arch);
    if (variant.empty())
      return Unexpected{cannot + "its Tag_CPU_arch (" + std::to_string(*arch) +
                        ") is none of v5, v6, v7 or v8"};
    return std::string(variant);
  }
  return Unexpected{cannot + "it has no .ARM.attributes section"};
}

}  // namespace

bool starts_like_elf(std::string_view head) { return head.starts_with(elf_magic); }

bool elf_needs_whole_file(std::string_view head) {
  if (!starts_like_elf(head) || head.size() < 20) return false;
  auto header = read_header(head.substr(0, elf_header_size));
  return header && header->machine == em_arm && header->elf_class == elf_class_32 &&
         (header->type == et_exec || header->type == et_dyn);
}

Expected<std::optional<Platform>> elf_platform(std::string_view bytes, std::uint64_t file_size) {
  if (!starts_like_elf(bytes)) return std::optional<Platform>();
  auto header = read_header(bytes);
  if (!header) return Unexpected{header.error()};
  if (header->type != et_exec && header->type != et_dyn) return std::optional<Platform>();
  for (const Machine& machine : machines) {
    if (machine.machine != header->machine || machine.elf_class != header->elf_class ||
        machine.byte_order != header->byte_order)
      continue;
    Platform platform{"linux", std::string(machine.architecture), std::string(machine.variant)};
    if (machine.machine == em_arm) {
      auto variant = arm_variant_of(bytes, file_size, *header);
      if (!variant) return Unexpected{variant.error()};
      platform.variant = std::move(*variant);
    }
    return std::optional<Platform>(std::move(platform));
  }
  return Unexpected{problem_of(machine_text(*header) + " is not a platform ocipfs knows")};
}

}  // namespace ocipfs
