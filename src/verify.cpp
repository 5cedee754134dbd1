#include "ocipfs/verify.hpp"

#include <cstring>
#include <optional>

#include "ocipfs/digest.hpp"

namespace ocipfs {

namespace {

// Protobuf wire types used by dag-pb and UnixFS.
constexpr std::uint64_t wire_varint = 0;
constexpr std::uint64_t wire_bytes = 2;

// UnixFS Data.Type values.
constexpr std::uint64_t unixfs_raw = 0;
constexpr std::uint64_t unixfs_file = 2;

struct Field {
  std::uint64_t number = 0;
  std::uint64_t wire = 0;
  std::uint64_t varint = 0;
  std::string_view bytes;
};

// Reads the next protobuf field from `in`, or an error. Only varint and length-delimited fields
// occur in dag-pb and UnixFS; anything else is malformed.
Expected<Field> next_field(std::string_view& in) {
  auto key = varint_decode(in);
  if (!key) return Unexpected{"malformed protobuf: " + key.error()};
  Field field{*key >> 3, *key & 7, 0, {}};
  if (field.number == 0) return Unexpected{std::string("malformed protobuf: field number 0")};
  if (field.wire == wire_varint) {
    auto value = varint_decode(in);
    if (!value) return Unexpected{"malformed protobuf: " + value.error()};
    field.varint = *value;
  } else if (field.wire == wire_bytes) {
    auto length = varint_decode(in);
    if (!length) return Unexpected{"malformed protobuf: " + length.error()};
    if (*length > in.size()) return Unexpected{std::string("malformed protobuf: truncated field")};
    field.bytes = in.substr(0, *length);
    in.remove_prefix(*length);
  } else {
    return Unexpected{"malformed protobuf: unexpected wire type " + std::to_string(field.wire)};
  }
  return field;
}

std::string bytes_field(std::uint64_t number, std::string_view bytes) {
  return varint_encode(number << 3 | wire_bytes) + varint_encode(bytes.size()) + std::string(bytes);
}

std::string varint_field(std::uint64_t number, std::uint64_t value) {
  return varint_encode(number << 3 | wire_varint) + varint_encode(value);
}

bool digest_matches(const Cid& cid, std::string_view block) {
  if (cid.hash == multihash::identity) return cid.digest == block;
  auto hash = sha256(block);
  return cid.digest.size() == hash.size() &&
         std::memcmp(cid.digest.data(), hash.data(), hash.size()) == 0;
}

const char* const mismatch = "the gateway returned content that does not match the CID";

}  // namespace

std::string encode_unixfs_file_block(std::string_view content) {
  std::string unixfs = varint_field(1, unixfs_file);
  if (!content.empty()) unixfs += bytes_field(2, content);
  unixfs += varint_field(3, content.size());
  return bytes_field(1, unixfs);
}

Expected<std::string> decode_unixfs_file_block(std::string_view block) {
  std::optional<std::string_view> data;
  std::size_t links = 0;
  while (!block.empty()) {
    auto field = next_field(block);
    if (!field) return Unexpected{"the dag-pb node is invalid: " + field.error()};
    if (field->number == 2 && field->wire == wire_bytes) {
      ++links;
    } else if (field->number == 1 && field->wire == wire_bytes) {
      if (data) return Unexpected{std::string("the dag-pb node has two Data fields")};
      data = field->bytes;
    } else {
      return Unexpected{"the dag-pb node has an unknown field " + std::to_string(field->number)};
    }
  }
  if (links > 0)
    return Unexpected{"the content spans " + std::to_string(links) +
                      " blocks (a dag-pb node with links); a layer manifest must fit in one block"};
  if (!data) return Unexpected{std::string("the dag-pb node has no UnixFS data")};

  std::string_view unixfs = *data;
  std::optional<std::uint64_t> type, filesize;
  std::string_view content;
  while (!unixfs.empty()) {
    auto field = next_field(unixfs);
    if (!field) return Unexpected{"the UnixFS data is invalid: " + field.error()};
    if (field->number == 1 && field->wire == wire_varint) {
      type = field->varint;
    } else if (field->number == 2 && field->wire == wire_bytes) {
      content = field->bytes;
    } else if (field->number == 3 && field->wire == wire_varint) {
      filesize = field->varint;
    } else if (field->number == 4) {
      return Unexpected{std::string("the UnixFS file has block sizes: it spans several blocks")};
    }
    // Other fields (mode, mtime, hash type, fanout) do not change the content.
  }
  if (!type || (*type != unixfs_file && *type != unixfs_raw))
    return Unexpected{std::string("the UnixFS node is not a file")};
  if (filesize && *filesize != content.size())
    return Unexpected{std::string("the UnixFS file size does not match its data")};
  return std::string(content);
}

Expected<std::string, VerifyFailure> verify_content(const Cid& cid, std::string_view bytes,
                                                    Payload payload) {
  const VerifyFailure mismatched{VerifyFailure::Kind::mismatch, mismatch};
  auto unusable = [](std::string message) {
    return Unexpected{VerifyFailure{VerifyFailure::Kind::unusable, std::move(message)}};
  };
  if (cid.codec == multicodec::raw) {
    if (!digest_matches(cid, bytes)) return Unexpected{mismatched};
    return std::string(bytes);
  }
  if (cid.codec != multicodec::dag_pb) return unusable("only raw and dag-pb CIDs can be verified");
  if (payload == Payload::block) {
    if (!digest_matches(cid, bytes)) return Unexpected{mismatched};
    auto content = decode_unixfs_file_block(bytes);
    if (!content) return unusable(content.error());
    return std::move(*content);
  }
  if (digest_matches(cid, encode_unixfs_file_block(bytes))) return std::string(bytes);
  // The bytes may be an inlined block, or the file of a node we cannot rebuild (several blocks).
  if (cid.hash == multihash::identity) {
    auto content = decode_unixfs_file_block(cid.digest);
    if (content && *content == bytes) return std::string(bytes);
  }
  return Unexpected{VerifyFailure{
      VerifyFailure::Kind::mismatch,
      std::string(mismatch) + " (or the content spans several blocks; a layer manifest must fit "
                              "in one)"}};
}

}  // namespace ocipfs
