#include "ocipfs/formats/verify.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/formats/car.hpp"
#include "ocipfs/formats/dag_pb.hpp"
#include "ocipfs/formats/recognize.hpp"
#include "ocipfs/formats/unixfs.hpp"

namespace ocipfs {
namespace {

using ::testing::HasSubstr;

const std::string hello = "hello world\n";
// The UnixFS file block of "hello world\n": PBNode{Data: Data{Type: File, Data, filesize: 12}}.
const std::string hello_block = std::string("\x0a\x12\x08\x02\x12\x0c", 6) + hello + "\x18\x0c";

Cid cid(const std::string& text) {
  auto parsed = parse_cid(text);
  EXPECT_TRUE(parsed) << text;
  return *parsed;
}

// A dag-pb CIDv1 for any block.
Cid dag_pb_cid_of(const std::string& block) {
  auto hash = sha256(block);
  return Cid{1, multicodec::dag_pb, multihash::sha2_256,
             std::string(reinterpret_cast<const char*>(hash.data()), hash.size())};
}

TEST(Verify, EncodesTheUnixfsFileBlockAsJsIpfsAndKuboDo) {
  EXPECT_EQ(encode_unixfs_file_block(hello), hello_block);
  EXPECT_EQ(dag_pb_cid_of(hello_block).to_string(),
            "bafybeicg2rebjoofv4kbyovkw7af3rpiitvnl6i7ckcywaq6xjcxnc2mby");
}

TEST(Verify, RawCids) {
  auto raw = cid("bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4");
  EXPECT_EQ(*verify_content(raw, hello, Payload::file), hello);
  EXPECT_EQ(*verify_content(raw, hello, Payload::block), hello);
  EXPECT_THAT(verify_content(raw, "hello world?", Payload::file).error().message,
              HasSubstr("does not match the CID"));
  EXPECT_THAT(verify_content(raw, "", Payload::file).error().message, HasSubstr("does not match"));
}

TEST(Verify, DagPbFromAPlainGateway) {
  for (const char* text : {"QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o",
                           "bafybeicg2rebjoofv4kbyovkw7af3rpiitvnl6i7ckcywaq6xjcxnc2mby"}) {
    EXPECT_EQ(*verify_content(cid(text), hello, Payload::file), hello);
    EXPECT_THAT(verify_content(cid(text), "hello world!\n", Payload::file).error().message,
                HasSubstr("does not match the CID"));
  }
}

TEST(Verify, DagPbFromATrustlessGateway) {
  auto v0 = cid("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
  EXPECT_EQ(*verify_content(v0, hello_block, Payload::block), hello);
  // A truncated block, and a block for another CID.
  EXPECT_THAT(verify_content(v0, hello_block.substr(0, 10), Payload::block).error().message,
              HasSubstr("does not match"));
  EXPECT_THAT(verify_content(v0, encode_unixfs_file_block("other"), Payload::block).error().message,
              HasSubstr("does not match"));
}

TEST(Verify, DagPbNodesWithLinksNeedTheirChildren) {
  // PBNode{Links: [PBLink{Hash: <QmT78 bytes>, Name: "a", Tsize: 20}], Data: Data{Type: File}}:
  // a link without its blocksize is no file.
  auto child = cid("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
  std::string multihash = std::string("\x12\x20", 2) + child.digest;
  std::string link = "\x0a" + std::string(1, char(multihash.size())) + multihash +
                     "\x12\x01"
                     "a"
                     "\x18\x14";
  std::string node = "\x12" + std::string(1, char(link.size())) + link + "\x0a\x02\x08\x02";
  auto error = verify_content(dag_pb_cid_of(node), node, Payload::block).error();
  EXPECT_THAT(error.message, HasSubstr("blocksizes"));
  EXPECT_EQ(error.kind, VerifyFailure::Kind::unusable);
  EXPECT_EQ(verify_content(dag_pb_cid_of(node), "x", Payload::block).error().kind,
            VerifyFailure::Kind::mismatch);

  // The same link with its blocksize (Data{Type: File, filesize: 12, blocksizes: [12]}): the
  // block alone cannot prove the file.
  std::string whole =
      "\x12" + std::string(1, char(link.size())) + link + "\x0a\x06\x08\x02\x18\x0c\x20\x0c";
  auto incomplete = verify_content(dag_pb_cid_of(whole), whole, Payload::block).error();
  EXPECT_EQ(incomplete.kind, VerifyFailure::Kind::incomplete);
  EXPECT_THAT(incomplete.message, HasSubstr("spans 2 blocks"));
  EXPECT_THAT(decode_unixfs_file_block(whole).error(), HasSubstr("must fit in one block"));
}

TEST(Verify, DirectoriesAndGarbageAreNotFiles) {
  // The empty directory (UnixFS spec): PBNode{Data: Data{Type: Directory}}.
  auto empty_dir = cid("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
  EXPECT_THAT(
      verify_content(empty_dir, std::string("\x0a\x02\x08\x01", 4), Payload::block).error().message,
      HasSubstr("is a UnixFS directory"));
  for (std::string garbage :
       {std::string("\xff\xff\xff"), std::string("\x0a\x7f"), std::string()}) {
    auto result = verify_content(dag_pb_cid_of(garbage), garbage, Payload::block);
    EXPECT_FALSE(result) << garbage.size();
  }
}

// A directory CID where a document belongs (the "ipfs path" CID, a CAR's second root) is proven
// to be one, as a block or in a CAR, and said so: it is no tampering.
TEST(Verify, ADirectoryIsSaidToBeOne) {
  auto dir = import_directory({{"hello.txt", import_file(hello, {})}}, {});
  ASSERT_TRUE(dir);
  std::string block;
  auto keep = [&](const Cid& c, std::string_view b) {
    if (c == dir->cid) block = std::string(b);
  };
  ASSERT_TRUE(import_directory({{"hello.txt", import_file(hello, {})}}, keep));
  auto as_block = verify_content(dir->cid, block, Payload::block).error();
  EXPECT_EQ(as_block.kind, VerifyFailure::Kind::directory);
  EXPECT_THAT(as_block.message, HasSubstr("a UnixFS directory"));
  std::string car = car_header({dir->cid}) + car_section(dir->cid, block);
  auto in_car = verify_content(dir->cid, car, Payload::car).error();
  EXPECT_EQ(in_car.kind, VerifyFailure::Kind::directory);
  EXPECT_TRUE(is_unixfs_directory_block(block));
  EXPECT_FALSE(is_unixfs_directory_block(hello_block));
}

// What a CID names when it is no document: a tarball, compressed or not, is recognized by its
// first bytes; a gateway's HTML listing of a directory by naming it.
TEST(Recognize, ArchivesAndDirectoryListings) {
  EXPECT_EQ(recognize_archive(std::string("\x1f\x8b\x08\x00", 4)), "a gzip stream");
  EXPECT_EQ(recognize_archive(std::string("\x28\xb5\x2f\xfd\x00", 5)), "a zstd stream");
  std::string tar(512, '\0');
  tar.replace(257, 6, std::string("ustar\0", 6));
  EXPECT_EQ(recognize_archive(tar), "a tar archive");
  EXPECT_EQ(recognize_archive("{\"layer\":{}}"), std::nullopt);
  EXPECT_EQ(recognize_archive(""), std::nullopt);

  auto dir = cid("bafybeie5qfovviimzzyoma4rdzl3g3ljiq6ifewvgp6bf6ogivxaghwpeq");
  std::string listing =
      "<!DOCTYPE html>\n<html><head><title>/ipfs/" + dir.to_string() + "/</title></head>";
  EXPECT_TRUE(is_directory_listing(dir, "text/html; charset=utf-8", listing));
  EXPECT_FALSE(is_directory_listing(dir, "application/json", listing));
  EXPECT_FALSE(is_directory_listing(dir, "text/html", "<html>an error page</html>"));
}

// The fuzzer's find (tests/fuzz/regressions/fuzz_layer_manifest/unixfs-filesize-over-its-data):
// a file node of 431 bytes of data, no links and a filesize of 1,711 was refused when decoded and
// accepted when verified. One rule now holds for both: filesize = data + blocksizes.
TEST(Verify, AFileNodesFilesizeIsItsDataPlusItsBlocksizes) {
  std::string data(431, 'd');
  std::string block = encode_pb_node(
      PbNode{{}, encode_unixfs_data({UnixfsType::file, data, std::uint64_t{1711}, {}})});
  auto verified = verify_content(dag_pb_cid_of(block), block, Payload::block);
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error().kind, VerifyFailure::Kind::unusable);
  EXPECT_THAT(verified.error().message,
              HasSubstr("filesize is 1711, but its data (431 bytes) and blocksizes add up to 431"));
  EXPECT_THAT(decode_unixfs_file_block(block).error(), HasSubstr("filesize is 1711"));
  EXPECT_THAT(decode_unixfs_file_node(block, max_proven_size).error(), HasSubstr("filesize"));

  // Below the data, and with blocksizes that do not add up, it is refused the same way.
  std::string under = encode_pb_node(
      PbNode{{}, encode_unixfs_data({UnixfsType::file, data, std::uint64_t{430}, {}})});
  EXPECT_FALSE(verify_content(dag_pb_cid_of(under), under, Payload::block));
  EXPECT_FALSE(decode_unixfs_file_block(under));
  // No filesize at all: the data is the file.
  std::string bare =
      encode_pb_node(PbNode{{}, encode_unixfs_data({UnixfsType::file, data, std::nullopt, {}})});
  EXPECT_EQ(*verify_content(dag_pb_cid_of(bare), bare, Payload::block), data);
  EXPECT_EQ(*decode_unixfs_file_block(bare), data);
}

TEST(Verify, AFileNodeSpansAtMostTheLimit) {
  std::string block = encode_pb_node(
      PbNode{{}, encode_unixfs_data({UnixfsType::file, std::string("ab"), std::uint64_t{2}, {}})});
  EXPECT_TRUE(decode_unixfs_file_node(block, 2));
  EXPECT_THAT(decode_unixfs_file_node(block, 1).error(), HasSubstr("spans more than 1 bytes"));
  // Blocksizes whose sum wraps around 64 bits to the filesize are over any limit, not a small sum.
  const std::uint64_t huge = (std::uint64_t{1} << 63) - 1;  // the largest varint UnixFS takes
  const PbLink link{std::string(34, 'h'), "", 0};
  PbNode wrapping{
      {link, link, link},
      encode_unixfs_data({UnixfsType::file, std::nullopt, 3 * huge, {huge, huge, huge}})};
  EXPECT_THAT(decode_unixfs_file_node(encode_pb_node(wrapping), ~std::uint64_t{0}).error(),
              HasSubstr("spans more than"));
}

TEST(Verify, IdentityCids) {
  auto empty = cid("bafkqaaa");  // raw, identity hash of no bytes
  EXPECT_EQ(*verify_content(empty, "", Payload::file), "");
  EXPECT_FALSE(verify_content(empty, "x", Payload::file));
}

}  // namespace
}  // namespace ocipfs
