#include "ocipfs/formats/dag_pb.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ocipfs/formats/cid.hpp"
#include "ocipfs/formats/varint.hpp"

namespace ocipfs {

namespace {

// The protobuf wire types that dag-pb and UnixFS use; the others (fixed64, groups, fixed32) are
// malformed here.
constexpr std::uint64_t kWireVarint = 0;
constexpr std::uint64_t kWireBytes = 2;

// One decoded protobuf field: a number, a wire type and, by wire type, its value.
struct Field {
  std::uint64_t number = 0;
  std::uint64_t wire = 0;
  std::uint64_t varint = 0;  // for kWireVarint
  std::string_view bytes;    // for kWireBytes, a view into the input
};

std::string field_label(std::string_view message, std::uint64_t number, std::string_view name) {
  std::string label = std::string(message) + " field " + std::to_string(number);
  if (!name.empty()) label += " (" + std::string(name) + ")";
  return label;
}

Expected<std::uint64_t> read_field_value(std::string_view& in, std::string_view what) {
  auto value = varint_decode(in);
  if (!value) return Unexpected{std::string(what) + ": " + value.error()};
  return *value;
}

// Reads the next field from the front of `in` and advances past it. `message` names the message
// being read, for the error.
Expected<Field> read_field(std::string_view& in, std::string_view message) {
  auto key = read_field_value(in, std::string(message) + " field key");
  if (!key) return Unexpected{std::move(key).error()};
  Field field;
  field.number = *key >> 3;
  field.wire = *key & 7;
  if (field.number == 0) return Unexpected{std::string(message) + " has a field number 0"};
  const std::string label = field_label(message, field.number, "");
  if (field.wire == kWireVarint) {
    auto value = read_field_value(in, label);
    if (!value) return Unexpected{std::move(value).error()};
    field.varint = *value;
    return field;
  }
  if (field.wire != kWireBytes) {
    return Unexpected{label + " has wire type " + std::to_string(field.wire) +
                      ", which dag-pb and UnixFS never use"};
  }
  auto length = read_field_value(in, label + " length");
  if (!length) return Unexpected{std::move(length).error()};
  if (*length > in.size()) {
    return Unexpected{label + " is truncated (" + std::to_string(*length) + " bytes announced, " +
                      std::to_string(in.size()) + " left)"};
  }
  field.bytes = in.substr(0, *length);
  in.remove_prefix(*length);
  return field;
}

std::optional<std::string> wrong_wire(const Field& field, std::uint64_t expected,
                                      std::string_view message, std::string_view name) {
  if (field.wire == expected) return std::nullopt;
  return field_label(message, field.number, name) + " must have wire type " +
         std::to_string(expected) + ", not " + std::to_string(field.wire);
}

void put_key(std::string& out, std::uint64_t number, std::uint64_t wire) {
  out += varint_encode(number << 3 | wire);
}

void put_varint_field(std::string& out, std::uint64_t number, std::uint64_t value) {
  put_key(out, number, kWireVarint);
  out += varint_encode(value);
}

void put_bytes_field(std::string& out, std::uint64_t number, std::string_view bytes) {
  put_key(out, number, kWireBytes);
  out += varint_encode(bytes.size());
  out += bytes;
}

// PBLink: Hash (1), Name (2), Tsize (3), each at most once and in this order; Hash required.
Expected<PbLink> decode_pb_link(std::string_view bytes) {
  static constexpr std::string_view kNames[] = {"", "Hash", "Name", "Tsize"};
  PbLink link;
  std::uint64_t last_number = 0;
  bool has_hash = false;
  while (!bytes.empty()) {
    auto field = read_field(bytes, "PBLink");
    if (!field) return Unexpected{std::move(field).error()};
    if (field->number > 3) {
      return Unexpected{"PBLink has an unknown field " + std::to_string(field->number)};
    }
    const std::string_view name = kNames[field->number];
    if (field->number <= last_number) {
      return Unexpected{field_label("PBLink", field->number, name) +
                        " is repeated or out of order (Hash, Name, Tsize)"};
    }
    last_number = field->number;
    const auto expected_wire = field->number == 3 ? kWireVarint : kWireBytes;
    if (auto error = wrong_wire(*field, expected_wire, "PBLink", name)) return Unexpected{*error};
    if (field->number == 1) {
      link.hash = std::string(field->bytes);
      has_hash = true;
    }
    if (field->number == 2) link.name = std::string(field->bytes);
    if (field->number == 3) link.tsize = field->varint;
  }
  if (!has_hash) return Unexpected{std::string("PBLink has no Hash")};
  return link;
}

// Adds the link in `field` (PBNode field 2) to `node`, or says why not.
std::optional<std::string> add_pb_link(const Field& field, PbNode& node) {
  const std::string which = "link " + std::to_string(node.links.size());
  if (node.data) return which + " (PBNode field 2) comes after Data; links must come first";
  if (node.links.size() == max_pb_links) {
    return "more than " + std::to_string(max_pb_links) + " links";
  }
  if (auto error = wrong_wire(field, kWireBytes, "PBNode", "Links")) return error;
  auto link = decode_pb_link(field.bytes);
  if (!link) return which + ": " + link.error();
  node.links.push_back(std::move(*link));
  return std::nullopt;
}

std::string unixfs_error(std::string message) { return "invalid UnixFS data: " + message; }

// Adds one UnixFS blocksizes field, unpacked (a varint) or packed (bytes of varints).
std::optional<std::string> add_blocksizes(const Field& field, UnixfsData& data) {
  if (field.wire == kWireVarint) {
    data.blocksizes.push_back(field.varint);
    return std::nullopt;
  }
  std::string_view packed = field.bytes;
  while (!packed.empty()) {
    auto size = read_field_value(packed, "packed blocksizes");
    if (!size) return size.error();
    data.blocksizes.push_back(*size);
  }
  return std::nullopt;
}

// The wire type each known UnixFS Data field has; blocksizes (4) may be either.
std::optional<std::uint64_t> unixfs_wire(std::uint64_t number) {
  switch (number) {
    case 2:
    case 8:
      return kWireBytes;
    case 1:
    case 3:
    case 5:
    case 6:
    case 7:
      return kWireVarint;
    default:
      return std::nullopt;
  }
}

constexpr std::string_view unixfs_field_name(std::uint64_t number) {
  constexpr std::string_view kNames[] = {"",         "Type",   "Data", "filesize", "blocksizes",
                                         "hashType", "fanout", "mode", "mtime"};
  return number < std::size(kNames) ? kNames[number] : "";
}

// Applies one UnixFS field to `data`; `seen` has a bit per singular field already read.
std::optional<std::string> apply_unixfs_field(const Field& field, UnixfsData& data,
                                              std::uint32_t& seen) {
  const auto name = unixfs_field_name(field.number);
  if (field.number == 4) return add_blocksizes(field, data);
  const auto wire = unixfs_wire(field.number);
  if (!wire) return "unknown field " + std::to_string(field.number);
  if (auto error = wrong_wire(field, *wire, "Data", name)) return error;
  const std::uint32_t bit = 1u << field.number;
  if (seen & bit) return field_label("Data", field.number, name) + " is repeated";
  seen |= bit;
  if (field.number == 1) {
    if (field.varint > static_cast<std::uint64_t>(UnixfsType::hamt_shard)) {
      return "unknown type " + std::to_string(field.varint);
    }
    data.type = static_cast<UnixfsType>(field.varint);
  }
  if (field.number == 2) data.data = std::string(field.bytes);
  if (field.number == 3) data.filesize = field.varint;
  return std::nullopt;
}

}  // namespace

std::string encode_pb_node(const PbNode& node) {
  std::string out;
  for (const auto& link : node.links) {
    std::string encoded;
    put_bytes_field(encoded, 1, link.hash);
    put_bytes_field(encoded, 2, link.name);
    put_varint_field(encoded, 3, link.tsize);
    put_bytes_field(out, 2, encoded);
  }
  if (node.data) put_bytes_field(out, 1, *node.data);
  return out;
}

Expected<PbNode> decode_pb_node(std::string_view block) {
  PbNode node;
  while (!block.empty()) {
    auto field = read_field(block, "PBNode");
    if (!field) return Unexpected{"invalid dag-pb node: " + field.error()};
    std::optional<std::string> error;
    if (field->number == 2) {
      error = add_pb_link(*field, node);
    } else if (field->number != 1) {
      error = "PBNode has an unknown field " + std::to_string(field->number);
    } else if (node.data) {
      error = std::string("PBNode has Data (field 1) twice");
    } else {
      error = wrong_wire(*field, kWireBytes, "PBNode", "Data");
      if (!error) node.data = std::string(field->bytes);
    }
    if (error) return Unexpected{"invalid dag-pb node: " + *error};
  }
  return node;
}

std::string encode_unixfs_data(const UnixfsData& data) {
  std::string out;
  put_varint_field(out, 1, static_cast<std::uint64_t>(data.type));
  if (data.data) put_bytes_field(out, 2, *data.data);
  if (data.filesize) put_varint_field(out, 3, *data.filesize);
  for (const auto size : data.blocksizes) put_varint_field(out, 4, size);
  return out;
}

Expected<UnixfsData> decode_unixfs_data(std::string_view bytes) {
  UnixfsData data;
  std::uint32_t seen = 0;
  while (!bytes.empty()) {
    auto field = read_field(bytes, "Data");
    if (!field) return Unexpected{unixfs_error(std::move(field).error())};
    if (auto error = apply_unixfs_field(*field, data, seen)) {
      return Unexpected{unixfs_error(std::move(*error))};
    }
  }
  if ((seen & (1u << 1)) == 0) return Unexpected{unixfs_error("no Type (field 1)")};
  return data;
}

namespace {

std::string_view unixfs_type_name(UnixfsType type) {
  switch (type) {
    case UnixfsType::directory:
      return "a directory";
    case UnixfsType::metadata:
      return "metadata";
    case UnixfsType::symlink:
      return "a symlink";
    case UnixfsType::hamt_shard:
      return "a HAMT-sharded directory";
    default:
      return "a file";
  }
}

// The content a file node spans, checked against `max_content` (and so against overflow).
std::optional<std::string> bad_file_size(const UnixfsData& unixfs, std::uint64_t max_content) {
  const std::string over =
      "the file node spans more than " + std::to_string(max_content) + " bytes";
  std::uint64_t size = unixfs.data ? unixfs.data->size() : 0;
  if (size > max_content) return over;
  for (const auto block_size : unixfs.blocksizes) {
    if (block_size > max_content - size) return over;
    size += block_size;
  }
  if (unixfs.filesize && *unixfs.filesize != size)
    return "the UnixFS filesize is " + std::to_string(*unixfs.filesize) + ", but its data (" +
           std::to_string(unixfs.data ? unixfs.data->size() : 0) +
           " bytes) and blocksizes add up to " + std::to_string(size);
  return std::nullopt;
}

}  // namespace

Expected<UnixfsFileNode> decode_unixfs_file_node(std::string_view block,
                                                 std::uint64_t max_content) {
  auto node = decode_pb_node(block);
  if (!node) return Unexpected{std::move(node).error()};
  if (!node->data) return Unexpected{std::string("the dag-pb node has no UnixFS data")};
  auto unixfs = decode_unixfs_data(*node->data);
  if (!unixfs) return Unexpected{std::move(unixfs).error()};
  if (unixfs->type != UnixfsType::file && unixfs->type != UnixfsType::raw)
    return Unexpected{"the UnixFS node is " + std::string(unixfs_type_name(unixfs->type)) +
                      ", not a file (type " +
                      std::to_string(static_cast<std::uint64_t>(unixfs->type)) + ")"};
  if (unixfs->blocksizes.size() != node->links.size())
    return Unexpected{"the UnixFS node has " + std::to_string(unixfs->blocksizes.size()) +
                      " blocksizes for " + std::to_string(node->links.size()) + " links"};
  if (auto error = bad_file_size(*unixfs, max_content)) return Unexpected{std::move(*error)};
  return UnixfsFileNode{std::move(*node), std::move(*unixfs)};
}

}  // namespace ocipfs
