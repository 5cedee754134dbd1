#include "ocipfs/formats/recognize.hpp"

#include <string>

#include "ocipfs/formats/dag_pb.hpp"

namespace ocipfs {

bool is_unixfs_directory_block(std::string_view block) {
  auto node = decode_pb_node(block);
  if (!node || !node->data) return false;
  auto unixfs = decode_unixfs_data(*node->data);
  return unixfs &&
         (unixfs->type == UnixfsType::directory || unixfs->type == UnixfsType::hamt_shard);
}

std::optional<std::string_view> recognize_archive(std::string_view content) {
  if (content.starts_with("\x1f\x8b\x08")) return "a gzip stream";  // magic, then deflate
  if (content.starts_with("\x28\xb5\x2f\xfd")) return "a zstd stream";
  constexpr std::size_t tar_magic_at = 257;  // POSIX ustar and GNU tar headers
  if (content.size() >= 512 && content.substr(tar_magic_at, 5) == "ustar") return "a tar archive";
  return std::nullopt;
}

bool is_directory_listing(const Cid& cid, std::string_view content_type, std::string_view body) {
  if (!content_type.starts_with("text/html")) return false;
  constexpr std::size_t looked_at = 4096;  // a listing names its directory in its title
  std::string name = "/ipfs/" + cid.to_string() + "/";
  return body.substr(0, looked_at).find(name) != std::string_view::npos;
}

}  // namespace ocipfs
