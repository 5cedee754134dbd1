// The directories on an IPFS path, proven block by block as a trustless gateway's CAR for
// /ipfs/<root>/<segment>/... starts (the root's block, then each segment's directory), up to the
// CID the path names. Pure.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/formats/cid.hpp"

namespace ocipfs {

// Walks the path `segments` (each decoded, as IpfsPath holds them) from the directory `root`.
// Each block taken must be the next directory on the path: a dag-pb UnixFS directory whose link
// named by the next segment leads on. HAMT-sharded directories, other UnixFS types and codecs,
// a missing name and an identity CID on the way (gateways send no identity blocks) are refused,
// saying which. With no segments the root itself is the target, and no block is taken. Memory:
// the segments and one decoded directory (decode_pb_node bounds its links). After an error the
// walk is spent. Blocks are not hashed here: give it the blocks a CarReader checked.
class UnixfsPathWalk {
 public:
  UnixfsPathWalk(Cid root, std::vector<std::string> segments);

  // Takes the next block of the CAR, whose CID is `cid`. Once the last directory was taken,
  // target() holds the CID the path names, and no more blocks are for the walk.
  Expected<bool> take(const Cid& cid, std::string_view block);

  // The CID the path names, once every directory on it was taken.
  const std::optional<Cid>& target() const { return target_; }

 private:
  Expected<Cid> follow(std::string_view block) const;
  Unexpected<std::string> fail(std::string message);

  Cid next_;  // the directory expected next
  std::vector<std::string> segments_;
  std::size_t reached_ = 0;  // segments followed
  std::optional<Cid> target_;
  std::string error_;
};

}  // namespace ocipfs
