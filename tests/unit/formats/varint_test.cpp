// Tests for varints, against multiformats/unsigned-varint README.md (its examples).
#include "ocipfs/formats/varint.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using ::testing::HasSubstr;

using testing::from_hex;

// The error of a failed decode, or a marker that makes assertions on it fail.
template <class T>
std::string error_of(const Expected<T>& result) {
  return result ? std::string("<unexpected success>") : result.error();
}

// ---------------------------------------------------------------------------------------------
// Varints (multiformats/unsigned-varint README.md).

TEST(Varint, ReadmeVectors) {
  const std::vector<std::pair<std::uint64_t, std::string>> vectors = {
      {1, "01"}, {127, "7f"}, {128, "8001"}, {255, "ff01"}, {300, "ac02"}, {16384, "808001"},
  };
  for (const auto& [value, hex] : vectors) {
    EXPECT_EQ(varint_encode(value), from_hex(hex)) << value;
    const std::string encoded = from_hex(hex);
    std::string_view view = encoded;
    auto decoded = varint_decode(view);
    ASSERT_TRUE(decoded) << hex << ": " << decoded.error();
    EXPECT_EQ(*decoded, value);
    EXPECT_TRUE(view.empty());
  }
}

TEST(Varint, RoundTripsBoundaries) {
  for (std::uint64_t value :
       {std::uint64_t{0}, std::uint64_t{0x7f}, std::uint64_t{0x80}, std::uint64_t{0x3fff},
        std::uint64_t{0x4000}, std::uint64_t{0xffffffff}, (std::uint64_t{1} << 56) - 1,
        std::uint64_t{1} << 56, (std::uint64_t{1} << 63) - 1}) {
    const std::string encoded = varint_encode(value);
    EXPECT_LE(encoded.size(), 9u);
    std::string_view view = encoded;
    auto decoded = varint_decode(view);
    ASSERT_TRUE(decoded) << value << ": " << decoded.error();
    EXPECT_EQ(*decoded, value);
    EXPECT_TRUE(view.empty());
  }
  EXPECT_EQ(varint_encode(0), std::string(1, '\0'));
  EXPECT_EQ(varint_encode((std::uint64_t{1} << 63) - 1), from_hex("ffffffffffffffff7f"));
}

TEST(Varint, AdvancesPastTheValueOnly) {
  const std::string bytes = from_hex("ac02ff01");
  std::string_view view = bytes;
  auto first = varint_decode(view);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, 300u);
  EXPECT_EQ(view, from_hex("ff01"));
  auto second = varint_decode(view);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, 255u);
  EXPECT_TRUE(view.empty());
}

TEST(Varint, RejectsNonMinimalEncodings) {
  // The README's own example: {0x81 0x00} is a valid Go varint for 1 but not minimal.
  for (std::string_view hex : {"8000", "8100", "ff00", "808000", "ff8000"}) {
    const std::string bytes = from_hex(hex);
    std::string_view view = bytes;
    auto decoded = varint_decode(view);
    EXPECT_THAT(error_of(decoded), HasSubstr("non-minimal")) << hex;
    EXPECT_EQ(view.size(), bytes.size()) << "input must be left untouched on failure";
  }
}

TEST(Varint, RejectsTruncation) {
  for (std::string_view hex : {"", "80", "ff", "ffff", "8080808080808080"}) {
    const std::string bytes = from_hex(hex);
    std::string_view view = bytes;
    EXPECT_THAT(error_of(varint_decode(view)), HasSubstr("truncated")) << hex;
    EXPECT_EQ(view.size(), bytes.size());
  }
}

TEST(Varint, RejectsMoreThanNineBytes) {
  for (std::string_view hex : {"80808080808080808001", "ffffffffffffffffff01", "ffffffffffffffffff",
                               "808080808080808080"}) {
    const std::string bytes = from_hex(hex);
    std::string_view view = bytes;
    EXPECT_THAT(error_of(varint_decode(view)), HasSubstr("longer than 9 bytes")) << hex;
  }
}

}  // namespace
}  // namespace ocipfs
