// Multihashes as a CID holds them: the hash functions accepted, the digest lengths, and the names
// of the others (multiformats/multicodec table.csv).
#include "ocipfs/formats/multihash.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "ocipfs/formats/multicodec.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using testing::from_hex;

template <class T>
std::string error_of(const Expected<T>& result) {
  return result ? std::string("<unexpected success>") : result.error();
}

TEST(Multihash, ReadsSha256AndLeavesWhatFollows) {
  const std::string digest(32, 'd');
  const std::string bytes = from_hex("1220") + digest + "rest";
  std::string_view view = bytes;
  auto read = read_multihash(view);
  ASSERT_TRUE(read) << read.error();
  EXPECT_EQ(read->code, multihash::sha2_256);
  EXPECT_EQ(read->digest, digest);
  EXPECT_EQ(view, "rest");
}

TEST(Multihash, ReadsIdentity) {
  const std::string bytes = from_hex("0005") + "hello";
  std::string_view view = bytes;
  auto read = read_multihash(view);
  ASSERT_TRUE(read) << read.error();
  EXPECT_EQ(read->code, multihash::identity);
  EXPECT_EQ(read->digest, "hello");
  EXPECT_TRUE(view.empty());
}

TEST(Multihash, RefusesAndLeavesTheBytesWhereTheyWere) {
  const std::pair<std::string, std::string> cases[] = {
      {from_hex("1114") + std::string(20, 'x'), "unsupported multihash 0x11 (sha1)"},
      {from_hex("7720") + std::string(32, 'x'), "unsupported multihash 0x77"},
      {from_hex("1210") + std::string(16, 'x'), "sha2-256 digest length must be 32, not 16"},
      {from_hex("008101") + std::string(129, 'x'),
       "identity digest too long (129 bytes, at most 128)"},
      {from_hex("1220") + "abc", "truncated digest (3 of 32 bytes)"},
      {from_hex("12"), "invalid multihash length: truncated varint"},
      {from_hex("80"), "invalid multihash code: truncated varint"},
  };
  for (const auto& [bytes, error] : cases) {
    std::string_view view = bytes;
    EXPECT_EQ(error_of(read_multihash(view)), error);
    EXPECT_EQ(view.size(), bytes.size()) << error;
  }
}

TEST(Multicodec, DescribesCodesAsTheTableWritesThem) {
  EXPECT_EQ(multicodec::describe(0x71), "0x71 (dag-cbor)");
  EXPECT_EQ(multicodec::describe(0x0129), "0x0129 (dag-json)");
  EXPECT_EQ(multicodec::describe(0x1234), "0x1234");
  EXPECT_EQ(multihash::describe(0xb220), "0xb220 (blake2b-256)");
  EXPECT_EQ(multihash::describe(0x00), "0x00 (identity)");
}

}  // namespace
}  // namespace ocipfs
