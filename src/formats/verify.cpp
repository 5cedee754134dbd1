#include "ocipfs/formats/verify.hpp"

#include <set>
#include <utility>

#include "ocipfs/formats/car.hpp"
#include "ocipfs/formats/dag_pb.hpp"
#include "ocipfs/formats/recognize.hpp"
#include "ocipfs/formats/unixfs.hpp"

namespace ocipfs {

namespace {

using Verified = Expected<std::string, VerifyFailure>;

const char* const mismatch = "the gateway returned content that does not match the CID";

Unexpected<VerifyFailure> failure(VerifyFailure::Kind kind, std::string message) {
  return Unexpected{VerifyFailure{kind, std::move(message)}};
}

Expected<UnixfsFileNode> decode_file_node(std::string_view block) {
  return decode_unixfs_file_node(block, max_proven_size);
}

// Why the proven block of `cid` is no file: a directory, or unusable for `why`.
Unexpected<VerifyFailure> not_a_file(const Cid& cid, std::string_view block, std::string why) {
  if (is_unixfs_directory_block(block))
    return failure(VerifyFailure::Kind::directory, cid.to_string() + " is a UnixFS directory");
  return failure(VerifyFailure::Kind::unusable, std::move(why));
}

// Walks a file's DAG through the blocks of a CAR, children in link order, appending content.
class DagReader {
 public:
  explicit DagReader(const Car& car) : car_(car) {}

  // Appends the content of the file `cid` names, `depth` levels below the root.
  Expected<std::uint64_t, VerifyFailure> read(const Cid& cid, std::size_t depth);

  // Fails when the CAR holds a block the walk did not reach.
  Expected<std::string, VerifyFailure> content() &&;

 private:
  Expected<std::uint64_t, VerifyFailure> read_node(const Cid& cid, std::string_view block,
                                                   std::size_t depth);
  Expected<std::uint64_t, VerifyFailure> append(std::string_view data);

  const Car& car_;
  std::string content_;
  std::size_t blocks_ = 0;
  std::set<std::string> reached_;  // binary CIDv1s
};

Expected<std::uint64_t, VerifyFailure> DagReader::append(std::string_view data) {
  if (content_.size() + data.size() > max_proven_size)
    return failure(VerifyFailure::Kind::unusable,
                   "the content is over " + std::to_string(max_proven_size) + " bytes");
  content_.append(data);
  return data.size();
}

Expected<std::uint64_t, VerifyFailure> DagReader::read(const Cid& cid, std::size_t depth) {
  if (depth > max_proven_depth || ++blocks_ > max_proven_blocks)
    return failure(VerifyFailure::Kind::unusable,
                   "the DAG is more than " + std::to_string(max_proven_depth) + " levels deep or " +
                       std::to_string(max_proven_blocks) + " blocks big");
  std::string_view bytes = cid.digest;  // an identity CID holds its block
  if (cid.hash != multihash::identity) {
    const CarBlock* block = find_block(car_, cid);
    if (!block)
      return failure(VerifyFailure::Kind::incomplete,
                     "the CAR lacks the block " + cid.to_string() + " of the DAG");
    reached_.insert(cid.v1_bytes());
    bytes = block->bytes;
  }
  if (cid.codec == multicodec::raw) return append(bytes);
  return read_node(cid, bytes, depth);
}

Expected<std::uint64_t, VerifyFailure> DagReader::read_node(const Cid& cid, std::string_view block,
                                                            std::size_t depth) {
  auto file = decode_file_node(block);
  if (!file && depth == 0) return not_a_file(cid, block, cid.to_string() + ": " + file.error());
  if (!file) return failure(VerifyFailure::Kind::unusable, cid.to_string() + ": " + file.error());
  const auto& [node, unixfs] = *file;
  std::uint64_t size = 0;
  if (unixfs.data) {
    auto appended = append(*unixfs.data);
    if (!appended) return appended;
    size += *appended;
  }
  for (std::size_t i = 0; i < node.links.size(); ++i) {
    auto child = parse_binary_cid(node.links[i].hash);
    if (!child)
      return failure(VerifyFailure::Kind::unusable, cid.to_string() + ": a link's CID is invalid");
    auto read_size = read(*child, depth + 1);
    if (!read_size) return read_size;
    if (*read_size != unixfs.blocksizes[i])
      return failure(VerifyFailure::Kind::unusable,
                     cid.to_string() + ": a child's size differs from its blocksize");
    size += *read_size;
  }
  return size;  // decode_file_node holds filesize to the data and the blocksizes
}

Expected<std::string, VerifyFailure> DagReader::content() && {
  for (const CarBlock& block : car_.blocks)
    if (!reached_.contains(block.cid.v1_bytes()))
      return failure(VerifyFailure::Kind::mismatch,
                     "the CAR holds the block " + block.cid.to_string() + ", outside the DAG");
  return std::move(content_);
}

Verified verify_car(const Cid& cid, std::string_view bytes) {
  CarLimits limits;
  limits.max_blocks = max_proven_blocks;
  limits.max_total_size = max_proven_size + 64 * 1024;
  auto car = parse_car(bytes, limits);
  if (!car) return failure(VerifyFailure::Kind::mismatch, "the gateway's CAR: " + car.error());
  DagReader reader(*car);
  auto size = reader.read(cid, 0);
  if (!size) return Unexpected{std::move(size).error()};
  return std::move(reader).content();
}

Verified verify_block(const Cid& cid, std::string_view block) {
  if (!cid_names_block(cid, block)) return failure(VerifyFailure::Kind::mismatch, mismatch);
  auto file = decode_file_node(block);
  if (!file) return not_a_file(cid, block, file.error());
  if (!file->node.links.empty())
    return failure(VerifyFailure::Kind::incomplete,
                   "the gateway sent one block of a document that spans " +
                       std::to_string(file->node.links.size() + 1) +
                       " blocks (a trustless gateway sends them all in a CAR)");
  return file->unixfs.data.value_or("");
}

Verified verify_file(const Cid& cid, std::string_view bytes) {
  if (cid_names_block(cid, encode_unixfs_file_block(bytes))) return std::string(bytes);
  // The bytes may be an inlined block.
  if (cid.hash == multihash::identity) {
    auto content = decode_unixfs_file_block(cid.digest);
    if (content && *content == bytes) return std::string(bytes);
    return failure(VerifyFailure::Kind::mismatch, mismatch);
  }
  if (bytes.size() <= max_proven_size &&
      import_file(bytes, [](const Cid&, std::string_view) {}).cid == cid)
    return std::string(bytes);
  return failure(VerifyFailure::Kind::mismatch,
                 std::string(mismatch) +
                     " (or the content was added to IPFS with other parameters than CIDv1, raw "
                     "leaves and 256 KiB chunks; a trustless gateway can prove it with a CAR)");
}

}  // namespace

std::string encode_unixfs_file_block(std::string_view content) {
  UnixfsData unixfs{UnixfsType::file, std::nullopt, content.size(), {}};
  if (!content.empty()) unixfs.data = std::string(content);
  return encode_pb_node(PbNode{{}, encode_unixfs_data(unixfs)});
}

Expected<std::string> decode_unixfs_file_block(std::string_view block) {
  auto file = decode_file_node(block);
  if (!file) return Unexpected{std::move(file).error()};
  if (!file->node.links.empty())
    return Unexpected{"the content spans " + std::to_string(file->node.links.size()) +
                      " more blocks (a dag-pb node with links); it must fit in one block here"};
  return file->unixfs.data.value_or("");
}

Expected<std::string, VerifyFailure> verify_content(const Cid& cid, std::string_view bytes,
                                                    Payload payload) {
  if (cid.codec != multicodec::raw && cid.codec != multicodec::dag_pb)
    return failure(VerifyFailure::Kind::unusable, "only raw and dag-pb CIDs can be verified");
  if (payload == Payload::car) return verify_car(cid, bytes);
  if (cid.codec == multicodec::raw) {
    if (!cid_names_block(cid, bytes)) return failure(VerifyFailure::Kind::mismatch, mismatch);
    return std::string(bytes);
  }
  if (payload == Payload::block) return verify_block(cid, bytes);
  return verify_file(cid, bytes);
}

}  // namespace ocipfs
