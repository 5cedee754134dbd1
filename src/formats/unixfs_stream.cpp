#include "ocipfs/formats/unixfs_stream.hpp"

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace ocipfs {

namespace {

constexpr std::uint64_t kUnbounded = std::numeric_limits<std::uint64_t>::max();

bool is_identity(const Cid& cid) { return cid.hash == multihash::identity; }

// The offset `n` (negative) bytes before the end of a file of `size` bytes: -1 is its last byte;
// nullopt before its start.
std::optional<std::uint64_t> from_end(std::int64_t n, std::uint64_t size) {
  const std::uint64_t back = 0 - static_cast<std::uint64_t>(n);
  if (back > size) return std::nullopt;
  return size - back;
}

std::string where(std::uint64_t offset) {
  return " (file bytes from " + std::to_string(offset) + ")";
}

}  // namespace

UnixfsFileWalk::UnixfsFileWalk(Cid root, std::optional<EntityBytes> range, const WalkLimits& limits)
    : request_(range), limits_(limits) {
  pending_.push_back(Pending{std::move(root), 0, std::nullopt, 0});
  if (auto taken = take_inlined(); !taken) return;
  carried_ = std::move(inlined_);
}

Expected<FileBytes> UnixfsFileWalk::take(const Cid& cid, std::string_view block) {
  if (!error_.empty()) return Unexpected{error_};
  inlined_ = std::exchange(carried_, {});
  FileBytes out;
  if (!is_identity(cid)) {  // an identity block's bytes come from its CID, where the walk is
    if (pending_.empty()) {
      return fail("block " + cid.to_string() + " comes after the last block the file needs");
    }
    const Pending node = pop();
    if (!same_block(node.cid, cid)) {
      return fail("block " + cid.to_string() +
                  " is not the next block of the file in depth-first order: expected " +
                  node.cid.to_string() + where(node.offset));
    }
    auto bytes = visit(node, block, node_data_);
    if (!bytes) return fail(std::move(bytes).error());
    out.block = *bytes;
    if (!inlined_.empty()) {  // an identity root's bytes come first
      inlined_.append(*bytes);
      out.block = {};
    }
    if (auto taken = take_inlined(); !taken) return Unexpected{error_};
  }
  out.inlined = inlined_;
  out.offset = next_offset_ - out.size();
  return out;
}

Expected<FileBytes> UnixfsFileWalk::finish() {
  if (!error_.empty()) return Unexpected{error_};
  if (!pending_.empty()) {
    const Pending& next = pending_.back();
    return fail("the CAR ended before block " + next.cid.to_string() + where(next.offset));
  }
  inlined_ = std::exchange(carried_, {});
  return FileBytes{next_offset_ - inlined_.size(), {}, inlined_};
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> UnixfsFileWalk::range() const {
  if (!file_size_ || empty_range_) return std::nullopt;
  return std::pair{first_, last_};
}

// The bytes of `node`, whose block is `block` (its hash checked): those in the range, as a view
// into `block` (a raw leaf) or into `data` (which receives a dag-pb node's Data).
Expected<std::string_view> UnixfsFileWalk::visit(const Pending& node, std::string_view block,
                                                 std::string& data) {
  if (node.cid.codec != multicodec::raw) return visit_pb(node, block, data);
  if (node.size && block.size() != *node.size) {
    return Unexpected{"the leaf " + node.cid.to_string() + " holds " +
                      std::to_string(block.size()) + " bytes, but its parent's blocksize is " +
                      std::to_string(*node.size) + where(node.offset)};
  }
  if (node.depth == 0) resolve(block.size());
  return clip(node.offset, block);
}

Expected<std::string_view> UnixfsFileWalk::visit_pb(const Pending& node, std::string_view block,
                                                    std::string& data) {
  auto file = decode_unixfs_file_node(block, node.size.value_or(kUnbounded));
  if (!file) {
    return Unexpected{"the node " + node.cid.to_string() + where(node.offset) + ": " +
                      std::move(file).error()};
  }
  const std::uint64_t data_size = file->unixfs.data ? file->unixfs.data->size() : 0;
  std::uint64_t content = data_size;  // decode_unixfs_file_node bounds it by node.size
  for (const std::uint64_t size : file->unixfs.blocksizes) content += size;
  if (node.size && content != *node.size) {
    return Unexpected{"the node " + node.cid.to_string() + " spans " + std::to_string(content) +
                      " bytes, but its parent's blocksize is " + std::to_string(*node.size) +
                      where(node.offset)};
  }
  if (node.depth == 0) resolve(content);
  if (auto pushed = push_children(node, *file, node.offset + content); !pushed) {
    return Unexpected{std::move(pushed).error()};
  }
  data = std::move(file->unixfs.data).value_or(std::string());
  return clip(node.offset, data);
}

// Pushes the children of `node` (whose content ends at `end`) that the range needs, the first
// one last, so that it is taken next.
Expected<bool> UnixfsFileWalk::push_children(const Pending& node, const UnixfsFileNode& file,
                                             std::uint64_t end) {
  const auto& links = file.node.links;
  const std::string name = "the node " + node.cid.to_string();
  if (links.size() > limits_.max_links) {
    return Unexpected{name + " has " + std::to_string(links.size()) + " links, over max_links (" +
                      std::to_string(limits_.max_links) + ")"};
  }
  if (!links.empty() && node.depth == limits_.max_depth) {
    return Unexpected{name + " has children deeper than max_depth (" +
                      std::to_string(limits_.max_depth) + ")"};
  }
  for (std::size_t i = links.size(); i-- > 0;) {
    const std::uint64_t size = file.unixfs.blocksizes[i];
    end -= size;
    if (!wanted(end, size)) continue;
    auto child = parse_binary_cid(links[i].hash);
    if (!child) {
      return Unexpected{name + ": link " + std::to_string(i) + " is not a valid CID"};
    }
    if (pending_.size() == limits_.max_pending) {
      return Unexpected{name + ": more than max_pending (" + std::to_string(limits_.max_pending) +
                        ") blocks pending"};
    }
    pending_.push_back(Pending{std::move(*child), end, size, node.depth + 1});
  }
  return true;
}

// Takes the identity CIDs next in the walk (and theirs, in order), their bytes into inlined_.
Expected<bool> UnixfsFileWalk::take_inlined() {
  while (!pending_.empty() && is_identity(pending_.back().cid)) {
    const Pending node = pop();
    std::string data;
    auto bytes = visit(node, node.cid.digest, data);
    if (!bytes) return fail(std::move(bytes).error());
    inlined_.append(*bytes);
  }
  return true;
}

UnixfsFileWalk::Pending UnixfsFileWalk::pop() {
  Pending node = std::move(pending_.back());
  pending_.pop_back();
  return node;
}

// The root's size is known: the range as offsets.
void UnixfsFileWalk::resolve(std::uint64_t file_size) {
  file_size_ = file_size;
  const EntityBytes range = request_.value_or(EntityBytes{});
  first_ = range.from >= 0 ? static_cast<std::uint64_t>(range.from)
                           : from_end(range.from, file_size).value_or(0);
  std::optional<std::uint64_t> last;
  if (file_size > 0) last = file_size - 1;
  if (last && range.to && *range.to >= 0) {
    last = std::min(*last, static_cast<std::uint64_t>(*range.to));
  } else if (last && range.to) {
    last = from_end(*range.to, file_size);
  }
  empty_range_ = !last || first_ > *last;
  last_ = last.value_or(0);
  next_offset_ = first_;
}

// Whether the range needs a child of `size` bytes from `offset`: every child for the whole file.
bool UnixfsFileWalk::wanted(std::uint64_t offset, std::uint64_t size) const {
  if (!request_) return true;
  if (empty_range_ || size == 0) return false;
  return offset <= last_ && offset + (size - 1) >= first_;
}

// The part of `bytes`, the file's from `offset`, within the range.
std::string_view UnixfsFileWalk::clip(std::uint64_t offset, std::string_view bytes) {
  if (empty_range_ || bytes.empty()) return {};
  const std::uint64_t end = offset + (bytes.size() - 1);
  if (offset > last_ || end < first_) return {};
  const std::uint64_t begin = std::max(offset, first_);
  const std::uint64_t stop = std::min(end, last_);
  // Pre-order, with every node's size checked before its bytes are given, gives them in order.
  assert(begin == next_offset_);
  next_offset_ = stop + 1;
  return bytes.substr(begin - offset, stop - begin + 1);
}

Unexpected<std::string> UnixfsFileWalk::fail(std::string message) {
  error_ = std::move(message);
  return Unexpected{error_};
}

}  // namespace ocipfs
