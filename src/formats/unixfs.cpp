#include "ocipfs/formats/unixfs.hpp"

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/formats/dag_pb.hpp"
#include "ocipfs/formats/varint.hpp"

namespace ocipfs {

namespace {

Cid sha256_cid(std::uint64_t codec, std::string_view block) {
  const Sha256 hash = sha256(block);
  return Cid{1, codec, multihash::sha2_256, std::string(hash.begin(), hash.end())};
}

// The bytes a dag-pb link holds for `cid`: a CIDv0 is its bare multihash.
std::string link_hash(const Cid& cid) {
  if (cid.version == 1) return cid.v1_bytes();
  return varint_encode(cid.hash) + varint_encode(cid.digest.size()) + cid.digest;
}

void give(const BlockSink& sink, const Cid& cid, std::string_view block) {
  if (sink) sink(cid, block);
}

// A dag-pb block with `links` and UnixFS `data`, given to the sink; its tsize counts the links'.
ImportedNode emit_pb_node(const BlockSink& sink, std::vector<PbLink> links, const UnixfsData& data,
                          std::uint64_t file_size) {
  std::uint64_t tsize = 0;
  for (const auto& link : links) tsize += link.tsize;
  const std::string block = encode_pb_node(PbNode{std::move(links), encode_unixfs_data(data)});
  const Cid cid = sha256_cid(multicodec::dag_pb, block);
  give(sink, cid, block);
  return ImportedNode{cid, file_size, tsize + block.size()};
}

ImportedNode emit_leaf(const BlockSink& sink, std::string_view chunk) {
  const Cid cid = sha256_cid(multicodec::raw, chunk);
  give(sink, cid, chunk);
  return ImportedNode{cid, chunk.size(), chunk.size()};
}

// A UnixFS File node over `children`, which hold consecutive parts of the file.
ImportedNode emit_file_node(const BlockSink& sink, const std::vector<ImportedNode>& children) {
  std::vector<PbLink> links;
  links.reserve(children.size());
  UnixfsData data{UnixfsType::file, std::nullopt, 0, {}};
  data.blocksizes.reserve(children.size());
  std::uint64_t file_size = 0;
  for (const auto& child : children) {
    links.push_back(PbLink{link_hash(child.cid), "", child.tsize});
    data.blocksizes.push_back(child.file_size);
    file_size += child.file_size;
  }
  data.filesize = file_size;
  return emit_pb_node(sink, std::move(links), data, file_size);
}

std::optional<std::string> bad_entry_name(std::string_view name) {
  const auto quoted = [&] { return "\"" + std::string(name) + "\""; };
  if (name.empty()) return std::string("a directory entry has an empty name");
  if (name == "." || name == "..") return "a directory entry cannot be named " + quoted();
  if (name.find('/') != std::string_view::npos) {
    return "the directory entry name " + quoted() + " contains '/'";
  }
  return std::nullopt;
}

}  // namespace

// `pending[level]` holds the finished nodes of that level (0: the leaves) that wait for a parent;
// a level never holds layout.max_links of them, so the tree is Kubo's balanced layout: every
// node full except those on the right edge.
struct FileImporter::State {
  BlockSink sink;
  ImportLayout layout;
  std::string chunk;
  std::vector<std::vector<ImportedNode>> pending;

  // Adds `node` at `level`; a level that fills up becomes one node on the level above.
  void add(std::size_t level, ImportedNode node) {
    for (;;) {
      if (pending.size() == level) pending.emplace_back();
      pending[level].push_back(std::move(node));
      if (pending[level].size() < layout.max_links) return;
      node = emit_file_node(sink, pending[level]);
      pending[level].clear();
      ++level;
    }
  }

  bool empty_above(std::size_t level) const {
    return std::all_of(pending.begin() + static_cast<std::ptrdiff_t>(level) + 1, pending.end(),
                       [](const auto& nodes) { return nodes.empty(); });
  }

  // Closes every level from the bottom up; the last node standing is the root.
  ImportedNode collapse() {
    for (std::size_t level = 0;; ++level) {
      if (empty_above(level) && pending[level].size() == 1) return pending[level].front();
      if (pending[level].empty()) continue;
      ImportedNode parent = emit_file_node(sink, pending[level]);
      pending[level].clear();
      add(level + 1, std::move(parent));
    }
  }
};

FileImporter::FileImporter(BlockSink sink, ImportLayout layout)
    : state_(std::make_unique<State>()) {
  assert(layout.chunk_size > 0 && layout.max_links >= 2);
  state_->sink = std::move(sink);
  state_->layout = layout;
  state_->chunk.reserve(layout.chunk_size);
}

FileImporter::~FileImporter() = default;
FileImporter::FileImporter(FileImporter&&) noexcept = default;
FileImporter& FileImporter::operator=(FileImporter&&) noexcept = default;

void FileImporter::write(std::string_view bytes) {
  assert(state_ && "FileImporter::write after finish");
  State& state = *state_;
  const std::size_t chunk_size = state.layout.chunk_size;
  while (!bytes.empty()) {
    if (state.chunk.empty() && bytes.size() >= chunk_size) {
      state.add(0, emit_leaf(state.sink, bytes.substr(0, chunk_size)));
      bytes.remove_prefix(chunk_size);
      continue;
    }
    const auto take = std::min(chunk_size - state.chunk.size(), bytes.size());
    state.chunk.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (state.chunk.size() == chunk_size) {
      state.add(0, emit_leaf(state.sink, state.chunk));
      state.chunk.clear();
    }
  }
}

ImportedNode FileImporter::finish() {
  assert(state_ && "FileImporter::finish called twice");
  const auto state = std::move(state_);
  if (state->pending.empty()) return emit_leaf(state->sink, state->chunk);
  if (!state->chunk.empty()) state->add(0, emit_leaf(state->sink, state->chunk));
  return state->collapse();
}

ImportedNode import_file(std::string_view content, const BlockSink& sink,
                         const ImportLayout& layout) {
  FileImporter importer{sink, layout};
  importer.write(content);
  return importer.finish();
}

Expected<ImportedNode> import_directory(std::vector<DirectoryEntry> entries,
                                        const BlockSink& sink) {
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  std::vector<PbLink> links;
  links.reserve(entries.size());
  for (const auto& entry : entries) {
    if (auto error = bad_entry_name(entry.name)) return Unexpected{std::move(*error)};
    if (!links.empty() && links.back().name == entry.name) {
      return Unexpected{"two directory entries are named \"" + entry.name + "\""};
    }
    links.push_back(PbLink{link_hash(entry.node.cid), entry.name, entry.node.tsize});
  }
  const UnixfsData data{UnixfsType::directory, std::nullopt, std::nullopt, {}};
  return emit_pb_node(sink, std::move(links), data, 0);
}

}  // namespace ocipfs
