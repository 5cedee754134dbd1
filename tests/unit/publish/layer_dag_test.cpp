// Packing a layer into its IPFS DAG and a CAR with no node: AtomicFile, CarFile, pack_layer_dag.
// The CAR is read back with parse_car; the node-oracle comparison is tests/e2e/car.sh.
#include "ocipfs/publish/layer_dag.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ocipfs/formats/car.hpp"
#include "ocipfs/formats/dag_pb.hpp"
#include "ocipfs/formats/unixfs.hpp"
#include "ocipfs/image/layer_manifest.hpp"
#include "ocipfs/publish/atomic_file.hpp"
#include "ocipfs/publish/car_file.hpp"
#include "support/files.hpp"
#include "support/process.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

namespace fs = std::filesystem;
using ::testing::HasSubstr;

Cid raw_cid(const std::string& bytes) { return *parse_cid(testing::raw_cid_of(bytes)); }

// The CIDs (as CIDv1 bytes) reachable from `car`'s roots through dag-pb links; every one of them
// must be in the CAR.
std::set<std::string> reachable(const Car& car) {
  std::set<std::string> seen;
  std::vector<Cid> pending = car.roots;
  while (!pending.empty()) {
    Cid cid = pending.back();
    pending.pop_back();
    if (!seen.insert(cid.v1_bytes()).second) continue;
    const CarBlock* block = find_block(car, cid);
    EXPECT_NE(block, nullptr) << "missing block " << cid.to_string();
    if (!block || cid.codec != multicodec::dag_pb) continue;
    auto node = decode_pb_node(block->bytes);
    EXPECT_TRUE(node.has_value());
    if (!node) continue;
    for (const auto& link : node->links) {
      std::string_view hash = link.hash;
      auto target = read_cid_bytes(hash);
      EXPECT_TRUE(target.has_value());
      if (target) pending.push_back(*target);
    }
  }
  return seen;
}

TEST(AtomicFile, AppearsOnlyWhenCommitted) {
  TempDir tmp;
  {
    auto file = AtomicFile::create(tmp / "out.bin");
    ASSERT_TRUE(file.has_value()) << file.error();
    ASSERT_TRUE(file->write("hello, world").has_value());
    ASSERT_TRUE(file->write_at(7, "IPFS!").has_value());
    EXPECT_EQ(file->size(), 12u);
    EXPECT_FALSE(fs::exists(tmp / "out.bin"));
    EXPECT_FALSE(file->write_at(10, "past the end").has_value());
    ASSERT_TRUE(file->commit().has_value());
  }
  EXPECT_EQ(read_file(tmp / "out.bin"), "hello, IPFS!");
  EXPECT_EQ(tmp.names(), std::vector<std::string>{"out.bin"});
  {
    auto file = AtomicFile::create(tmp / "abandoned.bin");
    ASSERT_TRUE(file.has_value());
    ASSERT_TRUE(file->write("half").has_value());
  }
  EXPECT_EQ(tmp.names(), std::vector<std::string>{"out.bin"}) << "the temporary file stays";
}

TEST(AtomicFile, RefusesADirectoryAndAMissingParentUpFront) {
  TempDir tmp;
  fs::create_directories(tmp / "in-the-way");
  auto directory = AtomicFile::create(tmp / "in-the-way");
  ASSERT_FALSE(directory.has_value());
  EXPECT_THAT(directory.error(), HasSubstr("in-the-way\": it is a directory"));
  auto missing = AtomicFile::create(tmp / "no/such/dir/file");
  ASSERT_FALSE(missing.has_value());
  EXPECT_THAT(missing.error(), HasSubstr("No such file or directory"));
}

TEST(CarFile, WritesEachBlockOnceAndTheRootsLast) {
  TempDir tmp;
  auto car = CarFile::create(tmp / "x.car", 2);
  ASSERT_TRUE(car.has_value()) << car.error();
  Cid a = raw_cid("a"), b = raw_cid("b");
  ASSERT_TRUE(car->add(a, "a").has_value());
  ASSERT_TRUE(car->add(b, "b").has_value());
  ASSERT_TRUE(car->add(a, "a").has_value());
  EXPECT_EQ(car->block_count(), 2u);
  EXPECT_FALSE(car->commit({a}).has_value()) << "room for two roots";
  ASSERT_TRUE(car->commit({b, a}).has_value());
  std::string bytes = read_file(tmp / "x.car");
  auto parsed = parse_car(bytes);
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(parsed->roots, (std::vector<Cid>{b, a}));
  ASSERT_EQ(parsed->blocks.size(), 2u);
  EXPECT_EQ(parsed->blocks[0].bytes, "a");
  EXPECT_EQ(bytes, car_header({b, a}) + car_section(a, "a") + car_section(b, "b"));
}

TEST(LayerDag, StemsAndDefaultPaths) {
  EXPECT_EQ(tarball_stem("hello.tar.gz"), "hello");
  EXPECT_EQ(tarball_stem("hello.tar.zst"), "hello");
  EXPECT_EQ(tarball_stem("a.b.tar"), "a.b");
  EXPECT_EQ(tarball_stem(".tar"), ".tar");
  EXPECT_EQ(car_path_for("out/x.tar.gz"), fs::path("out/x.car"));
  EXPECT_EQ(manifest_path_for("x.tar"), fs::path("x.layer.json"));
}

// The example's tarball fits one chunk: its file CID is its raw block, the sha256 of its bytes.
TEST(LayerDag, ASingleChunkTarballIsItsRawBlock) {
  TempDir tmp;
  fs::copy_file(fs::path(OCIPFS_SOURCE_DIR) / "example/hello.tar.gz", tmp / "hello.tar.gz");
  auto dag = pack_layer_dag(tmp / "hello.tar.gz");
  ASSERT_TRUE(dag.has_value()) << dag.error();
  std::string tarball = read_file(tmp / "hello.tar.gz");
  EXPECT_EQ(dag->tarball_cid, raw_cid(tarball));
  EXPECT_EQ(dag->directory_cid.codec, multicodec::dag_pb);
  EXPECT_EQ(dag->ipfs_path, dag->directory_cid.to_string() + "/hello.tar.gz");
  EXPECT_EQ(dag->manifest, layer_manifest_json(dag->layer, dag->ipfs_path));
  EXPECT_EQ(dag->manifest_cid, raw_cid(dag->manifest));
  EXPECT_EQ(dag->car, tmp / "hello.car");
  EXPECT_TRUE(dag->car_complete);

  std::string bytes = read_file(dag->car);
  EXPECT_EQ(bytes.size(), dag->car_size);
  auto car = parse_car(bytes);
  ASSERT_TRUE(car.has_value()) << car.error();
  EXPECT_EQ(car->roots, (std::vector<Cid>{dag->manifest_cid, dag->directory_cid}));
  ASSERT_EQ(car->blocks.size(), 3u);  // tarball, directory, manifest: children first
  EXPECT_EQ(car->blocks[0].cid, dag->tarball_cid);
  EXPECT_EQ(car->blocks[0].bytes, tarball);
  EXPECT_EQ(car->blocks[1].cid, dag->directory_cid);
  EXPECT_EQ(car->blocks[2].bytes, dag->manifest);
  EXPECT_EQ(reachable(*car).size(), car->blocks.size());
}

// A tarball of several chunks, some of them identical: every block is in the CAR once, and the
// DAG under the roots is the whole CAR.
TEST(LayerDag, AMultiChunkTarballIsWrittenWholeAndReachable) {
  TempDir tmp;
  std::string noise;
  for (int i = 0; noise.size() < 600 * 1024; ++i) noise += std::to_string(i * 7919) + ",";
  write_file(tmp / "tree/zeros.bin", std::string(3 * unixfs_chunk_size, '\0'));
  write_file(tmp / "tree/noise.txt", noise);
  LayerDagOptions options;
  options.pack.tarball = tmp / "out/layer.tar";
  fs::create_directories(tmp / "out");
  auto dag = pack_layer_dag(tmp / "tree", options);
  ASSERT_TRUE(dag.has_value()) << dag.error();
  EXPECT_TRUE(dag->layer.written);
  EXPECT_EQ(dag->car, tmp / "out/layer.car");
  std::string tarball = read_file(tmp / "out/layer.tar");
  ASSERT_GT(tarball.size(), 4 * unixfs_chunk_size);
  EXPECT_EQ(dag->tarball_cid.codec, multicodec::dag_pb);

  std::vector<std::string> blocks;
  ImportedNode file =
      import_file(tarball, [&](const Cid&, std::string_view block) { blocks.emplace_back(block); });
  EXPECT_EQ(file.cid, dag->tarball_cid) << "one pass while writing == importing the file after";
  std::string bytes = read_file(dag->car);
  auto car = parse_car(bytes);
  ASSERT_TRUE(car.has_value()) << car.error();
  EXPECT_LT(car->blocks.size(), blocks.size() + 2) << "identical chunks are stored once";
  EXPECT_EQ(reachable(*car).size(), car->blocks.size());
  EXPECT_EQ(car->blocks.back().bytes, dag->manifest);
  EXPECT_EQ(car->blocks[car->blocks.size() - 2].cid, dag->directory_cid);
}

TEST(LayerDag, AGivenDirectoryCid) {
  TempDir tmp;
  fs::copy_file(fs::path(OCIPFS_SOURCE_DIR) / "example/hello.tar.gz", tmp / "hello.tar.gz");
  auto computed = pack_layer_dag(tmp / "hello.tar.gz");
  ASSERT_TRUE(computed.has_value()) << computed.error();

  // The computed one: the same, complete CAR.
  LayerDagOptions same;
  same.ipfs_dir_cid = computed->directory_cid.to_string();
  auto again = pack_layer_dag(tmp / "hello.tar.gz", same);
  ASSERT_TRUE(again.has_value()) << again.error();
  EXPECT_TRUE(again->car_complete);
  EXPECT_EQ(again->manifest_cid, computed->manifest_cid);

  // Another one: the manifest names it, and the CAR holds the manifest alone.
  LayerDagOptions other;
  other.ipfs_dir_cid = testing::layer_dir_cid;
  auto partial = pack_layer_dag(tmp / "hello.tar.gz", other);
  ASSERT_TRUE(partial.has_value()) << partial.error();
  EXPECT_FALSE(partial->car_complete);
  EXPECT_EQ(partial->ipfs_path, testing::layer_dir_cid + "/hello.tar.gz");
  EXPECT_EQ(partial->manifest, layer_manifest_json(partial->layer, partial->ipfs_path));
  std::string bytes = read_file(partial->car);
  auto car = parse_car(bytes);
  ASSERT_TRUE(car.has_value()) << car.error();
  EXPECT_EQ(car->roots, std::vector<Cid>{partial->manifest_cid});
  ASSERT_EQ(car->blocks.size(), 1u);
  EXPECT_EQ(car->blocks[0].bytes, partial->manifest);
  EXPECT_EQ(tmp.names(), (std::vector<std::string>{"hello.car", "hello.tar.gz"}));

  other.ipfs_dir_cid = "nonsense";
  EXPECT_FALSE(pack_layer_dag(tmp / "hello.tar.gz", other).has_value());
}

TEST(LayerDag, FailuresLeaveNothingBehind) {
  TempDir tmp;
  std::string gz = read_file(fs::path(OCIPFS_SOURCE_DIR) / "example/hello.tar.gz");
  write_file(tmp / "cut.tar.gz", gz.substr(0, 100));
  auto truncated = pack_layer_dag(tmp / "cut.tar.gz");
  ASSERT_FALSE(truncated.has_value());
  EXPECT_THAT(truncated.error(), HasSubstr("unexpected end of file"));
  EXPECT_EQ(tmp.names(), std::vector<std::string>{"cut.tar.gz"});

  // A directory where the CAR goes: refused before the tarball is written.
  write_file(tmp / "tree/file", "x\n");
  fs::create_directories(tmp / "tree.car");
  LayerDagOptions options;
  options.pack.tarball = tmp / "tree.tar.gz";
  auto in_the_way = pack_layer_dag(tmp / "tree", options);
  ASSERT_FALSE(in_the_way.has_value());
  EXPECT_THAT(in_the_way.error(), HasSubstr("is a directory"));
  EXPECT_FALSE(fs::exists(tmp / "tree.tar.gz"));

  // The CAR may not replace the tarball.
  options.car = tmp / "cut.tar.gz";
  EXPECT_FALSE(pack_layer_dag(tmp / "cut.tar.gz", options).has_value());
  EXPECT_EQ(read_file(tmp / "cut.tar.gz"), gz.substr(0, 100));
}

}  // namespace
}  // namespace ocipfs
