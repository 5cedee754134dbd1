// Documents of several blocks: proven from a trustless gateway's CAR and from a plain gateway's
// file, and every hostile CAR refused with 502 and never cached.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/formats/car.hpp"
#include "ocipfs/formats/dag_pb.hpp"
#include "ocipfs/formats/unixfs.hpp"
#include "ocipfs/formats/verify.hpp"
#include "support/fake_gateway.hpp"
#include "support/server_fixture.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using testing::FakeReply;
using ::testing::HasSubstr;

struct Block {
  Cid cid;
  std::string bytes;
};

// A document's DAG as the importer makes it: its root and its blocks, children first.
struct Dag {
  Cid root;
  std::vector<Block> blocks;
};

Dag import(const std::string& content) {
  Dag dag;
  dag.root = import_file(content, [&](const Cid& cid, std::string_view block) {
               dag.blocks.push_back({cid, std::string(block)});
             }).cid;
  return dag;
}

std::string car_of(const Cid& root, const std::vector<Block>& blocks) {
  std::string car = car_header({root});
  for (const Block& block : blocks) car += car_section(block.cid, block.bytes);
  return car;
}

// A valid layer manifest of `size` bytes or a little more: unknown fields are ignored.
std::string layer_manifest_of_size(std::size_t size) {
  return testing::layer_manifest_json("hello.tar.gz",
                                      R"("padding":")" + std::string(size, 'p') + R"(",)");
}

// A UnixFS file node over `children` (CID and content size each), as any importer could cut it.
Block file_node(const std::vector<std::pair<Cid, std::uint64_t>>& children,
                std::uint64_t tsize_each = 0) {
  PbNode node;
  UnixfsData unixfs{UnixfsType::file, std::nullopt, 0, {}};
  for (const auto& [child, size] : children) {
    node.links.push_back({child.v1_bytes(), "", tsize_each ? tsize_each : size});
    unixfs.blocksizes.push_back(size);
    *unixfs.filesize += size;
  }
  node.data = encode_unixfs_data(unixfs);
  std::string bytes = encode_pb_node(node);
  return {testing::sha256_cid(multicodec::dag_pb, bytes), bytes};
}

const testing::Headers car_headers = {
    {"Content-Type", "application/vnd.ipld.car; version=1; order=dfs; dups=n"}};

// --- Proofs, socket-free. ---

TEST(MultiBlockProof, AnImportedFileFromItsCar) {
  std::string content = layer_manifest_of_size(700'000);
  Dag dag = import(content);
  ASSERT_EQ(dag.root.codec, multicodec::dag_pb);
  ASSERT_EQ(dag.blocks.size(), 4u);  // three chunks and their parent
  auto proven = verify_content(dag.root, car_of(dag.root, dag.blocks), Payload::car);
  ASSERT_TRUE(proven) << proven.error().message;
  EXPECT_EQ(*proven, content);
  // The blocks in any order, and a raw CID's own block in a CAR.
  std::vector<Block> reversed(dag.blocks.rbegin(), dag.blocks.rend());
  EXPECT_EQ(*verify_content(dag.root, car_of(dag.root, reversed), Payload::car), content);
  const Block& leaf = dag.blocks.front();
  EXPECT_EQ(*verify_content(leaf.cid, car_of(leaf.cid, {leaf}), Payload::car), leaf.bytes);
}

TEST(MultiBlockProof, AnImportedFileFromThePlainFile) {
  std::string content = layer_manifest_of_size(700'000);
  Dag dag = import(content);
  EXPECT_EQ(*verify_content(dag.root, content, Payload::file), content);
  auto other = verify_content(dag.root, content + " ", Payload::file);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().kind, VerifyFailure::Kind::mismatch);
}

TEST(MultiBlockProof, ADagCutWithOtherParametersNeedsItsBlocks) {
  std::string first(400'000, 'a'), second(100'000, 'b');
  Block a{testing::sha256_cid(multicodec::raw, first), first},
      b{testing::sha256_cid(multicodec::raw, second), second};
  Block root = file_node({{a.cid, first.size()}, {b.cid, second.size()}});
  auto from_file = verify_content(root.cid, first + second, Payload::file);
  ASSERT_FALSE(from_file);
  EXPECT_THAT(from_file.error().message, HasSubstr("added to IPFS with other parameters"));
  auto from_car = verify_content(root.cid, car_of(root.cid, {a, b, root}), Payload::car);
  ASSERT_TRUE(from_car) << from_car.error().message;
  EXPECT_EQ(*from_car, first + second);
}

TEST(MultiBlockProof, OneBlockOfSeveralIsIncomplete) {
  Dag dag = import(layer_manifest_of_size(700'000));
  auto result = verify_content(dag.root, dag.blocks.back().bytes, Payload::block);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, VerifyFailure::Kind::incomplete);
  EXPECT_THAT(result.error().message, HasSubstr("spans 4 blocks"));
}

TEST(MultiBlockProof, InconsistentNodesAreUnusable) {
  std::string data = "0123456789";
  Block leaf{testing::sha256_cid(multicodec::raw, data), data};
  Block lying_sizes = file_node({{leaf.cid, data.size() + 1}});
  auto sizes =
      verify_content(lying_sizes.cid, car_of(lying_sizes.cid, {leaf, lying_sizes}), Payload::car);
  ASSERT_FALSE(sizes);
  EXPECT_EQ(sizes.error().kind, VerifyFailure::Kind::unusable);
  EXPECT_THAT(sizes.error().message, HasSubstr("blocksize"));

  PbNode directory{{{leaf.cid.v1_bytes(), "a", data.size()}},
                   encode_unixfs_data({UnixfsType::directory, std::nullopt, std::nullopt, {}})};
  std::string bytes = encode_pb_node(directory);
  Cid directory_cid = testing::sha256_cid(multicodec::dag_pb, bytes);
  auto not_file = verify_content(
      directory_cid, car_of(directory_cid, {leaf, {directory_cid, bytes}}), Payload::car);
  ASSERT_FALSE(not_file);
  EXPECT_EQ(not_file.error().kind, VerifyFailure::Kind::directory);
  EXPECT_THAT(not_file.error().message, HasSubstr("is a UnixFS directory"));
}

TEST(MultiBlockProof, BoundsHoldAgainstDeepAndRepeatedDags) {
  std::string data = "x";
  Block leaf{testing::sha256_cid(multicodec::raw, data), data};
  std::vector<Block> blocks{leaf};
  Cid top = leaf.cid;
  for (std::size_t level = 0; level <= max_proven_depth; ++level) {  // one level too deep
    blocks.push_back(file_node({{top, 1}}));
    top = blocks.back().cid;
  }
  auto deep = verify_content(top, car_of(top, blocks), Payload::car);
  ASSERT_FALSE(deep);
  EXPECT_THAT(deep.error().message, HasSubstr("levels deep"));

  // 174 links to one 1-byte leaf, then 174 links to that node: 30,276 visits of 3 blocks.
  Block wide = file_node(std::vector<std::pair<Cid, std::uint64_t>>(174, {leaf.cid, 1}));
  Block wider = file_node(std::vector<std::pair<Cid, std::uint64_t>>(174, {wide.cid, 174}));
  auto repeated = verify_content(wider.cid, car_of(wider.cid, {leaf, wide, wider}), Payload::car);
  ASSERT_FALSE(repeated);
  EXPECT_THAT(repeated.error().message, HasSubstr("blocks big"));
}

TEST(MultiBlockProof, ContentOverOneMebibyteIsUnusable) {
  Dag dag = import(std::string(max_proven_size + 1, 'z'));
  auto result = verify_content(dag.root, car_of(dag.root, dag.blocks), Payload::car);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, VerifyFailure::Kind::unusable);
}

// --- Through the server and the fake gateway. ---

class MultiBlockTest : public ServerTest {
 protected:
  std::string content = layer_manifest_of_size(700'000);
  Dag dag = import(content);
  std::string root = dag.root.to_string();
  std::string path = "/ipfs/" + root;

  testing::HttpResult manifest() { return get("/v2/layer/" + root + "/manifests/latest"); }
};

TEST_F(MultiBlockTest, FromATrustlessGatewaysCar) {
  gateway.set(path, {FakeReply::Kind::respond, 200, car_of(dag.root, dag.blocks), car_headers, {}});
  auto result = manifest();
  EXPECT_EQ(result.status, 200u) << result.body;
  ASSERT_FALSE(gateway.requests().empty());
  EXPECT_EQ(gateway.requests().back(), "GET " + path + "?format=car&dag-scope=entity");
  EXPECT_EQ(gateway.accept_headers().back(), "application/vnd.ipld.car");
}

TEST_F(MultiBlockTest, FromAPlainGatewaysFile) {
  gateway.serve_cid(root, content);
  auto result = manifest();
  EXPECT_EQ(result.status, 200u) << result.body;
}

TEST_F(MultiBlockTest, OneBlockOfSeveralIsABadGateway) {
  gateway.set(path, {FakeReply::Kind::respond,
                     200,
                     dag.blocks.back().bytes,
                     {{"Content-Type", "application/vnd.ipld.raw"}},
                     {}});
  auto result = manifest();
  EXPECT_EQ(result.status, 502u);
  EXPECT_THAT(error_message(result), HasSubstr("spans 4 blocks"));
}

TEST_F(MultiBlockTest, HostileCarsAreRefusedAndNeverCached) {
  const std::string car = car_of(dag.root, dag.blocks);
  const Block& leaf = dag.blocks.front();
  Block impostor{leaf.cid, leaf.bytes + "!"};
  std::vector<Block> missing(dag.blocks.begin() + 1, dag.blocks.end());
  // A cycle cannot be hashed: the block that would close it is a block for another CID.
  Block closing{leaf.cid, dag.blocks.back().bytes};
  std::vector<Block> cycle{closing};
  cycle.insert(cycle.end(), dag.blocks.begin() + 1, dag.blocks.end());
  std::vector<Block> extra = dag.blocks;
  extra.push_back({testing::sha256_cid(multicodec::raw, "stranger"), "stranger"});
  std::vector<Block> impostors = dag.blocks;
  impostors.front() = impostor;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a block for another CID", car_of(dag.root, impostors)},
      {"a missing block", car_of(dag.root, missing)},
      {"a cycle of links", car_of(dag.root, cycle)},
      {"a block outside the DAG", car_of(dag.root, extra)},
      {"a huge varint", car_header({dag.root}) + std::string(10, '\xff') + "\x01"},
      {"a truncated section", car.substr(0, car.size() - 1000)},
      {"no CAR at all", "{\"not\": \"a car\"}"},
  };
  for (const auto& [what, body] : cases) {
    SCOPED_TRACE(what);
    gateway.set(path, {FakeReply::Kind::respond, 200, body, car_headers, {}});
    std::size_t before = gateway.request_count(path);
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto result = manifest();
      EXPECT_EQ(result.status, 502u) << result.body;
      EXPECT_EQ(error_code(result), "UNAVAILABLE");
    }
    EXPECT_EQ(gateway.request_count(path), before + 2) << "a refused CAR was cached";
  }
  gateway.set(path, {FakeReply::Kind::respond, 200, car, car_headers, {}});
  EXPECT_EQ(manifest().status, 200u);
}

}  // namespace
}  // namespace ocipfs
