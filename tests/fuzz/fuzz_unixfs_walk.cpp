// Fuzzes the UnixFS file walk (formats/unixfs_stream.hpp) that proves a trustless gateway's CAR of
// a layer, or of a range of it, block by block. The input: a chunk size, a fan-out, a range, a
// fault and a block it hits, then the file's content. The file is imported with that layout
// (formats/unixfs.hpp) and its blocks sent as a gateway sends them for entity-bytes=FROM:TO, in
// depth-first order; then with the fault: a block left out, sent twice, swapped with the next, or
// replaced by another block of the file.
// - In order, the walk gives exactly the range's bytes, contiguous and in order, and is done.
// - With a fault, it refuses at some block or at the end, or gives the same bytes: never a byte
//   that is not the file's at its offset, never one outside the range.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_check.hpp"
#include "ocipfs/formats/dag_pb.hpp"
#include "ocipfs/formats/unixfs.hpp"
#include "ocipfs/formats/unixfs_stream.hpp"

namespace {

using namespace ocipfs;

using Block = std::pair<Cid, std::string>;

struct Dag {
  std::map<std::string, std::string> blocks;  // by binary CID
  Cid root;
};

Cid cid_from(std::string_view binary) {
  auto cid = parse_binary_cid(binary);
  FUZZ_CHECK(cid);
  return *cid;
}

Dag import(std::string_view content, std::size_t chunk, std::size_t links) {
  Dag dag;
  BlockSink sink = [&](const Cid& cid, std::string_view block) {
    dag.blocks[cid.v1_bytes()] = std::string(block);
  };
  dag.root = import_file(content, sink, ImportLayout{chunk, links}).cid;
  return dag;
}

// Appends the blocks of the node `cid` (holding the file from `offset`) that a gateway sends for
// bytes [first, last]: the node, then its children that hold any of them.
void blocks_for(const Dag& dag, const Cid& cid, std::uint64_t offset, std::uint64_t first,
                std::uint64_t last, std::vector<Block>& out) {
  const std::string& block = dag.blocks.at(cid.v1_bytes());
  out.emplace_back(cid, block);
  if (cid.codec == multicodec::raw) return;
  auto node = decode_unixfs_file_node(block, UINT64_MAX);
  FUZZ_CHECK(node);
  offset += node->unixfs.data ? node->unixfs.data->size() : 0;
  for (std::size_t i = 0; i < node->node.links.size(); ++i) {
    const std::uint64_t size = node->unixfs.blocksizes[i];
    if (offset + size > first && offset <= last && size > 0)
      blocks_for(dag, cid_from(node->node.links[i].hash), offset, first, last, out);
    offset += size;
  }
}

struct Walked {
  std::string bytes;
  bool refused = false;
};

// Feeds `blocks` to a walk of `root` over `range`; every byte given must be the file's at its
// offset, within the range, and follow the last one given.
Walked walk(const Cid& root, EntityBytes range, const std::vector<Block>& blocks,
            std::string_view content, std::uint64_t first, std::uint64_t last) {
  UnixfsFileWalk walker(root, range);
  Walked out;
  auto take = [&](const FileBytes& given) {
    if (given.size() == 0) return;
    FUZZ_CHECK(given.offset == first + out.bytes.size());
    FUZZ_CHECK(given.offset + given.size() <= last + 1);
    std::string bytes = std::string(given.block) + std::string(given.inlined);
    FUZZ_CHECK(bytes == content.substr(given.offset, bytes.size()));
    out.bytes += bytes;
  };
  for (const auto& [cid, block] : blocks) {
    auto given = walker.take(cid, block);
    if (!given) {
      out.refused = true;
      return out;
    }
    take(*given);
  }
  auto rest = walker.finish();
  if (!rest) {
    out.refused = true;
    return out;
  }
  take(*rest);
  return out;
}

// The blocks with `fault` (0 none, 1 one left out, 2 one twice, 3 two swapped, 4 one replaced by
// another block of the file) at block `at`.
std::vector<Block> with_fault(std::vector<Block> blocks, unsigned fault, std::size_t at,
                              const Dag& dag) {
  if (blocks.empty()) return blocks;
  at %= blocks.size();
  if (fault == 1) blocks.erase(blocks.begin() + static_cast<std::ptrdiff_t>(at));
  if (fault == 2) blocks.insert(blocks.begin() + static_cast<std::ptrdiff_t>(at), blocks[at]);
  if (fault == 3 && at + 1 < blocks.size()) std::swap(blocks[at], blocks[at + 1]);
  if (fault == 4) {
    auto other = dag.blocks.begin();
    std::advance(other, static_cast<std::ptrdiff_t>(at % dag.blocks.size()));
    blocks[at] = Block{cid_from(other->first), other->second};
  }
  return blocks;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 6) return 0;
  const std::size_t chunk = 1 + data[0] % 64, links = 2 + data[1] % 7;
  const std::string_view content(reinterpret_cast<const char*>(data + 6),
                                 std::min(size - 6, std::size_t{2048}));
  const Dag dag = import(content, chunk, links);
  if (content.empty()) return 0;
  const std::uint64_t n = content.size();
  std::uint64_t first = data[2] * n / 256, last = first + data[3] * n / 256;
  last = std::min(last, n - 1);
  EntityBytes range{static_cast<std::int64_t>(first), static_cast<std::int64_t>(last)};
  if (data[3] == 255) range.to.reset();  // "*": to the end
  if (!range.to) last = n - 1;
  std::vector<Block> blocks;
  blocks_for(dag, dag.root, 0, first, last, blocks);
  const std::string expected(content.substr(first, last - first + 1));
  Walked clean = walk(dag.root, range, blocks, content, first, last);
  if (fuzz::verbose())
    std::fprintf(stderr, "%zu bytes, %zu blocks of %zu, range %llu-%llu: %s\n", content.size(),
                 blocks.size(), dag.blocks.size(), static_cast<unsigned long long>(first),
                 static_cast<unsigned long long>(last), clean.refused ? "refused" : "given");
  FUZZ_CHECK(!clean.refused && clean.bytes == expected);
  Walked faulty =
      walk(dag.root, range, with_fault(blocks, data[4] % 5, data[5], dag), content, first, last);
  FUZZ_CHECK(faulty.refused || faulty.bytes == expected);
  return 0;
}
