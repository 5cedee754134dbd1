// Tests for the streaming UnixFS file walk: real DAGs from the importer, written as a trustless
// gateway writes them (depth-first pre-order, duplicates in place, subtrees outside the range
// left out, identity CIDs never as blocks), read back through a CarReader in pieces of any size.
#include "ocipfs/formats/unixfs_stream.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ocipfs/formats/car.hpp"
#include "ocipfs/formats/car_reader.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/formats/dag_pb.hpp"
#include "ocipfs/formats/unixfs.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using ::testing::HasSubstr;

constexpr std::uint64_t kEnd = std::numeric_limits<std::uint64_t>::max();

// A file's DAG: its root and every block by binary CIDv1.
struct Dag {
  Cid root;
  std::map<std::string, std::string> blocks;
  std::string content;
};

Dag import(std::string content, const ImportLayout& layout) {
  Dag dag;
  dag.content = std::move(content);
  dag.root = import_file(
                 dag.content,
                 [&](const Cid& cid, std::string_view block) {
                   dag.blocks[cid.v1_bytes()] = std::string(block);
                 },
                 layout)
                 .cid;
  return dag;
}

// The range [first, last] (inclusive) or, `whole`, every block.
struct Span {
  std::uint64_t first = 0;
  std::uint64_t last = kEnd;
  bool whole = false;
};

bool meets(const Span& span, std::uint64_t offset, std::uint64_t size) {
  if (span.whole) return true;
  return size > 0 && offset <= span.last && offset + size - 1 >= span.first;
}

// The sections of the DAG under `cid` (which holds the file's bytes from `offset`) that a gateway
// sends for `span`: pre-order, the children whose bytes meet the span.
void write_sections(const Dag& dag, const Cid& cid, std::uint64_t offset, const Span& span,
                    std::string& car) {
  const std::string block =
      cid.hash == multihash::identity ? cid.digest : dag.blocks.at(cid.v1_bytes());
  if (cid.hash != multihash::identity) car += car_section(cid, block);
  if (cid.codec == multicodec::raw) return;
  auto file = decode_unixfs_file_node(block, kEnd);
  ASSERT_TRUE(file) << file.error();
  offset += file->unixfs.data ? file->unixfs.data->size() : 0;
  for (std::size_t i = 0; i < file->node.links.size(); ++i) {
    const std::uint64_t size = file->unixfs.blocksizes[i];
    std::string_view hash = file->node.links[i].hash;
    if (meets(span, offset, size)) write_sections(dag, *read_cid_bytes(hash), offset, span, car);
    offset += size;
  }
}

std::string gateway_car(const Dag& dag, const Span& span) {
  std::string car = car_header({dag.root});
  write_sections(dag, dag.root, 0, span, car);
  return car;
}

// What a reader and a walk made of a CAR fed in pieces of `piece` bytes: the file's bytes (each
// piece checked to follow the last), or the first error.
struct Streamed {
  std::string bytes;
  std::string error;
  std::uint64_t first = 0;
};

Streamed stream(const Cid& root, std::optional<EntityBytes> range, std::string_view car,
                std::size_t piece, const WalkLimits& limits = {}) {
  CarReader reader;
  UnixfsFileWalk walk(root, range, limits);
  Streamed out;
  bool started = false;
  auto give = [&](const FileBytes& bytes) {
    if (bytes.size() == 0) return;
    if (!started) out.first = bytes.offset;
    EXPECT_EQ(bytes.offset, out.first + out.bytes.size());
    started = true;
    out.bytes.append(bytes.block).append(bytes.inlined);
  };
  for (std::size_t at = 0; at < car.size(); at += piece) {
    const std::string copy(car.substr(at, piece));  // gone once read: views must not outlive it
    std::string_view rest = copy;
    for (;;) {
      auto event = reader.next(rest);
      if (!event) return Streamed{"", event.error()};
      if (*event == CarEvent::need_more) break;
      if (*event != CarEvent::block) continue;
      auto bytes = walk.take(reader.block().cid, reader.block().bytes);
      if (!bytes) return Streamed{"", bytes.error()};
      give(*bytes);
    }
  }
  if (auto end = reader.finish(); !end) return Streamed{"", end.error()};
  auto last = walk.finish();
  if (!last) return Streamed{"", last.error()};
  give(*last);
  EXPECT_TRUE(walk.done());
  return out;
}

std::string random_content(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

// Checks every piece size on the CAR for [first, last] of `dag`, asked as `range`.
void expect_range(const Dag& dag, std::optional<EntityBytes> range, Span span) {
  const std::string car = gateway_car(dag, span);
  const std::uint64_t size = dag.content.size();
  std::string want;
  if (span.whole) span.last = size == 0 ? 0 : size - 1;
  if (size > 0 && span.first < size) {
    want = dag.content.substr(span.first, std::min(span.last, size - 1) - span.first + 1);
  }
  for (const std::size_t piece : {std::size_t{1}, std::size_t{7}, car.size()}) {
    const Streamed got = stream(dag.root, range, car, piece);
    ASSERT_EQ(got.error, "") << "size " << size << " [" << span.first << ", " << span.last
                             << "] piece " << piece;
    EXPECT_EQ(got.bytes.size(), want.size());
    EXPECT_TRUE(got.bytes == want)
        << "size " << size << " [" << span.first << ", " << span.last << "] piece " << piece;
    if (!want.empty()) {
      EXPECT_EQ(got.first, span.first);
    }
  }
}

void expect_ranges(const Dag& dag) {
  const std::uint64_t n = dag.content.size();
  expect_range(dag, std::nullopt, Span{0, kEnd, true});
  expect_range(dag, EntityBytes{0, std::nullopt}, Span{0, kEnd});
  if (n == 0) return;
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> spans = {{0, 0},
                                                                      {n - 1, n - 1},
                                                                      {0, n - 1},
                                                                      {n / 2, n - 1},
                                                                      {15, 16},
                                                                      {16, 16 + 31},
                                                                      {16, 16},
                                                                      {7, n > 8 ? n - 8 : 7},
                                                                      {n / 3, n / 3 + 40},
                                                                      {1, kEnd / 2}};
  for (const auto& [first, last] : spans) {
    if (first > last) continue;
    const auto to = static_cast<std::int64_t>(std::min<std::uint64_t>(last, kEnd / 4));
    expect_range(dag, EntityBytes{static_cast<std::int64_t>(first), to}, Span{first, last});
  }
  // From the end: the last byte, and 20 bytes from the end to 3 bytes from the end.
  expect_range(dag, EntityBytes{-1, std::nullopt}, Span{n - 1, n - 1});
  if (n >= 20) expect_range(dag, EntityBytes{-20, -3}, Span{n - 20, n - 3});
  // Past the end: the root alone, no bytes.
  expect_range(dag, EntityBytes{static_cast<std::int64_t>(n), std::nullopt}, Span{n, n + 5});
}

const ImportLayout small_trees{16, 4};

TEST(UnixfsFileWalk, SmallTreesOfEveryShapeInEveryRangeAndPiece) {
  // Empty, one byte, one chunk, two, one full level, two levels, three levels.
  for (const std::size_t size : {0, 1, 16, 17, 64, 65, 300, 1000}) {
    SCOPED_TRACE(size);
    const Dag dag = import(random_content(size, static_cast<unsigned>(size)), small_trees);
    expect_ranges(dag);
  }
}

TEST(UnixfsFileWalk, RepeatedChunksAreSentAgainWhereTheDagRepeatsThem) {
  const Dag dag = import(std::string(200, 'z'), small_trees);  // identical leaves and nodes
  EXPECT_LT(dag.blocks.size(), 8u);
  expect_ranges(dag);
}

TEST(UnixfsFileWalk, KuboLayoutOfSeveralChunks) {
  const Dag dag = import(random_content(3 * unixfs_chunk_size + 1000, 3), {});
  const std::uint64_t boundary = unixfs_chunk_size;
  for (const Span span : {Span{0, kEnd, true}, Span{boundary - 5, boundary + 5},
                          Span{2 * boundary, 3 * boundary}, Span{0, 0}}) {
    const std::string car = gateway_car(dag, span);
    const std::optional<EntityBytes> range =
        span.whole ? std::nullopt
                   : std::optional{EntityBytes{static_cast<std::int64_t>(span.first),
                                               static_cast<std::int64_t>(span.last)}};
    const std::uint64_t last = span.whole ? dag.content.size() - 1 : span.last;
    for (const std::size_t piece : {std::size_t{7}, std::size_t{65536}, car.size()}) {
      const Streamed got = stream(dag.root, range, car, piece);
      ASSERT_EQ(got.error, "");
      EXPECT_TRUE(got.bytes == dag.content.substr(span.first, last - span.first + 1)) << piece;
    }
  }
}

TEST(UnixfsFileWalk, KuboLayoutOfTwoLevels) {
  // 175 chunks: more than one node of 174 links, so a root over two nodes over the leaves.
  const Dag dag = import(random_content(175 * unixfs_chunk_size - 10, 175), {});
  const auto root = decode_unixfs_file_node(dag.blocks.at(dag.root.v1_bytes()), kEnd);
  ASSERT_TRUE(root);
  ASSERT_EQ(root->node.links.size(), 2u);
  const Streamed whole =
      stream(dag.root, std::nullopt, gateway_car(dag, Span{0, kEnd, true}), 1 << 20);
  ASSERT_EQ(whole.error, "");
  EXPECT_TRUE(whole.bytes == dag.content);
  const std::uint64_t boundary = 174 * unixfs_chunk_size;  // where the second node starts
  for (const Span span : {Span{boundary - 3, boundary + 3}, Span{boundary, boundary},
                          Span{dag.content.size() - 1, dag.content.size() - 1}}) {
    const std::string car = gateway_car(dag, span);
    EXPECT_LT(car.size(), 3 * unixfs_chunk_size);
    const Streamed got = stream(
        dag.root,
        EntityBytes{static_cast<std::int64_t>(span.first), static_cast<std::int64_t>(span.last)},
        car, 7);
    ASSERT_EQ(got.error, "");
    EXPECT_TRUE(got.bytes == dag.content.substr(span.first, span.last - span.first + 1));
  }
}

// ---------------------------------------------------------------------------------------------
// Hand-made DAGs.

Cid raw_cid(std::string_view block) { return testing::sha256_cid(multicodec::raw, block); }

Cid identity(std::uint64_t codec, std::string_view block) {
  return Cid{1, codec, multihash::identity, std::string(block)};
}

// A dag-pb file node over `children` with these blocksizes, and `data` of its own.
std::string file_node(const std::vector<Cid>& children, const std::vector<std::uint64_t>& sizes,
                      std::optional<std::string> data = std::nullopt) {
  PbNode node;
  for (const Cid& child : children) node.links.push_back(PbLink{child.v1_bytes(), "", 0});
  UnixfsData unixfs{UnixfsType::file, std::move(data), std::nullopt, sizes};
  node.data = encode_unixfs_data(unixfs);
  return encode_pb_node(node);
}

Cid pb_cid(std::string_view block) { return testing::sha256_cid(multicodec::dag_pb, block); }

std::string car_of(const Cid& root, const std::vector<std::pair<Cid, std::string>>& blocks) {
  std::string car = car_header({root});
  for (const auto& [cid, block] : blocks) car += car_section(cid, block);
  return car;
}

TEST(UnixfsFileWalk, IdentityLeavesComeFromTheirCids) {
  const Cid abc = identity(multicodec::raw, "abc");
  const Cid hi = identity(multicodec::raw, "hi");
  const std::string node = file_node({abc, raw_cid("defg"), hi}, {3, 4, 2}, "01");
  const Cid root = pb_cid(node);
  const std::string car = car_of(root, {{root, node}, {raw_cid("defg"), "defg"}});
  for (const std::size_t piece : {std::size_t{1}, car.size()}) {
    EXPECT_EQ(stream(root, std::nullopt, car, piece).bytes, "01abcdefghi");
    EXPECT_EQ(stream(root, EntityBytes{3, 9}, car, piece).bytes, "bcdefgh");
  }
  // Without the leaf in the range, the identity CIDs alone.
  EXPECT_EQ(stream(root, EntityBytes{1, 3}, car_of(root, {{root, node}}), 1).bytes, "1ab");
  // A gateway that sends an identity block anyway: ignored.
  const std::string with_identity =
      car_of(root, {{root, node}, {abc, "abc"}, {raw_cid("defg"), "defg"}, {hi, "hi"}});
  EXPECT_EQ(stream(root, std::nullopt, with_identity, 3).bytes, "01abcdefghi");
}

TEST(UnixfsFileWalk, IdentityRoot) {
  const std::string leaf_node = file_node({}, {}, "xyz");
  EXPECT_EQ(stream(identity(multicodec::dag_pb, leaf_node), std::nullopt, car_header({}), 1).bytes,
            "xyz");
  UnixfsFileWalk raw(identity(multicodec::raw, "bare"), EntityBytes{1, 2});
  EXPECT_TRUE(raw.done());
  auto bytes = raw.finish();
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->inlined, "ar");
  EXPECT_EQ(bytes->offset, 1u);
  // An identity root over a block: its data first, then the block's.
  const std::string over = file_node({raw_cid("cd")}, {2}, "ab");
  const Cid root = identity(multicodec::dag_pb, over);
  EXPECT_EQ(stream(root, std::nullopt, car_of(root, {{raw_cid("cd"), "cd"}}), 1).bytes, "abcd");
  EXPECT_EQ(stream(root, EntityBytes{1, 2}, car_of(root, {{raw_cid("cd"), "cd"}}), 1).bytes, "bc");
}

TEST(UnixfsFileWalk, RangePastTheEndExpectsTheRootAlone) {
  const Dag dag = import(random_content(100, 1), small_trees);
  const std::string& root_block = dag.blocks.at(dag.root.v1_bytes());
  UnixfsFileWalk walk(dag.root, EntityBytes{100, std::nullopt});
  EXPECT_FALSE(walk.done());
  auto bytes = walk.take(dag.root, root_block);
  ASSERT_TRUE(bytes) << bytes.error();
  EXPECT_EQ(bytes->size(), 0u);
  EXPECT_TRUE(walk.done());
  EXPECT_EQ(walk.file_size(), 100u);
  EXPECT_EQ(walk.range(), std::nullopt);
  // A block past the last one needed.
  EXPECT_THAT(walk.take(dag.root, root_block).error(),
              HasSubstr("comes after the last block the file needs"));
}

// ---------------------------------------------------------------------------------------------
// What is refused.

TEST(UnixfsFileWalk, CorruptedBlockIsRefusedByTheReader) {
  const Dag dag = import(random_content(100, 2), small_trees);
  std::string car = gateway_car(dag, Span{0, kEnd, true});
  car[car.size() - 3] ^= 0x40;
  EXPECT_THAT(stream(dag.root, std::nullopt, car, 7).error, HasSubstr("does not match its cid"));
}

TEST(UnixfsFileWalk, BlocksOutOfOrderOrOutsideTheDagAreRefused) {
  const Dag dag = import(random_content(64, 4), small_trees);  // a root over four leaves
  const auto root = decode_unixfs_file_node(dag.blocks.at(dag.root.v1_bytes()), kEnd);
  ASSERT_TRUE(root);
  std::vector<std::pair<Cid, std::string>> leaves;
  for (const PbLink& link : root->node.links) {
    std::string_view hash = link.hash;
    const Cid cid = *read_cid_bytes(hash);
    leaves.emplace_back(cid, dag.blocks.at(cid.v1_bytes()));
  }
  const std::pair<Cid, std::string> root_section{dag.root, dag.blocks.at(dag.root.v1_bytes())};
  const std::string swapped =
      car_of(dag.root, {root_section, leaves[1], leaves[0], leaves[2], leaves[3]});
  EXPECT_EQ(stream(dag.root, std::nullopt, swapped, 1).error,
            "block " + leaves[1].first.to_string() +
                " is not the next block of the file in depth-first order: expected " +
                leaves[0].first.to_string() + " (file bytes from 0)");
  const std::string stranger =
      car_of(dag.root, {root_section, leaves[0], {raw_cid("stranger"), "stranger"}, leaves[1]});
  EXPECT_THAT(stream(dag.root, std::nullopt, stranger, 7).error,
              HasSubstr("block " + raw_cid("stranger").to_string() + " is not the next block"));
  // A leaf the range does not need.
  const std::string unneeded = car_of(dag.root, {root_section, leaves[0], leaves[1]});
  EXPECT_THAT(stream(dag.root, EntityBytes{0, 15}, unneeded, 7).error,
              HasSubstr("comes after the last block the file needs"));
  // Another root.
  EXPECT_THAT(stream(raw_cid("other"), std::nullopt, unneeded, 7).error,
              HasSubstr("expected " + raw_cid("other").to_string() + " (file bytes from 0)"));
  // Leaves sent once though the DAG repeats them (dups=n): the second is missing.
  const Dag zeros = import(std::string(64, '\0'), small_trees);
  const Cid zero_leaf = raw_cid(std::string(16, '\0'));
  const std::string once = car_of(zeros.root, {{zeros.root, zeros.blocks.at(zeros.root.v1_bytes())},
                                               {zero_leaf, std::string(16, '\0')}});
  EXPECT_EQ(stream(zeros.root, std::nullopt, once, 7).error,
            "the CAR ended before block " + zero_leaf.to_string() + " (file bytes from 16)");
}

TEST(UnixfsFileWalk, SizesOtherThanTheParentSaysAreRefused) {
  const std::string leaf = "abcd";
  const std::string short_parent = file_node({raw_cid(leaf)}, {3});
  const Cid root = pb_cid(short_parent);
  EXPECT_EQ(
      stream(root, std::nullopt, car_of(root, {{root, short_parent}, {raw_cid(leaf), leaf}}), 7)
          .error,
      "the leaf " + raw_cid(leaf).to_string() +
          " holds 4 bytes, but its parent's blocksize is 3 (file bytes from 0)");
  const std::string long_parent = file_node({raw_cid(leaf)}, {5});
  const Cid long_root = pb_cid(long_parent);
  EXPECT_THAT(stream(long_root, std::nullopt,
                     car_of(long_root, {{long_root, long_parent}, {raw_cid(leaf), leaf}}), 7)
                  .error,
              HasSubstr("holds 4 bytes, but its parent's blocksize is 5"));
  // A node under a parent that says less than the node spans, or more.
  const std::string inner = file_node({raw_cid(leaf)}, {4}, "xy");
  for (const std::uint64_t said : {5u, 7u}) {
    const std::string outer = file_node({pb_cid(inner)}, {said});
    const Cid outer_root = pb_cid(outer);
    const std::string car =
        car_of(outer_root, {{outer_root, outer}, {pb_cid(inner), inner}, {raw_cid(leaf), leaf}});
    EXPECT_THAT(stream(outer_root, std::nullopt, car, 7).error,
                HasSubstr("the node " + pb_cid(inner).to_string()));
  }
}

TEST(UnixfsFileWalk, TruncatedCarsAreRefused) {
  const Dag dag = import(random_content(300, 5), small_trees);
  const std::string car = gateway_car(dag, Span{0, kEnd, true});
  // Cut inside a section: the reader says so.
  EXPECT_THAT(stream(dag.root, std::nullopt, car.substr(0, car.size() - 1), 7).error,
              HasSubstr("truncated (length"));
  // Cut between sections: the walk says which block is missing.
  const std::string last_leaf = dag.content.substr(288);
  const std::size_t cut = car.size() - car_section(raw_cid(last_leaf), last_leaf).size();
  EXPECT_EQ(
      stream(dag.root, std::nullopt, car.substr(0, cut), 1).error,
      "the CAR ended before block " + raw_cid(last_leaf).to_string() + " (file bytes from 288)");
}

TEST(UnixfsFileWalk, OversizedVarintIsRefusedByTheReader) {
  const Dag dag = import("tiny", small_trees);
  const std::string car = car_header({dag.root}) + testing::from_hex("ffffffffffffffffff01");
  EXPECT_THAT(stream(dag.root, std::nullopt, car, 1).error,
              HasSubstr("invalid length: varint longer than 9 bytes"));
}

TEST(UnixfsFileWalk, OtherUnixfsTypesAreRefusedSayingWhat) {
  const Dag file = import("content", small_trees);
  std::map<std::string, std::string> blocks;
  const auto sink = [&](const Cid& cid, std::string_view block) {
    blocks[cid.v1_bytes()] = std::string(block);
  };
  auto dir = import_directory({DirectoryEntry{"a", import_file("content", sink)}}, sink);
  ASSERT_TRUE(dir);
  const std::string& dir_block = blocks.at(dir->cid.v1_bytes());
  EXPECT_THAT(stream(dir->cid, std::nullopt, car_of(dir->cid, {{dir->cid, dir_block}}), 7).error,
              HasSubstr("is a directory, not a file (type 1)"));
  for (const auto& [type, name] : std::vector<std::pair<UnixfsType, std::string>>{
           {UnixfsType::symlink, "a symlink"}, {UnixfsType::hamt_shard, "a HAMT"}}) {
    const std::string block =
        encode_pb_node(PbNode{{}, encode_unixfs_data(UnixfsData{type, "x", std::nullopt, {}})});
    const Cid cid = pb_cid(block);
    EXPECT_THAT(stream(cid, std::nullopt, car_of(cid, {{cid, block}}), 7).error, HasSubstr(name));
  }
}

TEST(UnixfsFileWalk, LimitsOnDepthAndPendingBlocks) {
  const Dag dag = import(random_content(300, 6), small_trees);  // three levels below the root
  const std::string car = gateway_car(dag, Span{0, kEnd, true});
  WalkLimits shallow;
  shallow.max_depth = 2;
  EXPECT_THAT(stream(dag.root, std::nullopt, car, 7, shallow).error,
              HasSubstr("has children deeper than max_depth (2)"));
  shallow.max_depth = 3;
  EXPECT_EQ(stream(dag.root, std::nullopt, car, 7, shallow).error, "");
  WalkLimits few;
  few.max_pending = 5;
  EXPECT_THAT(stream(dag.root, std::nullopt, car, 7, few).error,
              HasSubstr("more than max_pending (5) blocks pending"));
  WalkLimits narrow;
  narrow.max_links = 3;
  EXPECT_THAT(stream(dag.root, std::nullopt, car, 7, narrow).error,
              HasSubstr("has 4 links, over max_links (3)"));
}

}  // namespace
}  // namespace ocipfs
