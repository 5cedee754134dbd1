// Proof that bytes from a gateway are the content a CID names: raw blocks, dag-pb UnixFS files of
// one block or several (from a CAR, or re-imported from the plain file), and identity CIDs.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/formats/cid.hpp"

namespace ocipfs {

// What a gateway returned for /ipfs/<cid>.
enum class Payload {
  file,   // the file's bytes (a plain path gateway)
  block,  // the block itself (a trustless gateway answering application/vnd.ipld.raw)
  car,    // a CARv1 of the file's blocks (a trustless gateway answering application/vnd.ipld.car)
};

// Bounds on what a proof reads: documents are small, so anything bigger is refused unread.
inline constexpr std::size_t max_proven_size = 1024 * 1024;  // the file's content
inline constexpr std::size_t max_proven_blocks = 1024;       // blocks in its DAG
inline constexpr std::size_t max_proven_depth = 8;           // levels below the root

struct VerifyFailure {
  // mismatch: the bytes are not what the CID names (the gateway lied or broke them).
  // unusable: they are, but not as one whole file of at most max_proven_size (a directory, a
  //           malformed node, too big).
  // incomplete: true so far, but the blocks to prove the rest are missing (one block of several,
  //             a CAR without some of them): another gateway may have them.
  // directory: they are, and the CID names a UnixFS directory, not a file.
  enum class Kind { mismatch, unusable, incomplete, directory } kind = Kind::mismatch;
  std::string message;
};

// Returns the file content that `cid` names, proven from `bytes`, or says why the proof fails:
// - raw: sha256(bytes) is the CID's digest; the content is `bytes` (a CAR: its block for `cid`).
// - dag-pb block: its sha256 is the digest; it decodes to a PBNode without links whose UnixFS
//   data is a file; the content is that data. A node with links is incomplete. A directory's
//   node (as a block, or the root of a CAR) is a directory failure.
// - dag-pb CAR: every block's hash is checked; the DAG is walked from `cid` (UnixFS file and raw
//   nodes, blocksizes and filesize consistent, within the bounds above); a missing block, or a
//   block that the DAG does not reach, refuses the CAR.
// - dag-pb file: the bytes imported as `ipfs add --cid-version=1` does (formats/unixfs.hpp), or
// encoded as
//   one dag-pb block, hash to the CID; otherwise a mismatch whose message says the content may
//   have been added with other parameters.
// - identity: the block is inlined in the CID itself; `bytes` must match it.
Expected<std::string, VerifyFailure> verify_content(const Cid& cid, std::string_view bytes,
                                                    Payload payload);

// The dag-pb block of a UnixFS file that fits in one block, as js-ipfs and kubo encode it.
std::string encode_unixfs_file_block(std::string_view content);

// Decodes a dag-pb block holding one whole UnixFS file (raw or file type, no links).
Expected<std::string> decode_unixfs_file_block(std::string_view block);

}  // namespace ocipfs
