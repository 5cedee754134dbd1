// Tests for the dag-pb codec and the UnixFS Data message, against published vectors:
// - ipfs/specs src/unixfs.md, "Appendix: Test Vectors": the well-known empty directory and empty
//   dag-pb file, the single dag-pb block file of the IPFS Gateway Checker, and the
//   ipld/codec-fixtures dag-pb blocks it lists with their bytes (dagpb_empty, dagpb_1link,
//   dagpb_2link+data, dagpb_Data_some, dagpb_Data_zero, dagpb_Links_Hash_some_Tsize_some,
//   dagpb_simple_forms_2)
// - the UnixFS data of a js-ipfs File node over two raw leaves (a layout unixfs_test.cpp checks
//   against the node's CIDs)
#include "ocipfs/formats/dag_pb.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/formats/cid.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using ::testing::HasSubstr;

using testing::from_hex;

std::string dag_pb_cid(std::string_view block) {
  return testing::sha256_cid(multicodec::dag_pb, block).to_string();
}

// Decodes a block that must be valid.
PbNode decoded(std::string_view block) {
  auto node = decode_pb_node(block);
  EXPECT_TRUE(node) << node.error();
  return node ? *node : PbNode{};
}

// The error decoding a block that must be refused.
std::string refusal(std::string_view block) {
  auto node = decode_pb_node(block);
  EXPECT_FALSE(node) << "accepted: " << to_hex(block);
  return node ? std::string() : node.error();
}

std::string unixfs_refusal(std::string_view bytes) {
  auto data = decode_unixfs_data(bytes);
  EXPECT_FALSE(data) << "accepted: " << to_hex(bytes);
  return data ? std::string() : data.error();
}

TEST(DagPbCodec, EncodesTheWellKnownEmptyDirectory) {
  const UnixfsData directory{UnixfsType::directory, std::nullopt, std::nullopt, {}};
  const std::string block = encode_pb_node(PbNode{{}, encode_unixfs_data(directory)});
  EXPECT_EQ(to_hex(block), "0a020801");
  EXPECT_EQ(dag_pb_cid(block), "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354");
}

TEST(DagPbCodec, EncodesTheWellKnownEmptyFile) {
  const UnixfsData file{UnixfsType::file, std::nullopt, 0, {}};
  const std::string block = encode_pb_node(PbNode{{}, encode_unixfs_data(file)});
  EXPECT_EQ(to_hex(block), "0a0408021800");
  EXPECT_EQ(dag_pb_cid(block), "bafybeif7ztnhq65lumvvtr4ekcwd2ifwgm3awq4zfr3srh462rwyinlb4y");
}

TEST(DagPbCodec, EncodesTheGatewayCheckerSingleBlockFile) {
  const std::string content = "Hello from IPFS Gateway Checker\n";
  const UnixfsData file{UnixfsType::file, content, content.size(), {}};
  const std::string block = encode_pb_node(PbNode{{}, encode_unixfs_data(file)});
  EXPECT_EQ(block.size(), 40u);
  EXPECT_EQ(dag_pb_cid(block), "bafybeifx7yeb55armcsxwwitkymga5xf53dxiarykms3ygqic223w5sk3m");
  auto data = decode_unixfs_data(*decoded(block).data);
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(*data, file);
}

TEST(DagPbCodec, ReadsTheCodecFixtures) {
  EXPECT_EQ(dag_pb_cid(""), "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  EXPECT_EQ(decoded(""), PbNode{});

  const std::string one_link =
      from_hex("12240a2212207521fe19c374a97759226dc5c0c8e674e73950e81b211f7dd3b6b30883a08a51");
  EXPECT_EQ(dag_pb_cid(one_link), "bafybeihyivpglm6o6wrafbe36fp5l67abmewk7i2eob5wacdbhz7as5obe");
  const PbNode node = decoded(one_link);
  ASSERT_EQ(node.links.size(), 1u);
  EXPECT_EQ(to_hex(node.links[0].hash),
            "12207521fe19c374a97759226dc5c0c8e674e73950e81b211f7dd3b6b30883a08a51");
  EXPECT_EQ(node.links[0].name, "");
  EXPECT_EQ(node.links[0].tsize, 0u);
  EXPECT_FALSE(node.data);

  const std::string max_tsize = from_hex("12140a0901550005000102030418ffffffffffffff0f");
  EXPECT_EQ(dag_pb_cid(max_tsize), "bafybeiezymjvhwfuharanxmzxwuomzjjuzqjewjolr4phaiyp6l7qfwo64");
  ASSERT_EQ(decoded(max_tsize).links.size(), 1u);
  EXPECT_EQ(decoded(max_tsize).links[0].tsize, 9007199254740991u);  // 2^53 - 1

  const std::string three_links = from_hex(
      "120b0a0901550005000102030412100a09015500050001020304120362617212100a090155000500010203041203"
      "666f6f");
  EXPECT_EQ(dag_pb_cid(three_links), "bafybeiahfgovhod2uvww72vwdgatl5r6qkoeegg7at2bghiokupfphqcku");
  const PbNode named = decoded(three_links);
  ASSERT_EQ(named.links.size(), 3u);
  EXPECT_EQ(named.links[1].name, "bar");
  EXPECT_EQ(named.links[2].name, "foo");
  EXPECT_EQ(to_hex(named.links[2].hash), "015500050001020304");
}

TEST(DagPbCodec, RoundTripsTheFullyWrittenCodecFixtures) {
  const std::string two_links = from_hex(
      "12340a2212208ab7a6c5e74737878ac73863cb76739d15d4666de44e5756bf55a2f9e9ab5f431209736f6d6520"
      "6c696e6b1880c2d72f12370a2212208ab7a6c5e74737878ac73863cb76739d15d4666de44e5756bf55a2f9e9ab"
      "5f44120f736f6d65206f74686572206c696e6b18080a09736f6d652064617461");
  EXPECT_EQ(dag_pb_cid(two_links), "bafybeibh647pmxyksmdm24uad6b5f7tx4dhvilzbg2fiqgzll4yek7g7y4");
  const PbNode node = decoded(two_links);
  ASSERT_EQ(node.links.size(), 2u);
  EXPECT_EQ(node.links[0].name, "some link");
  EXPECT_EQ(node.links[0].tsize, 100000000u);
  EXPECT_EQ(node.links[1].name, "some other link");
  EXPECT_EQ(node.links[1].tsize, 8u);
  EXPECT_EQ(node.data, "some data");
  EXPECT_EQ(encode_pb_node(node), two_links);

  for (const auto* hex : {"0a050001020304", "0a00"}) {
    const std::string block = from_hex(hex);
    EXPECT_EQ(encode_pb_node(decoded(block)), block) << hex;
  }
  EXPECT_EQ(dag_pb_cid(from_hex("0a050001020304")),
            "bafybeibazl2z4vqp2tmwcfag6wirmtpnomxknqcgrauj7m2yisrz3qjbom");
  EXPECT_EQ(dag_pb_cid(from_hex("0a00")),
            "bafybeiaqfni3s5s2k2r6rgpxz4hohdsskh44ka5tk6ztbjerqpvxwfkwaq");
}

TEST(DagPbCodec, WritesEveryLinkFieldEvenWhenEmpty) {
  // Kubo and js-ipfs write Name "" and Tsize 0 rather than leaving them out.
  const PbNode node{{PbLink{from_hex("0155000100"), "", 0}}, std::nullopt};
  EXPECT_EQ(to_hex(encode_pb_node(node)), "120b0a05015500010012001800");
}

TEST(DagPbCodec, RoundTripsNodes) {
  const PbNode nodes[] = {
      PbNode{},
      PbNode{{}, std::string()},
      PbNode{{PbLink{std::string(34, 'h'), "name", 1}}, std::nullopt},
      PbNode{{PbLink{std::string(36, '\x01'), "", 262144}, PbLink{"x", "\xc3\xa9t\xc3\xa9", 1}},
             std::string(300, '\0')},
  };
  for (const auto& node : nodes) {
    const std::string block = encode_pb_node(node);
    EXPECT_EQ(decoded(block), node) << to_hex(block);
  }
}

TEST(DagPbCodec, AcceptsExactlyMaxLinks) {
  std::string block;
  for (std::size_t i = 0; i < max_pb_links; ++i) block += from_hex("12020a00");
  EXPECT_EQ(decoded(block).links.size(), max_pb_links);
  block += from_hex("12020a00");
  EXPECT_THAT(refusal(block), HasSubstr("more than 8192 links"));
}

TEST(DagPbStrict, RefusesMisorderedOrRepeatedNodeFields) {
  EXPECT_THAT(refusal(from_hex("0a0012020a00")), HasSubstr("comes after Data"));
  EXPECT_THAT(refusal(from_hex("0a000a00")), HasSubstr("Data (field 1) twice"));
}

TEST(DagPbStrict, RefusesUnknownFieldsAndWrongWireTypes) {
  EXPECT_THAT(refusal(from_hex("1801")), HasSubstr("unknown field 3"));
  EXPECT_THAT(refusal(from_hex("0801")), HasSubstr("PBNode field 1 (Data) must have wire type 2"));
  EXPECT_THAT(refusal(from_hex("1001")), HasSubstr("PBNode field 2 (Links) must have wire type 2"));
  EXPECT_THAT(refusal(from_hex("0d00000000")), HasSubstr("wire type 5"));
  EXPECT_THAT(refusal(from_hex("090000000000000000")), HasSubstr("wire type 1"));
  EXPECT_THAT(refusal(from_hex("0b0c")), HasSubstr("wire type 3"));
  EXPECT_THAT(refusal(from_hex("0201")), HasSubstr("field number 0"));
}

TEST(DagPbStrict, RefusesMalformedLinks) {
  EXPECT_THAT(refusal(from_hex("12021200")), HasSubstr("link 0: PBLink has no Hash"));
  EXPECT_THAT(refusal(from_hex("1200")), HasSubstr("PBLink has no Hash"));
  EXPECT_THAT(refusal(from_hex("120412000a00")), HasSubstr("field 1 (Hash) is repeated or out"));
  EXPECT_THAT(refusal(from_hex("12040a000a00")), HasSubstr("field 1 (Hash) is repeated"));
  EXPECT_THAT(refusal(from_hex("12060a0018001200")), HasSubstr("field 2 (Name) is repeated"));
  EXPECT_THAT(refusal(from_hex("12040a002000")), HasSubstr("PBLink has an unknown field 4"));
  EXPECT_THAT(refusal(from_hex("12040a001a00")), HasSubstr("(Tsize) must have wire type 0"));
  EXPECT_THAT(refusal(from_hex("12040a001000")), HasSubstr("(Name) must have wire type 2"));
  EXPECT_THAT(refusal(from_hex("12020a0012021200")), HasSubstr("link 1: PBLink has no Hash"));
}

TEST(DagPbStrict, RefusesTruncatedAndOverlongVarints) {
  EXPECT_THAT(refusal(from_hex("0a")), HasSubstr("truncated varint"));
  EXPECT_THAT(refusal(from_hex("0a050001")), HasSubstr("truncated (5 bytes announced, 2 left)"));
  EXPECT_THAT(refusal(from_hex("0a8000")), HasSubstr("non-minimal varint"));
  EXPECT_THAT(refusal(from_hex("8a")), HasSubstr("field key: truncated varint"));
  EXPECT_THAT(refusal(from_hex("12050a0018ffff")), HasSubstr("truncated varint"));
  EXPECT_THAT(refusal(from_hex("120d0a0018ffffffffffffffffff01")),
              HasSubstr("varint longer than 9 bytes"));
}

// Every prefix and many byte flips of valid blocks: decoding refuses or accepts, and what it
// accepts encodes back to a block that decodes to the same node.
TEST(DagPbStrict, SurvivesTruncationAndCorruption) {
  const PbNode node{{PbLink{std::string(36, '\x01'), "name", 262144}, PbLink{"h", "", 1}},
                    encode_unixfs_data({UnixfsType::file, std::nullopt, 262145, {262144, 1}})};
  const std::string block = encode_pb_node(node);
  std::mt19937 random(7);
  std::vector<std::string> inputs;
  for (std::size_t size = 0; size < block.size(); ++size) inputs.push_back(block.substr(0, size));
  for (int i = 0; i < 2000; ++i) {
    std::string flipped = block;
    flipped[random() % flipped.size()] = static_cast<char>(random() & 0xff);
    inputs.push_back(std::move(flipped));
  }
  for (const auto& input : inputs) {
    auto decoded_node = decode_pb_node(input);
    if (decoded_node) {
      EXPECT_EQ(decode_pb_node(encode_pb_node(*decoded_node)).value(), *decoded_node);
      if (decoded_node->data) decode_unixfs_data(*decoded_node->data);
    } else {
      EXPECT_THAT(decoded_node.error(), HasSubstr("invalid dag-pb node: "));
    }
  }
}

TEST(UnixfsDataCodec, WritesWhatKuboAndJsIpfsWrite) {
  EXPECT_EQ(to_hex(encode_unixfs_data({UnixfsType::directory, std::nullopt, std::nullopt, {}})),
            "0801");
  // A js-ipfs File node over two raw leaves (262144 and 1 bytes): blocksizes unpacked.
  EXPECT_EQ(to_hex(encode_unixfs_data({UnixfsType::file, std::nullopt, 262145, {262144, 1}})),
            "080218818010208080102001");
  EXPECT_EQ(to_hex(encode_unixfs_data({UnixfsType::file, std::string("ab"), 2, {}})),
            "0802120261621802");
}

TEST(UnixfsDataCodec, RoundTrips) {
  const UnixfsData values[] = {
      {UnixfsType::raw, std::string("x"), 1, {}},
      {UnixfsType::directory, std::nullopt, std::nullopt, {}},
      {UnixfsType::file, std::string(), 0, {}},
      {UnixfsType::file, std::nullopt, 1u << 30, {1u << 29, 1u << 29}},
      {UnixfsType::metadata, std::nullopt, std::nullopt, {}},
      {UnixfsType::symlink, std::string("../target"), std::nullopt, {}},
      {UnixfsType::hamt_shard, std::string("\x01\x02"), std::nullopt, {}},
  };
  for (const auto& value : values) {
    const std::string bytes = encode_unixfs_data(value);
    auto back = decode_unixfs_data(bytes);
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(*back, value) << to_hex(bytes);
  }
}

TEST(UnixfsDataCodec, ReadsPackedBlocksizesAndSkipsMetadata) {
  auto packed = decode_unixfs_data(from_hex("0802180a22020505"));
  ASSERT_TRUE(packed) << packed.error();
  EXPECT_EQ(packed->blocksizes, (std::vector<std::uint64_t>{5, 5}));
  auto mixed = decode_unixfs_data(from_hex("0802200122020203"));
  ASSERT_TRUE(mixed) << mixed.error();
  EXPECT_EQ(mixed->blocksizes, (std::vector<std::uint64_t>{1, 2, 3}));
  // mode 0644 (field 7) and mtime {Seconds: 1} (field 8) on a directory.
  auto with_metadata = decode_unixfs_data(from_hex("080138a40342020801"));
  ASSERT_TRUE(with_metadata) << with_metadata.error();
  EXPECT_EQ(*with_metadata, (UnixfsData{UnixfsType::directory, std::nullopt, std::nullopt, {}}));
  // A HAMT shard: hashType murmur3-x64-64 (0x22, field 5), fanout 256 (field 6).
  auto shard = decode_unixfs_data(from_hex("08051201012822308002"));
  ASSERT_TRUE(shard) << shard.error();
  EXPECT_EQ(shard->type, UnixfsType::hamt_shard);
  EXPECT_EQ(shard->data, "\x01");
}

TEST(UnixfsDataStrict, RefusesMalformedData) {
  EXPECT_THAT(unixfs_refusal(""), HasSubstr("no Type (field 1)"));
  EXPECT_THAT(unixfs_refusal(from_hex("1801")), HasSubstr("no Type"));
  EXPECT_THAT(unixfs_refusal(from_hex("0806")), HasSubstr("unknown type 6"));
  EXPECT_THAT(unixfs_refusal(from_hex("08020801")), HasSubstr("field 1 (Type) is repeated"));
  EXPECT_THAT(unixfs_refusal(from_hex("080218011802")), HasSubstr("(filesize) is repeated"));
  EXPECT_THAT(unixfs_refusal(from_hex("08024801")), HasSubstr("unknown field 9"));
  EXPECT_THAT(unixfs_refusal(from_hex("08021001")), HasSubstr("(Data) must have wire type 2"));
  EXPECT_THAT(unixfs_refusal(from_hex("0a00")), HasSubstr("(Type) must have wire type 0"));
  EXPECT_THAT(unixfs_refusal(from_hex("080212")), HasSubstr("truncated varint"));
  EXPECT_THAT(unixfs_refusal(from_hex("08022201ff")), HasSubstr("packed blocksizes"));
  EXPECT_THAT(unixfs_refusal(from_hex("080242050801")), HasSubstr("field 8 is truncated"));
  EXPECT_THAT(unixfs_refusal(from_hex("080238013802")), HasSubstr("field 7 (mode) is repeated"));
  EXPECT_THAT(unixfs_refusal(from_hex("08022d00000000")), HasSubstr("wire type 5"));
}

}  // namespace
}  // namespace ocipfs
