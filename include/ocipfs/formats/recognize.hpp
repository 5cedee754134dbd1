// What a CID names when it is no document, recognized from the bytes a gateway returned: so that
// a user who gave a directory's or a tarball's CID is told so, and which CID to give. Pure.
#pragma once

#include <optional>
#include <string_view>

#include "ocipfs/formats/cid.hpp"

namespace ocipfs {

// True when `block` is a dag-pb node whose UnixFS type is a directory (or a HAMT-sharded one).
bool is_unixfs_directory_block(std::string_view block);

// "a gzip stream", "a zstd stream" or "a tar archive" when `content` starts as one, else nullopt.
std::optional<std::string_view> recognize_archive(std::string_view content);

// True when `body` is a gateway's web page listing the directory `cid`: text/html that names
// "/ipfs/<cid>/" (as js-ipfs and kubo title their listings). Not a proof: a gateway may say so.
bool is_directory_listing(const Cid& cid, std::string_view content_type, std::string_view body);

}  // namespace ocipfs
