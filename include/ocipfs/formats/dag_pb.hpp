// dag-pb nodes and the UnixFS data they carry: the codec, canonical when writing, strict when
// reading.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/expected.hpp"

namespace ocipfs {

// The most links decode_pb_node accepts in one node (a UnixFS importer writes at most 174).
inline constexpr std::size_t max_pb_links = 8192;

struct PbLink {
  std::string hash;  // the binary CID of the target (CIDv0: the multihash; CIDv1: v1_bytes())
  std::string name;
  std::uint64_t tsize = 0;  // the target's whole DAG in bytes, as importers write it
  friend bool operator==(const PbLink&, const PbLink&) = default;
};

struct PbNode {
  std::vector<PbLink> links;
  std::optional<std::string> data;
  friend bool operator==(const PbNode&, const PbNode&) = default;
};

// The canonical dag-pb encoding (links first, in order, each with Hash, Name, Tsize; then Data),
// byte for byte what Kubo and js-ipfs write.
std::string encode_pb_node(const PbNode& node);

// Decodes a dag-pb block. Refuses unknown fields, wrong wire types, links without a hash,
// more than max_pb_links links, and truncated or overlong varints, with a message that says so.
Expected<PbNode> decode_pb_node(std::string_view block);

enum class UnixfsType : std::uint64_t {
  raw = 0,
  directory = 1,
  file = 2,
  metadata = 3,
  symlink = 4,
  hamt_shard = 5,
};

// The UnixFS Data message (ipfs/specs UNIXFS.md). Mode, mtime, hash type and fanout are skipped
// when reading and never written.
struct UnixfsData {
  UnixfsType type = UnixfsType::file;
  std::optional<std::string> data;
  std::optional<std::uint64_t> filesize;
  std::vector<std::uint64_t> blocksizes;
  friend bool operator==(const UnixfsData&, const UnixfsData&) = default;
};

// The encoding Kubo and js-ipfs write (Type, Data, filesize, then blocksizes unpacked).
std::string encode_unixfs_data(const UnixfsData& data);

// Decodes UnixFS data; an unknown type or a malformed field is an error.
Expected<UnixfsData> decode_unixfs_data(std::string_view bytes);

// A dag-pb node that is a valid UnixFS file node: its links, in order, and its UnixFS data.
struct UnixfsFileNode {
  PbNode node;
  UnixfsData unixfs;
};

// The one definition of a valid UnixFS file node, used by every reader (a proof, a block, a CAR):
// - a dag-pb node (decode_pb_node) with Data, which decodes as UnixFS data of type file or raw;
// - as many blocksizes as links;
// - the content it spans (its data's length plus its blocksizes) is at most `max_content` bytes;
// - a filesize, when present, equal to that content's size.
// Anything else is refused with a message that says which rule the node breaks. Whether each
// child really holds its blocksize is for the reader that walks the links.
Expected<UnixfsFileNode> decode_unixfs_file_node(std::string_view block, std::uint64_t max_content);

}  // namespace ocipfs
