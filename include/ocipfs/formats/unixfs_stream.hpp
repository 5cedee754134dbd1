// A UnixFS file proven block by block as a trustless gateway streams its CAR (order=dfs, dups=y),
// giving the file's bytes of a range in order, holding no block it has used. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/formats/dag_pb.hpp"

namespace ocipfs {

// A range of a file as the gateway's entity-bytes=FROM:TO says it: inclusive, a negative number
// counting from the end (-1 is the last byte), `to` absent for '*' (the end).
struct EntityBytes {
  std::int64_t from = 0;
  std::optional<std::int64_t> to;
};

// Bounds on the DAG a walk accepts; a DAG over them is refused, never allocated for.
struct WalkLimits {
  std::size_t max_depth = 32;            // levels below the root
  std::size_t max_links = max_pb_links;  // links of one node (importers write at most 174)
  std::size_t max_pending = 16384;       // CIDs expected and not yet taken (about depth x links)
};

// File bytes a take gave, contiguous from `offset`: first `block` (from the block taken), then
// `inlined` (from identity CIDs that follow it in the DAG). Both views are valid until the next
// take or finish, and `block` while the block given to take lives.
struct FileBytes {
  std::uint64_t offset = 0;
  std::string_view block;
  std::string_view inlined;
  std::uint64_t size() const { return block.size() + inlined.size(); }
};

// Walks the DAG of the UnixFS file `root` in depth-first pre-order, the order of a trustless
// gateway's CAR for /ipfs/<root>?format=car&dag-scope=entity[&entity-bytes=FROM:TO] with
// order=dfs and dups=y (asked in Accept; a CAR of another order or with dups=n is refused at the
// first block out of place). Each block must be the next one the DAG needs:
// - for the whole file (no range), every block of the DAG;
// - for a range, only the children whose bytes (from their parent's blocksizes) meet the range,
//   so a child of size 0 is never expected; a range wholly past the end expects the root only.
// Identity CIDs are not expected as blocks (gateways MUST NOT send them): their bytes are taken
// from the CID itself as soon as the walk reaches them, and a block that is one is ignored.
// Nodes are raw leaves (all their bytes) or dag-pb UnixFS file (or raw) nodes: their Data bytes,
// then their children. Every node holds exactly the bytes its parent's blocksizes say, and a
// node's filesize, when present, is its data plus its blocksizes (decode_unixfs_file_node).
// Directories, HAMT shards, symlinks and other codecs are refused, saying so. Memory: the
// pending CIDs (at most max_pending) and one node's Data. After an error the walk is spent.
// Blocks are not hashed here: give it the blocks a CarReader checked.
class UnixfsFileWalk {
 public:
  // `range` absent: the whole file.
  UnixfsFileWalk(Cid root, std::optional<EntityBytes> range, const WalkLimits& limits = {});

  // Takes the next block of the CAR, whose CID is `cid`: its bytes in the range (and those of the
  // identity CIDs that follow it), or why it is refused: a CID other than the next one expected
  // (not in the DAG, out of order, or past the last one needed), a node that is not a file or
  // holds other than its parent says, a DAG over the limits.
  Expected<FileBytes> take(const Cid& cid, std::string_view block);

  // The CAR ended: the bytes of an identity root not yet given, or an error when a block is still
  // missing ("the CAR ended before block <cid> (file bytes from N)").
  Expected<FileBytes> finish();

  // No more blocks are needed: finish() completes the range.
  bool done() const { return error_.empty() && pending_.empty(); }

  // Known once the root has been taken: the file's size, and the range as byte offsets
  // [first, last] (nullopt when it is empty: an empty file, or a range past the end).
  std::optional<std::uint64_t> file_size() const { return file_size_; }
  std::optional<std::pair<std::uint64_t, std::uint64_t>> range() const;

 private:
  struct Pending {
    Cid cid;
    std::uint64_t offset = 0;
    std::optional<std::uint64_t> size;  // absent for the root
    std::size_t depth = 0;
  };

  Expected<std::string_view> visit(const Pending& node, std::string_view block, std::string& data);
  Expected<std::string_view> visit_pb(const Pending& node, std::string_view block,
                                      std::string& data);
  Expected<bool> push_children(const Pending& node, const UnixfsFileNode& file, std::uint64_t end);
  Expected<bool> take_inlined();
  Pending pop();
  void resolve(std::uint64_t file_size);
  bool wanted(std::uint64_t offset, std::uint64_t size) const;
  std::string_view clip(std::uint64_t offset, std::string_view bytes);
  Unexpected<std::string> fail(std::string message);

  std::optional<EntityBytes> request_;
  WalkLimits limits_;
  std::vector<Pending> pending_;  // the next expected at the back, never an identity CID
  std::optional<std::uint64_t> file_size_;
  bool empty_range_ = false;
  std::uint64_t first_ = 0;
  std::uint64_t last_ = 0;
  std::uint64_t next_offset_ = 0;  // of the next byte to give
  std::string node_data_;          // the Data of the last dag-pb node
  std::string inlined_;            // bytes given by identity CIDs
  std::string carried_;            // an identity root's, until the first take or finish
  std::string error_;
};

}  // namespace ocipfs
