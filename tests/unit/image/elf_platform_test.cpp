#include "ocipfs/image/elf_platform.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/elf_files.hpp"

namespace ocipfs {
namespace {

using testing::arm_attributes;
using testing::arm_executable;
using testing::elf_header;
using testing::ElfShape;
using ::testing::HasSubstr;

std::string platform_of(std::string_view bytes) {
  auto platform = elf_platform(bytes, bytes.size());
  if (!platform) return "error: " + platform.error();
  return *platform ? platform_text(**platform) : "none";
}

std::string error_of(std::string_view bytes, std::uint64_t size) {
  auto platform = elf_platform(bytes, size);
  EXPECT_FALSE(platform.has_value());
  return platform ? std::string() : platform.error();
}

TEST(ElfPlatform, TellsEachMachineFromItsHeader) {
  struct Case {
    ElfShape shape;
    std::string_view platform;
  };
  const Case cases[] = {
      {{62, true, true}, "linux/amd64"},     {{3, false, true}, "linux/386"},
      {{183, true, true}, "linux/arm64/v8"}, {{21, true, true}, "linux/ppc64le"},
      {{22, true, false}, "linux/s390x"},    {{243, true, true}, "linux/riscv64"},
      {{8, true, true}, "linux/mips64le"},   {{8, false, true}, "linux/mipsle"},
      {{258, true, true}, "linux/loong64"},  {{62, true, true, 3}, "linux/amd64"},  // PIE
  };
  for (const auto& c : cases)
    EXPECT_EQ(platform_of(elf_header(c.shape)), c.platform) << c.shape.machine;
}

TEST(ElfPlatform, ByteOrderAndClassAreRead) {
  // s390x is big-endian: the machine number is read in the file's byte order.
  EXPECT_EQ(platform_of(elf_header({22, true, false})), "linux/s390x");
  EXPECT_THAT(platform_of(elf_header({22, true, true})), HasSubstr("not a platform ocipfs knows"));
  EXPECT_EQ(platform_of(elf_header({21, true, false})), "linux/ppc64");
  // x32 (x86-64 in a 32-bit class) and big-endian aarch64 are no OCI platform.
  EXPECT_THAT(platform_of(elf_header({62, false, true})),
              HasSubstr("ELF machine 62 (32-bit, little-endian) is not a platform ocipfs knows"));
  EXPECT_THAT(platform_of(elf_header({183, true, false})), HasSubstr("big-endian"));
}

TEST(ElfPlatform, ArmVariantIsTagCpuArch) {
  EXPECT_EQ(platform_of(arm_executable(arm_attributes("7-A", 10))), "linux/arm/v7");
  EXPECT_EQ(platform_of(arm_executable(arm_attributes("5TE", 4))), "linux/arm/v5");
  EXPECT_EQ(platform_of(arm_executable(arm_attributes("6KZ", 7))), "linux/arm/v6");
  EXPECT_EQ(platform_of(arm_executable(arm_attributes("8-A", 14), 1000)), "linux/arm/v8");
  EXPECT_THAT(platform_of(arm_executable(arm_attributes("6-M", 11))),
              HasSubstr("Tag_CPU_arch (11) is none of v5, v6, v7 or v8"));
}

TEST(ElfPlatform, ArmNeedsTheWholeFile) {
  std::string file = arm_executable(arm_attributes("7-A", 10), 4096);
  EXPECT_TRUE(elf_needs_whole_file(file.substr(0, elf_header_size)));
  EXPECT_FALSE(elf_needs_whole_file(elf_header({62, true, true})));
  EXPECT_THAT(error_of(file.substr(0, elf_header_size), file.size()),
              HasSubstr("section headers lie beyond the first 64 bytes"));
  EXPECT_THAT(error_of(file.substr(0, file.size() - 1), file.size() - 1),
              HasSubstr("section headers lie beyond its end"));
}

TEST(ElfPlatform, ArmWithoutAttributesCannotBeTold) {
  std::string file = arm_executable("");
  // The section of type SHT_ARM_ATTRIBUTES is there but empty.
  EXPECT_THAT(platform_of(file), HasSubstr("do not say Tag_CPU_arch"));
  ElfShape no_sections{40, false, true};
  EXPECT_THAT(platform_of(elf_header(no_sections)), HasSubstr("it has no section headers"));
  // A Tag_File that claims more bytes than the section holds.
  std::string attributes = arm_attributes("7-A", 10);
  attributes[12] = '\x7f';
  EXPECT_THAT(platform_of(arm_executable(attributes)), HasSubstr("do not say Tag_CPU_arch"));
}

TEST(ElfPlatform, OtherFilesAreNoExecutables) {
  EXPECT_EQ(platform_of(""), "none");
  EXPECT_EQ(platform_of("#!/bin/sh\necho hi\n"), "none");
  EXPECT_EQ(platform_of(elf_header({62, true, true, 1})), "none");  // an object file
  EXPECT_EQ(platform_of(elf_header({62, true, true, 4})), "none");  // a core dump
}

TEST(ElfPlatform, TruncatedOrInvalidHeadersAreErrors) {
  std::string header = elf_header({62, true, true});
  EXPECT_THAT(platform_of(header.substr(0, 4)), HasSubstr("its ELF header is truncated"));
  EXPECT_THAT(platform_of(header.substr(0, 40)), HasSubstr("its ELF header is truncated"));
  std::string bad_class = header;
  bad_class[4] = 7;
  EXPECT_THAT(platform_of(bad_class), HasSubstr("class (7) is neither 32-bit (1) nor 64-bit (2)"));
  std::string bad_order = header;
  bad_order[5] = 0;
  EXPECT_THAT(platform_of(bad_order), HasSubstr("byte order (0)"));
}

TEST(ElfPlatform, EveryPrefixOfAnArmFileIsAnswered) {
  std::string file = arm_executable(arm_attributes("7-A", 10));
  for (std::size_t size = 0; size <= file.size(); ++size) {
    auto platform = elf_platform(std::string_view(file).substr(0, size), size);
    if (size == file.size()) {
      ASSERT_TRUE(platform) << platform.error();
      EXPECT_EQ(platform_text(**platform), "linux/arm/v7");
    }
  }
}

std::string file_head(const std::filesystem::path& path, std::size_t size) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes(size, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return bytes;
}

// The executables of this (x86-64) machine: a static busybox (ET_EXEC) and a PIE (ET_DYN).
TEST(ElfPlatform, ReadsThisMachinesExecutables) {
  for (const char* path : {"/bin/busybox", "/bin/ls", "/usr/bin/env"}) {
    if (!std::filesystem::exists(path)) continue;
    std::string head = file_head(path, elf_header_size);
    auto platform = elf_platform(head, std::filesystem::file_size(path));
    ASSERT_TRUE(platform) << path << ": " << platform.error();
    ASSERT_TRUE(*platform) << path;
#if defined(__x86_64__)
    EXPECT_EQ(platform_text(**platform), "linux/amd64") << path;
#elif defined(__aarch64__)
    EXPECT_EQ(platform_text(**platform), "linux/arm64/v8") << path;
#endif
  }
}

}  // namespace
}  // namespace ocipfs
