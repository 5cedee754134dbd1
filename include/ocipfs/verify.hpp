// Proof that bytes from a gateway are the content a CID names: raw blocks, single-block dag-pb
// UnixFS files, and identity CIDs.
#pragma once

#include <string>
#include <string_view>

#include "ocipfs/cid.hpp"
#include "ocipfs/expected.hpp"

namespace ocipfs {

// What a gateway returned for /ipfs/<cid>.
enum class Payload {
  file,   // the file's bytes (a plain path gateway)
  block,  // the block itself (a trustless gateway answering application/vnd.ipld.raw)
};

struct VerifyFailure {
  // mismatch: the bytes are not what the CID names (the gateway lied or broke them).
  // unusable: they are, but not as one whole file (several blocks, a directory).
  enum class Kind { mismatch, unusable } kind = Kind::mismatch;
  std::string message;
};

// Returns the file content that `cid` names, proven from `bytes`, or says why the proof fails:
// - raw: sha256(bytes) is the CID's digest; the content is `bytes`.
// - dag-pb block: its sha256 is the digest; it decodes to a PBNode without links whose UnixFS
//   data is a file; the content is that data.
// - dag-pb file: the single-block dag-pb encoding of `bytes` hashes to the digest.
// - identity: the block is inlined in the CID itself; `bytes` must match it.
Expected<std::string, VerifyFailure> verify_content(const Cid& cid, std::string_view bytes,
                                                    Payload payload);

// The dag-pb block of a UnixFS file that fits in one block, as js-ipfs and kubo encode it.
std::string encode_unixfs_file_block(std::string_view content);

// Decodes a dag-pb block holding one whole UnixFS file (raw or file type, no links).
Expected<std::string> decode_unixfs_file_block(std::string_view block);

}  // namespace ocipfs
