// Tests for CARv1 writing and strict reading (ipld.io/specs/transport/car/carv1). The header bytes
// are worked out by hand from the spec and DAG-CBOR (RFC 8949 heads, keys in length-first order).
// npm's ipfs-car 3.1.0 agrees: `ipfs-car pack --no-wrap` of a file holding "hello world" writes
// exactly hello_header and car_section(raw_cid(hello), hello), and `ipfs-car roots`, `blocks`,
// `ls` and `unpack` read the CARs car_header and car_section write.
#include "ocipfs/formats/car.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/formats/varint.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

using testing::from_hex;

std::string sha256_bytes(std::string_view data) {
  const Sha256 hash = sha256(data);
  return std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
}

Cid raw_cid(std::string_view block) { return testing::sha256_cid(multicodec::raw, block); }

Cid dag_pb_v0(std::string_view block) {
  return Cid{0, multicodec::dag_pb, multihash::sha2_256, sha256_bytes(block)};
}

Cid identity_cid(std::string_view block) {
  return Cid{1, multicodec::raw, multihash::identity, std::string(block)};
}

std::string car_error(std::string_view bytes, const CarLimits& limits = {}) {
  auto car = parse_car(bytes, limits);
  return car ? std::string("<unexpected success>") : car.error();
}

// The header map of a CAR whose header length fits one varint byte, without that length.
std::string with_header_map(std::string_view map) {
  return varint_encode(map.size()) + std::string(map);
}

const std::string hello = "hello world";
// bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e
const std::string hello_binary_cid = from_hex("01551220") + sha256_bytes(hello);

// {"roots": [bafkrei...], "version": 1} in DAG-CBOR, by hand:
//   a2                   map(2)
//   65 726f6f7473        text(5) "roots"
//   81                   array(1)
//   d8 2a                tag(42)
//   58 25 00 <36 bytes>  bytes(37): 0x00 (identity multibase) and the binary CIDv1
//   67 76657273696f6e    text(7) "version"
//   01                   unsigned(1)
// 1 + 6 + 1 + 2 + 2 + 37 + 8 + 1 = 58 = 0x3a bytes, after their varint length (ipfs-car's too).
const std::string hello_header =
    from_hex("3aa265726f6f747381d82a582500") + hello_binary_cid + from_hex("6776657273696f6e01");

// ---------------------------------------------------------------------------------------------
// Writing.

TEST(CarWrite, HeaderBytesForAKnownRoot) {
  EXPECT_EQ(raw_cid(hello).to_string(),
            "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
  EXPECT_EQ(car_header({raw_cid(hello)}), hello_header);
  EXPECT_EQ(hello_header.size(), 59u);
}

TEST(CarWrite, HeaderWithoutRootsAndWithCidv0) {
  EXPECT_EQ(car_header({}), from_hex("11a265726f6f7473806776657273696f6e01"));
  const Cid v0 = dag_pb_v0("node");
  EXPECT_EQ(car_header({v0}), from_hex("38a265726f6f747381d82a5823001220") + v0.digest +
                                  from_hex("6776657273696f6e01"));
}

TEST(CarWrite, SectionIsLengthCidAndBlock) {
  EXPECT_EQ(car_section(raw_cid(hello), hello), "\x2f" + hello_binary_cid + hello);
  const Cid v0 = dag_pb_v0("node");
  EXPECT_EQ(car_section(v0, "node"), "\x26\x12\x20" + v0.digest + "node");
  EXPECT_EQ(car_section(identity_cid(""), ""), from_hex("0401550000"));
  const std::string big(200, 'b');
  EXPECT_EQ(car_section(raw_cid(big), big).substr(0, 2), from_hex("ec01"));  // 236, two bytes
}

// ---------------------------------------------------------------------------------------------
// Round trips.

TEST(CarRead, RoundTripsRootsAndBlocks) {
  const std::vector<std::string> blocks = {hello, "", std::string(5000, 'z'), "node"};
  const std::vector<Cid> cids = {raw_cid(blocks[0]), identity_cid(blocks[1]), raw_cid(blocks[2]),
                                 dag_pb_v0(blocks[3])};
  std::string bytes = car_header({cids[0], cids[3]});
  for (std::size_t i = 0; i < blocks.size(); ++i) bytes += car_section(cids[i], blocks[i]);

  auto car = parse_car(bytes);
  ASSERT_TRUE(car) << car.error();
  EXPECT_EQ(car->roots, (std::vector<Cid>{cids[0], cids[3]}));
  ASSERT_EQ(car->blocks.size(), blocks.size());
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    EXPECT_EQ(car->blocks[i].cid, cids[i]);
    EXPECT_EQ(car->blocks[i].bytes, blocks[i]);
    EXPECT_GE(car->blocks[i].bytes.data(), bytes.data());  // views into `bytes`
  }
}

TEST(CarRead, EmptyCarIsLegal) {
  auto car = parse_car(hello_header);
  ASSERT_TRUE(car) << car.error();
  EXPECT_EQ(car->roots, std::vector<Cid>{raw_cid(hello)});
  EXPECT_TRUE(car->blocks.empty());

  auto rootless = parse_car(car_header({}));
  ASSERT_TRUE(rootless) << rootless.error();
  EXPECT_TRUE(rootless->roots.empty());
}

TEST(CarRead, DuplicateBlocksAreKept) {
  auto car = parse_car(hello_header + car_section(raw_cid(hello), hello) +
                       car_section(raw_cid(hello), hello));
  ASSERT_TRUE(car) << car.error();
  EXPECT_EQ(car->blocks.size(), 2u);
}

TEST(CarRead, FindBlockComparesAsCidv1) {
  const Cid v0 = dag_pb_v0("node");
  auto car_bytes = car_header({v0}) + car_section(raw_cid(hello), hello) + car_section(v0, "node");
  auto car = parse_car(car_bytes);
  ASSERT_TRUE(car) << car.error();

  Cid v1 = v0;
  v1.version = 1;
  ASSERT_NE(find_block(*car, v1), nullptr);
  EXPECT_EQ(find_block(*car, v1)->bytes, "node");
  EXPECT_EQ(find_block(*car, v0), find_block(*car, v1));
  EXPECT_EQ(find_block(*car, raw_cid(hello))->bytes, hello);

  Cid other_codec = raw_cid(hello);
  other_codec.codec = multicodec::dag_pb;
  EXPECT_EQ(find_block(*car, other_codec), nullptr);
  EXPECT_EQ(find_block(*car, raw_cid("absent")), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Hostile blocks and sections.

TEST(CarRejects, BlockOfAnotherCid) {
  const std::string bytes =
      hello_header + car_section(raw_cid(hello), hello) + car_section(raw_cid("other"), hello);
  EXPECT_EQ(car_error(bytes), "CAR section 2 (at byte 107): block does not match its cid " +
                                  raw_cid("other").to_string());
  EXPECT_THAT(car_error(hello_header + car_section(identity_cid("abc"), "abd")),
              HasSubstr("section 1 (at byte 59): block does not match its cid"));
  EXPECT_THAT(car_error(hello_header + car_section(dag_pb_v0("a"), "b")),
              HasSubstr("block does not match its cid"));
}

TEST(CarRejects, TruncatedSections) {
  const std::string whole = hello_header + car_section(raw_cid(hello), hello);
  for (std::size_t size = hello_header.size() + 1; size < whole.size(); ++size) {
    EXPECT_THAT(car_error(whole.substr(0, size)), StartsWith("CAR section 1 (at byte 59): "))
        << size;
  }
  EXPECT_EQ(car_error(whole.substr(0, hello_header.size() + 10)),
            "CAR section 1 (at byte 59): truncated (length 47, 9 bytes left)");
  EXPECT_EQ(car_error(hello_header + "\x80"),
            "CAR section 1 (at byte 59): invalid length: truncated varint");
}

TEST(CarRejects, HugeAndNonMinimalVarints) {
  EXPECT_EQ(car_error(hello_header + from_hex("ffffffffffffffff7f")),
            "CAR section 1 (at byte 59): length 9223372036854775807 is over max_block_size "
            "(2097152) and the longest cid");
  EXPECT_EQ(car_error(hello_header + from_hex("ffffffffffffffffff01")),
            "CAR section 1 (at byte 59): invalid length: varint longer than 9 bytes");
  // 47 written in two bytes.
  const std::string section = car_section(raw_cid(hello), hello);
  EXPECT_EQ(car_error(hello_header + from_hex("af00") + section.substr(1)),
            "CAR section 1 (at byte 59): invalid length: non-minimal varint");
  EXPECT_EQ(car_error(from_hex("ba00") + hello_header.substr(1)),
            "CAR header: invalid length: non-minimal varint");
  EXPECT_EQ(car_error(from_hex("ffffffffffffffff7f") + hello_header.substr(1)),
            "CAR header: truncated (length 9223372036854775807, 58 bytes left)");
}

TEST(CarRejects, ZeroLengthSection) {
  EXPECT_EQ(car_error(hello_header + std::string(1, '\0')),
            "CAR section 1 (at byte 59): zero length");
}

TEST(CarRejects, UnsupportedCodecsAndHashes) {
  const std::string block = "{}";
  const std::string dag_cbor = from_hex("01711220") + sha256_bytes(block);
  EXPECT_EQ(car_error(hello_header + varint_encode(dag_cbor.size() + 2) + dag_cbor + block),
            "CAR section 1 (at byte 59): cid: unsupported multicodec 0x71 (dag-cbor)");
  const std::string blake3 = from_hex("01551e20") + std::string(32, 'x');
  EXPECT_EQ(car_error(hello_header + varint_encode(blake3.size()) + blake3),
            "CAR section 1 (at byte 59): cid: unsupported multihash 0x1e (blake3)");
  const std::string cut = from_hex("015512");
  EXPECT_EQ(car_error(hello_header + varint_encode(cut.size()) + cut),
            "CAR section 1 (at byte 59): cid: invalid multihash length: truncated varint");
}

TEST(CarRejects, Limits) {
  const std::string two_blocks =
      hello_header + car_section(raw_cid(hello), hello) + car_section(raw_cid("b"), "b");
  ASSERT_TRUE(parse_car(two_blocks));

  CarLimits blocks;
  blocks.max_blocks = 1;
  EXPECT_EQ(car_error(two_blocks, blocks),
            "CAR section 2 (at byte 107): more blocks than max_blocks (1)");

  CarLimits total;
  total.max_total_size = two_blocks.size() - 1;
  EXPECT_EQ(car_error(two_blocks, total), "CAR of 145 bytes is over max_total_size (144)");
  total.max_total_size = two_blocks.size();
  EXPECT_TRUE(parse_car(two_blocks, total));

  CarLimits size;
  size.max_block_size = hello.size() - 1;
  EXPECT_EQ(car_error(two_blocks, size),
            "CAR section 1 (at byte 59): block of 11 bytes is over max_block_size (10)");
  size.max_block_size = 0;
  EXPECT_EQ(car_error(hello_header + from_hex("c801") + std::string(200, 'x'), size),
            "CAR section 1 (at byte 59): length 200 is over max_block_size (0) and the "
            "longest cid");

  CarLimits roots;
  roots.max_roots = 1;
  const std::string two_roots = car_header({raw_cid("a"), raw_cid("b")});
  EXPECT_EQ(car_error(two_roots, roots), "CAR header: 2 roots, over max_roots (1)");
  roots.max_roots = 2;
  EXPECT_TRUE(parse_car(two_roots, roots));
  // A root count far past the bytes is refused before anything is read for it.
  EXPECT_EQ(car_error(with_header_map(from_hex("a265726f6f74739affffffff")), roots),
            "CAR header: 4294967295 roots, over max_roots (2)");
}

// ---------------------------------------------------------------------------------------------
// Hostile headers.

TEST(CarRejects, TruncatedHeader) {
  EXPECT_EQ(car_error(""), "CAR header: invalid length: truncated varint");
  EXPECT_EQ(car_error(std::string(1, '\0')), "CAR header: zero length");
  for (std::size_t size = 1; size < hello_header.size(); ++size) {
    EXPECT_THAT(car_error(hello_header.substr(0, size)), StartsWith("CAR header: truncated"))
        << size;
  }
  // A header whose length is right but whose map stops early.
  for (std::size_t size = 1; size < hello_header.size() - 1; ++size) {
    const std::string map = hello_header.substr(1, size);
    EXPECT_THAT(car_error(with_header_map(map)), StartsWith("CAR header: ")) << size;
  }
}

TEST(CarRejects, HeaderThatIsNotAMap) {
  EXPECT_EQ(car_error(with_header_map(from_hex("82"))),
            "CAR header: the header must be a map, not an array");
  EXPECT_EQ(car_error(with_header_map(from_hex("01"))),
            "CAR header: the header must be a map, not an unsigned integer");
  EXPECT_EQ(car_error(with_header_map(from_hex("f6"))),
            "CAR header: the header must be a map, not a float or simple value");
  EXPECT_EQ(car_error(with_header_map(from_hex("f90000"))),
            "CAR header: the header must be a map, not a float or simple value");
  EXPECT_EQ(car_error(with_header_map(from_hex("bf"))),
            "CAR header: the header: unsupported CBOR additional information 31 (indefinite "
            "lengths are not DAG-CBOR)");
}

TEST(CarRejects, HeaderWithOtherKeys) {
  const std::string version = from_hex("6776657273696f6e01");
  EXPECT_EQ(car_error(with_header_map(from_hex("a365726f6f747380") + version + from_hex("6178f6"))),
            "CAR header: the header map has 3 entries, not 2 (\"roots\", \"version\")");
  EXPECT_EQ(car_error(with_header_map(from_hex("a1") + version)),
            "CAR header: the header map has 1 entries, not 2 (\"roots\", \"version\")");
  EXPECT_EQ(car_error(with_header_map(from_hex("a2") + version + from_hex("65726f6f747380"))),
            "CAR header: the first key must be \"roots\"");
  EXPECT_EQ(car_error(with_header_map(from_hex("a265726f6f747380656f7468657201"))),
            "CAR header: the second key must be \"version\"");
  EXPECT_EQ(car_error(with_header_map(from_hex("a245726f6f747380") + version)),
            "CAR header: the first key must be a text string, not a byte string");
  EXPECT_EQ(car_error(from_hex("3b") + hello_header.substr(1) + "\x01"),
            "CAR header: 1 bytes after the header map");
}

TEST(CarRejects, VersionOtherThanOne) {
  const std::string map = from_hex("a265726f6f7473806776657273696f6e");
  EXPECT_EQ(car_error(with_header_map(map + from_hex("02"))),
            "CAR header: CAR version 2 is not supported (only 1)");
  EXPECT_EQ(car_error(with_header_map(map + from_hex("00"))),
            "CAR header: CAR version 0 is not supported (only 1)");
  EXPECT_EQ(car_error(with_header_map(map + from_hex("1801"))),
            "CAR header: \"version\": non-minimal CBOR integer 1");
  EXPECT_EQ(car_error(with_header_map(map + from_hex("20"))),
            "CAR header: \"version\" must be an unsigned integer, not a negative integer");
  EXPECT_EQ(car_error(with_header_map(map + from_hex("6131"))),
            "CAR header: \"version\" must be an unsigned integer, not a text string");
}

TEST(CarRejects, MalformedRoots) {
  const std::string head = from_hex("a265726f6f747381");
  const std::string version = from_hex("6776657273696f6e01");
  const std::string link = std::string(1, '\0') + hello_binary_cid;
  auto header_with_root = [&](const std::string& root) {
    return with_header_map(head + root + version);
  };
  EXPECT_EQ(car_error(header_with_root(from_hex("d82b5825") + link)),
            "CAR header: root 0 has tag 43, not 42");
  EXPECT_EQ(car_error(header_with_root(from_hex("5825") + link)),
            "CAR header: root 0 must be a tag, not a byte string");
  EXPECT_EQ(car_error(header_with_root(from_hex("d82a7825") + link)),
            "CAR header: root 0 link must be a byte string, not a text string");
  EXPECT_EQ(car_error(header_with_root(from_hex("d82a5824") + hello_binary_cid)),
            "CAR header: root 0 link must start with the byte 0x00 (the identity multibase)");
  EXPECT_EQ(car_error(header_with_root(from_hex("d82a5826") + link + "x")),
            "CAR header: root 0 has 1 bytes after its cid");
  EXPECT_EQ(car_error(header_with_root(from_hex("d82a5824") + link.substr(0, 36))),
            "CAR header: root 0: truncated digest (31 of 32 bytes)");
  EXPECT_EQ(car_error(header_with_root(from_hex("d82a590025") + link)),
            "CAR header: root 0 link: non-minimal CBOR integer 37");
  EXPECT_EQ(car_error(header_with_root(from_hex("d82a58ff") + link)),
            "CAR header: root 0 is truncated");
  const std::string dag_cbor = from_hex("0001711220") + sha256_bytes("{}");
  EXPECT_EQ(car_error(header_with_root(from_hex("d82a5825") + dag_cbor)),
            "CAR header: root 0: unsupported multicodec 0x71 (dag-cbor)");
}

TEST(CarRejects, SurvivesMutations) {
  const std::string valid =
      car_header({raw_cid(hello), dag_pb_v0("node")}) + car_section(raw_cid(hello), hello) +
      car_section(dag_pb_v0("node"), "node") + car_section(identity_cid("id"), "id");
  ASSERT_TRUE(parse_car(valid));
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 5000; ++round) {
    std::string bytes = valid;
    bytes[static_cast<std::size_t>(byte(rng)) % bytes.size()] = static_cast<char>(byte(rng));
    if (round % 4 == 0) bytes.resize(static_cast<std::size_t>(round) % bytes.size());
    auto car = parse_car(bytes);
    if (!car) {
      EXPECT_THAT(car.error(), StartsWith("CAR ")) << to_hex(bytes);
      continue;
    }
    std::string again = car_header(car->roots);
    for (const CarBlock& block : car->blocks) again += car_section(block.cid, block.bytes);
    EXPECT_EQ(again, bytes) << "a strict reader accepts only what the writer writes";
  }
}

}  // namespace
}  // namespace ocipfs
