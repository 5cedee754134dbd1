#include "ocipfs/formats/unixfs_path.hpp"

#include <utility>

#include "ocipfs/formats/dag_pb.hpp"
#include "ocipfs/formats/multicodec.hpp"
#include "ocipfs/formats/multihash.hpp"

namespace ocipfs {

UnixfsPathWalk::UnixfsPathWalk(Cid root, std::vector<std::string> segments)
    : next_(std::move(root)), segments_(std::move(segments)) {
  if (segments_.empty()) target_ = next_;
}

Expected<bool> UnixfsPathWalk::take(const Cid& cid, std::string_view block) {
  if (!error_.empty()) return Unexpected{error_};
  if (target_) return fail("block " + cid.to_string() + " comes after the path's last directory");
  if (!same_block(next_, cid))
    return fail("block " + cid.to_string() + " is not the next directory on the path: expected " +
                next_.to_string());
  auto link = follow(block);
  if (!link) return fail(std::move(link).error());
  if (link->hash == multihash::identity)
    return fail("\"" + segments_[reached_] + "\" is an identity CID, which is not walked");
  next_ = std::move(*link);
  if (++reached_ == segments_.size()) target_ = next_;
  return true;
}

// The link of the directory `block` (next_) named by the next segment.
Expected<Cid> UnixfsPathWalk::follow(std::string_view block) const {
  const std::string name = "directory " + next_.to_string();
  const std::string& segment = segments_[reached_];
  if (next_.codec != multicodec::dag_pb)
    return Unexpected{name + " is a raw block, not a directory: no \"" + segment + "\" in it"};
  auto node = decode_pb_node(block);
  if (!node) return Unexpected{name + ": " + node.error()};
  auto unixfs = decode_unixfs_data(node->data.value_or(std::string()));
  if (!node->data || !unixfs) return Unexpected{name + " has no valid UnixFS data"};
  if (unixfs->type == UnixfsType::hamt_shard)
    return Unexpected{name + " is a HAMT-sharded directory, which ocipfsd does not walk"};
  if (unixfs->type != UnixfsType::directory)
    return Unexpected{name + " is not a directory: no \"" + segment + "\" in it"};
  for (const auto& link : node->links) {
    if (link.name != segment) continue;
    auto cid = parse_binary_cid(link.hash);
    if (!cid) return Unexpected{name + ": the link \"" + segment + "\": " + cid.error()};
    return cid;
  }
  return Unexpected{name + " has no \"" + segment + "\""};
}

Unexpected<std::string> UnixfsPathWalk::fail(std::string message) {
  error_ = std::move(message);
  return Unexpected{error_};
}

}  // namespace ocipfs
