// Tests for the walk down an IPFS path's directories, with real directories from the importer,
// and for reading a path back from its percent-encoded form.
#include "ocipfs/formats/unixfs_path.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "ocipfs/formats/dag_pb.hpp"
#include "ocipfs/formats/ipfs_path.hpp"
#include "ocipfs/formats/multihash.hpp"
#include "ocipfs/formats/unixfs.hpp"

namespace ocipfs {
namespace {

using ::testing::HasSubstr;

// root/ holds "a b" (a directory holding "layer.tar.gz") and "other".
struct Tree {
  std::map<std::string, std::string> blocks;  // by binary CIDv1
  ImportedNode file, sub, root;
  BlockSink sink() {
    return [this](const Cid& cid, std::string_view block) {
      blocks[cid.v1_bytes()] = std::string(block);
    };
  }
  const std::string& block(const Cid& cid) { return blocks.at(cid.v1_bytes()); }
};

Tree tree() {
  Tree t;
  t.file = import_file("the layer", t.sink());
  auto other = import_file("another file", t.sink());
  t.sub = *import_directory({{"layer.tar.gz", t.file}}, t.sink());
  t.root = *import_directory({{"other", other}, {"a b", t.sub}}, t.sink());
  return t;
}

TEST(UnixfsPathWalk, FollowsEachDirectoryToTheTarget) {
  Tree t = tree();
  UnixfsPathWalk walk(t.root.cid, {"a b", "layer.tar.gz"});
  EXPECT_FALSE(walk.target());
  ASSERT_TRUE(walk.take(t.root.cid, t.block(t.root.cid)));
  EXPECT_FALSE(walk.target());
  ASSERT_TRUE(walk.take(t.sub.cid, t.block(t.sub.cid)));
  ASSERT_TRUE(walk.target());
  EXPECT_EQ(*walk.target(), t.file.cid);
  auto after = walk.take(t.file.cid, t.block(t.file.cid));
  ASSERT_FALSE(after);
  EXPECT_THAT(after.error(), HasSubstr("after the path's last directory"));
}

TEST(UnixfsPathWalk, NoSegmentsIsTheRootItself) {
  Tree t = tree();
  UnixfsPathWalk walk(t.file.cid, {});
  ASSERT_TRUE(walk.target());
  EXPECT_EQ(*walk.target(), t.file.cid);
}

TEST(UnixfsPathWalk, RefusesABlockOutOfPlace) {
  Tree t = tree();
  UnixfsPathWalk walk(t.root.cid, {"a b", "layer.tar.gz"});
  auto wrong = walk.take(t.sub.cid, t.block(t.sub.cid));
  ASSERT_FALSE(wrong);
  EXPECT_THAT(wrong.error(), HasSubstr("is not the next directory on the path: expected " +
                                       t.root.cid.to_string()));
  EXPECT_FALSE(walk.take(t.root.cid, t.block(t.root.cid))) << "spent after an error";
}

TEST(UnixfsPathWalk, RefusesAMissingNameAFileAndAShard) {
  Tree t = tree();
  UnixfsPathWalk missing(t.root.cid, {"nothing", "x"});
  EXPECT_THAT(missing.take(t.root.cid, t.block(t.root.cid)).error(),
              HasSubstr("has no \"nothing\""));
  auto big = import_file(std::string(300'000, 'x'), t.sink());
  UnixfsPathWalk file(big.cid, {"x"});
  EXPECT_THAT(file.take(big.cid, t.block(big.cid)).error(), HasSubstr("is not a directory"));
  UnixfsPathWalk raw(t.file.cid, {"x"});
  EXPECT_THAT(raw.take(t.file.cid, t.block(t.file.cid)).error(), HasSubstr("is a raw block"));
  UnixfsData shard_data;
  shard_data.type = UnixfsType::hamt_shard;
  std::string shard = encode_pb_node(PbNode{{}, encode_unixfs_data(shard_data)});
  Cid shard_cid{1, multicodec::dag_pb, multihash::sha2_256, {}};
  shard_cid.digest = t.root.cid.digest;  // the walk hashes nothing: the CID only has to match
  UnixfsPathWalk sharded(shard_cid, {"x"});
  EXPECT_THAT(sharded.take(shard_cid, shard).error(), HasSubstr("HAMT-sharded directory"));
}

TEST(ParseEncodedIpfsPath, DecodesEachSegment) {
  Tree t = tree();
  auto path = parse_encoded_ipfs_path(t.root.cid.to_string() + "/a%20b/layer.tar.gz");
  ASSERT_TRUE(path) << path.error();
  EXPECT_EQ(path->root_cid, t.root.cid);
  EXPECT_EQ(path->segments, (std::vector<std::string>{"a b", "layer.tar.gz"}));
  EXPECT_EQ(path->encoded(), t.root.cid.to_string() + "/a%20b/layer.tar.gz");
  EXPECT_FALSE(parse_encoded_ipfs_path(t.root.cid.to_string() + "/a%2"));
  EXPECT_FALSE(parse_encoded_ipfs_path(t.root.cid.to_string() + "/a%zz"));
  EXPECT_THAT(parse_encoded_ipfs_path(t.root.cid.to_string() + "/a%2Fb/..%2F").error(),
              HasSubstr("the IPFS path has"));
  EXPECT_THAT(parse_encoded_ipfs_path(t.root.cid.to_string() + "/%2E%2E").error(),
              HasSubstr("\"..\""));
}

}  // namespace
}  // namespace ocipfs
