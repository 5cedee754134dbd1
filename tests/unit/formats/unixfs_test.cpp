// Tests for the UnixFS importer, against:
// - the CIDs every IPFS implementation agrees on: the empty raw block, "hello world", the empty
//   directory (ipfs/specs src/unixfs.md, "Well-Known UnixFS CIDs")
// - ipfs/specs src/unixfs.md, "Appendix: Test Vectors": the directories of the gateway-conformance
//   fixtures dir-with-files.car, subdir-with-two-single-block-files.car and dag-pb.car
// - multi-chunk files whose CIDs the real js-ipfs node computed (see kOracleVectors)
#include "ocipfs/formats/unixfs.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/formats/dag_pb.hpp"

namespace ocipfs {
namespace {

using ::testing::HasSubstr;

struct Block {
  std::string cid;  // text form
  std::string bytes;
  friend bool operator==(const Block&, const Block&) = default;
};

// A BlockSink that keeps every block it is given, in order.
struct Recorder {
  std::vector<Block> blocks;
  BlockSink sink() {
    return [this](const Cid& cid, std::string_view block) {
      blocks.push_back({cid.to_string(), std::string(block)});
    };
  }
  const std::string& block_of(const std::string& cid) const {
    for (const auto& block : blocks) {
      if (block.cid == cid) return block.bytes;
    }
    ADD_FAILURE() << "no block " << cid;
    static const std::string none;
    return none;
  }
};

// The longest test content any test here uses.
constexpr std::size_t kMaxTestContent = 175 * unixfs_chunk_size + 7;

// The first `size` bytes of sha256("ocipfs unixfs 0") || sha256("ocipfs unixfs 1") || ...,
// made once. tests/e2e/unixfs-oracle.sh gives the node the same bytes.
std::string_view test_content(std::size_t size) {
  static const std::string content = [] {
    std::string bytes;
    bytes.reserve(kMaxTestContent + 32);
    for (std::uint64_t counter = 0; bytes.size() < kMaxTestContent; ++counter) {
      const auto hash = sha256("ocipfs unixfs " + std::to_string(counter));
      bytes.append(hash.begin(), hash.end());
    }
    return bytes;
  }();
  EXPECT_LE(size, kMaxTestContent);
  return std::string_view(content).substr(0, size);
}

void write_test_content(std::size_t size, FileImporter& importer) {
  importer.write(test_content(size));
}

Cid parsed(std::string_view text) {
  auto cid = parse_cid(text);
  EXPECT_TRUE(cid) << cid.error();
  return cid ? *cid : Cid{};
}

PbNode node_of(const std::string& block) {
  auto node = decode_pb_node(block);
  EXPECT_TRUE(node) << node.error();
  return node ? *node : PbNode{};
}

UnixfsData unixfs_of(const PbNode& node) {
  auto data = decode_unixfs_data(node.data.value_or(""));
  EXPECT_TRUE(data) << data.error();
  return data ? *data : UnixfsData{};
}

std::string cid_text(std::string_view binary) {
  auto cid = read_cid_bytes(binary);
  EXPECT_TRUE(cid) << cid.error();
  return cid ? cid->to_string() : std::string();
}

TEST(FileImporter, KnownSmallFiles) {
  Recorder recorder;
  const auto empty = import_file("", recorder.sink());
  EXPECT_EQ(empty.cid.to_string(), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  EXPECT_EQ(empty.file_size, 0u);
  EXPECT_EQ(empty.tsize, 0u);
  ASSERT_EQ(recorder.blocks.size(), 1u);
  EXPECT_EQ(recorder.blocks[0], (Block{empty.cid.to_string(), ""}));

  const auto hello = import_file("hello world", {});
  EXPECT_EQ(hello.cid.to_string(), "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
  EXPECT_EQ(hello.file_size, 11u);
  EXPECT_EQ(hello.tsize, 11u);
  EXPECT_EQ(import_file("hello world\n", {}).cid.to_string(),
            "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4");
}

struct OracleVector {
  std::size_t size;
  const char* file_cid;
  std::uint64_t file_tsize;
  const char* directory_cid;  // the file wrapped under the name "f<size>"
  std::uint64_t directory_tsize;
};

// Obtained from js-ipfs 0.66.1 (tests/ipfs-node): the test content of each size written to a
// file f<size> and posted to /api/v0/add?cid-version=1&cid-base=base32&raw-leaves=true&
// only-hash=true&wrap-with-directory=true; the Hash and Size of its two answer lines.
constexpr OracleVector kOracleVectors[] = {
    {1, "bafkreifvzgs7jaus4p54dnftzvev25wpnbuxvublv4e4c5ang4sq653fte", 1,
     "bafybeibai7mqmjao3vqkxusys64cgqjcyi4qpg2tpiavosvqsuwzvvjrwu", 51},
    {262143, "bafkreihypjxynx7cscc7j5tzs26ooywqs7z5hegpivu6ejbcvy4cafc6py", 262143,
     "bafybeiamgahprs2kcrm6bupheqgt5c5dz4dv2smwq2tco4o3ovpxsd6is4", 262200},
    {262144, "bafkreigdtb7hkfnkuvjk25orkzyg3t4cd5rlr2h2g6m6q7apwe4s5v362e", 262144,
     "bafybeigd5z6p4f3j4r2os6zcfgogafpscyfw4w6zlic53fv6x3svnu6rtu", 262201},
    {262145, "bafybeihmdulplfrmfca5gh5pd23wtxlpwfxiijmhlvharydhegaihgfs7u", 262249,
     "bafybeieg67zq5po6j3eb7fyqsdxuagreo2fpeyhk43fuxstnmmxwq2a5xi", 262306},
    {10485760, "bafybeid5olve7vz2ev2jkabsktyldvzwyyai56k7zdkt2gd3mjrxhu4vaa", 10487770,
     "bafybeigmt7oa5vcsrvekdzxfmb5jact35qodpl2urdrsq6sgd42kykaez4", 10487830},
    {174 * 262144, "bafybeichtgce4up5bo6ettktzuf7sjxwp2fpkradbw5cnpbtbiwb6orqrq", 45621766,
     "bafybeigrscedoec5m3oi466iii2vivyk7k4h72cmlkrjwu3w7nitxcjw2i", 45621826},
    {174 * 262144 + 1, "bafybeielhemiyrosz7duk2pqqbv6mdnkdxom766dyukd3zpkpob72tcq3u", 45621926,
     "bafybeic2y3me5yvprn7vmtmfnkyastrt6vkwrjb56koyaawgzd5h7tqqbq", 45621986},
};

TEST(FileImporter, MatchesTheJsIpfsNode) {
  for (const auto& vector : kOracleVectors) {
    SCOPED_TRACE("size " + std::to_string(vector.size));
    FileImporter importer{{}};
    write_test_content(vector.size, importer);
    const ImportedNode file = importer.finish();
    EXPECT_EQ(file.cid.to_string(), vector.file_cid);
    EXPECT_EQ(file.file_size, vector.size);
    EXPECT_EQ(file.tsize, vector.file_tsize);
    auto directory = import_directory({{"f" + std::to_string(vector.size), file}}, {});
    ASSERT_TRUE(directory) << directory.error();
    EXPECT_EQ(directory->cid.to_string(), vector.directory_cid);
    EXPECT_EQ(directory->tsize, vector.directory_tsize);
  }
}

// The blocks of `content` written in pieces of `piece` bytes, and the root.
std::pair<std::vector<Block>, std::string> import_in_pieces(std::string_view content,
                                                            std::size_t piece) {
  Recorder recorder;
  FileImporter importer{recorder.sink()};
  for (std::size_t at = 0; at < content.size(); at += piece)
    importer.write(content.substr(at, piece));
  return {std::move(recorder.blocks), importer.finish().cid.to_string()};
}

TEST(FileImporter, PiecesOfAnySizeGiveTheSameBlocks) {
  const std::string_view content = test_content(3 * unixfs_chunk_size + 12345);
  const auto whole = import_in_pieces(content, content.size());
  ASSERT_EQ(whole.first.size(), 5u);  // four leaves, then the root
  for (const std::size_t piece : {std::size_t{1}, std::size_t{1000}, unixfs_chunk_size + 1}) {
    SCOPED_TRACE("pieces of " + std::to_string(piece));
    EXPECT_EQ(import_in_pieces(content, piece), whole);
  }
  Recorder recorder;
  FileImporter importer{recorder.sink()};
  for (std::size_t i = 0; i < 3; ++i) importer.write({});
  importer.write(content);
  importer.write({});
  EXPECT_EQ(importer.finish().cid.to_string(), whole.second);
  EXPECT_EQ(recorder.blocks, whole.first);
}

TEST(FileImporter, GivesChildrenBeforeParents) {
  Recorder recorder;
  FileImporter importer{recorder.sink()};
  write_test_content(175 * unixfs_chunk_size + 7, importer);
  const ImportedNode root = importer.finish();
  std::set<std::string> given;
  for (const auto& block : recorder.blocks) {
    if (parsed(block.cid).codec == multicodec::dag_pb) {
      for (const auto& link : node_of(block.bytes).links) {
        EXPECT_TRUE(given.count(cid_text(link.hash))) << block.cid << " came before its child";
      }
    }
    EXPECT_TRUE(given.insert(block.cid).second) << "given twice: " << block.cid;
  }
  ASSERT_FALSE(recorder.blocks.empty());
  EXPECT_EQ(recorder.blocks.back().cid, root.cid.to_string());
  EXPECT_EQ(recorder.blocks.size(), 176u + 3u);  // the leaves, two parents and the root
}

TEST(FileImporter, GivesEachFullChunkAtOnce) {
  Recorder recorder;
  FileImporter importer{recorder.sink()};
  importer.write(std::string(unixfs_chunk_size - 1, 'a'));
  EXPECT_EQ(recorder.blocks.size(), 0u);
  importer.write("ab");
  ASSERT_EQ(recorder.blocks.size(), 1u);
  EXPECT_EQ(recorder.blocks[0].bytes, std::string(unixfs_chunk_size - 1, 'a') + "a");
  const ImportedNode root = importer.finish();
  ASSERT_EQ(recorder.blocks.size(), 3u);
  EXPECT_EQ(recorder.blocks[1].bytes, "b");
  EXPECT_EQ(root.file_size, unixfs_chunk_size + 1);
}

TEST(FileImporter, RepeatedChunksAreGivenEachTime) {
  Recorder recorder;
  const ImportedNode root = import_file(std::string(2 * unixfs_chunk_size, 'z'), recorder.sink());
  ASSERT_EQ(recorder.blocks.size(), 3u);
  EXPECT_EQ(recorder.blocks[0], recorder.blocks[1]);
  const PbNode node = node_of(recorder.blocks[2].bytes);
  ASSERT_EQ(node.links.size(), 2u);
  EXPECT_EQ(node.links[0], node.links[1]);
  EXPECT_EQ(root.tsize, recorder.blocks[2].bytes.size() + 2 * unixfs_chunk_size);
}

// 175 chunks: Kubo's balanced layout puts the first 174 leaves under one node and the last leaf
// under a second one, and both under the root.
TEST(FileImporter, BuildsTheBalancedLayout) {
  Recorder recorder;
  FileImporter importer{recorder.sink()};
  write_test_content(174 * unixfs_chunk_size + 1, importer);
  const ImportedNode root = importer.finish();
  const PbNode top = node_of(recorder.block_of(root.cid.to_string()));
  ASSERT_EQ(top.links.size(), 2u);
  const UnixfsData top_data = unixfs_of(top);
  EXPECT_EQ(top_data.type, UnixfsType::file);
  EXPECT_EQ(top_data.filesize, 174 * unixfs_chunk_size + 1);
  EXPECT_EQ(top_data.blocksizes, (std::vector<std::uint64_t>{174 * unixfs_chunk_size, 1}));
  EXPECT_FALSE(top_data.data);

  const PbNode full = node_of(recorder.block_of(cid_text(top.links[0].hash)));
  ASSERT_EQ(full.links.size(), 174u);
  EXPECT_EQ(unixfs_of(full).blocksizes, std::vector<std::uint64_t>(174, unixfs_chunk_size));
  for (const auto& link : full.links) {
    EXPECT_EQ(link.name, "");
    EXPECT_EQ(link.tsize, unixfs_chunk_size);
    EXPECT_EQ(parsed(cid_text(link.hash)).codec, multicodec::raw);
  }
  const PbNode last = node_of(recorder.block_of(cid_text(top.links[1].hash)));
  ASSERT_EQ(last.links.size(), 1u);
  EXPECT_EQ(last.links[0].tsize, 1u);
  EXPECT_EQ(unixfs_of(last).blocksizes, (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(top.links[1].tsize, recorder.block_of(cid_text(top.links[1].hash)).size() + 1);
}

TEST(FileImporter, MovesAndStaysUsable) {
  FileImporter first{{}};
  first.write("hello ");
  FileImporter second = std::move(first);
  second.write("world");
  EXPECT_EQ(second.finish().cid.to_string(),
            "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
}

ImportedNode raw_file(std::string_view content) { return import_file(content, {}); }

TEST(ImportDirectory, TheEmptyDirectory) {
  Recorder recorder;
  auto directory = import_directory({}, recorder.sink());
  ASSERT_TRUE(directory) << directory.error();
  EXPECT_EQ(directory->cid.to_string(),
            "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354");
  EXPECT_EQ(directory->tsize, 4u);
  EXPECT_EQ(directory->file_size, 0u);
  ASSERT_EQ(recorder.blocks.size(), 1u);
  EXPECT_EQ(to_hex(recorder.blocks[0].bytes), "0a020801");
}

TEST(ImportDirectory, TheSpecsGatewayConformanceDirectories) {
  const ImportedNode ascii = raw_file("hello application/vnd.ipld.car\n");
  const ImportedNode hello = raw_file("hello world\n");
  EXPECT_EQ(ascii.cid.to_string(), "bafkreifkam6ns4aoolg3wedr4uzrs3kvq66p4pecirz6y2vlrngla62mxm");
  // multiblock.txt was chunked in 256-byte pieces: its root as the spec describes it.
  const ImportedNode multiblock{
      parsed("bafybeigcisqd7m5nf3qmuvjdbakl5bdnh4ocrmacaqkpuh77qjvggmt2sa"), 1026, 1271};
  Recorder recorder;
  auto files = import_directory({{"multiblock.txt", multiblock},
                                 {"hello.txt", hello},
                                 {"ascii.txt", ascii},
                                 {"ascii-copy.txt", ascii}},
                                recorder.sink());
  ASSERT_TRUE(files) << files.error();
  EXPECT_EQ(files->cid.to_string(), "bafybeihchr7vmgjaasntayyatmp5sv6xza57iy2h4xj7g46bpjij6yhrmy");

  auto subdir = import_directory({{"hello.txt", hello}, {"ascii.txt", ascii}}, {});
  ASSERT_TRUE(subdir) << subdir.error();
  EXPECT_EQ(subdir->cid.to_string(), "bafybeiggghzz6dlue3m6nb2dttnbrygxh3lrjl5764f2m4gq7dgzdt55o4");
  auto nested = import_directory({{"subdir", *subdir}}, {});
  ASSERT_TRUE(nested) << nested.error();
  EXPECT_EQ(nested->cid.to_string(), "bafybeietjm63oynimmv5yyqay33nui4y4wx6u3peezwetxgiwvfmelutzu");
  EXPECT_EQ(nested->tsize, 55u + 110u + 31u + 12u);

  auto foo = import_directory({{"bar.txt", raw_file("Hello, world!\n")}}, {});
  ASSERT_TRUE(foo) << foo.error();
  EXPECT_EQ(foo->cid.to_string(), "bafybeidryarwh34ygbtyypbu7qjkl4euiwxby6cql6uvosonohkq2kwnkm");
  auto dag_pb = import_directory({{"foo.txt", raw_file("Hello, IPFS!\n")}, {"foo", *foo}}, {});
  ASSERT_TRUE(dag_pb) << dag_pb.error();
  EXPECT_EQ(dag_pb->cid.to_string(), "bafybeiegxwlgmoh2cny7qlolykdf7aq7g6dlommarldrbm7c4hbckhfcke");
}

TEST(ImportDirectory, SortsNamesBytewiseAndSumsTsizes) {
  Recorder recorder;
  auto directory = import_directory({{"b", raw_file("2")},
                                     {"\xc3\xa9t\xc3\xa9", raw_file("")},
                                     {"B", raw_file("333")},
                                     {"a", raw_file("22")}},
                                    recorder.sink());
  ASSERT_TRUE(directory) << directory.error();
  ASSERT_EQ(recorder.blocks.size(), 1u);
  const PbNode node = node_of(recorder.blocks[0].bytes);
  std::vector<std::string> names;
  std::uint64_t sum = 0;
  for (const auto& link : node.links) {
    names.push_back(link.name);
    sum += link.tsize;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"B", "a", "b", "\xc3\xa9t\xc3\xa9"}));
  EXPECT_EQ(node.links[0].tsize, 3u);
  EXPECT_EQ(unixfs_of(node), (UnixfsData{UnixfsType::directory, std::nullopt, std::nullopt, {}}));
  EXPECT_EQ(directory->tsize, recorder.blocks[0].bytes.size() + sum);
}

TEST(ImportDirectory, LinksCidv0EntriesByTheirMultihash) {
  const ImportedNode empty_v0{parsed("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"), 0, 4};
  Recorder recorder;
  ASSERT_TRUE(import_directory({{"empty", empty_v0}}, recorder.sink()));
  const PbNode node = node_of(recorder.blocks.at(0).bytes);
  ASSERT_EQ(node.links.size(), 1u);
  EXPECT_EQ(node.links[0].hash.size(), 34u);
  EXPECT_EQ(node.links[0].hash.substr(0, 2), "\x12\x20");
}

TEST(ImportDirectory, RefusesBadAndDuplicateNames) {
  const ImportedNode file = raw_file("x");
  const auto refusal = [&](std::vector<DirectoryEntry> entries) {
    Recorder recorder;
    auto directory = import_directory(std::move(entries), recorder.sink());
    EXPECT_FALSE(directory);
    EXPECT_TRUE(recorder.blocks.empty());
    return directory ? std::string() : directory.error();
  };
  EXPECT_THAT(refusal({{"", file}}), HasSubstr("empty name"));
  EXPECT_THAT(refusal({{".", file}}), HasSubstr("cannot be named \".\""));
  EXPECT_THAT(refusal({{"ok", file}, {"..", file}}), HasSubstr("cannot be named \"..\""));
  EXPECT_THAT(refusal({{"a/b", file}}), HasSubstr("\"a/b\" contains '/'"));
  EXPECT_THAT(refusal({{"/", file}}), HasSubstr("contains '/'"));
  EXPECT_THAT(refusal({{"same", file}, {"other", file}, {"same", raw_file("y")}}),
              HasSubstr("two directory entries are named \"same\""));
}

}  // namespace
}  // namespace ocipfs
