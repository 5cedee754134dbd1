// The UnixFS importer: the CIDs and blocks that `ipfs add --cid-version=1` computes, streamed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/formats/cid.hpp"

namespace ocipfs {

// Kubo's and js-ipfs's defaults for CIDv1: fixed 256 KiB chunks, raw leaves, a balanced DAG of
// dag-pb UnixFS File nodes with at most 174 links each, sha2-256.
inline constexpr std::size_t unixfs_chunk_size = 262144;
inline constexpr std::size_t unixfs_max_links = 174;

// How the importer cuts a file and links the pieces: Kubo's defaults, or smaller for tests that
// want deep trees from little content. chunk_size > 0, max_links >= 2.
struct ImportLayout {
  std::size_t chunk_size = unixfs_chunk_size;
  std::size_t max_links = unixfs_max_links;
};

// Receives every block as it is made, children before their parents; each block is given once
// per import (the same chunk content twice in one file is given twice). An empty BlockSink
// discards them (for computing CIDs only).
using BlockSink = std::function<void(const Cid& cid, std::string_view block)>;

struct ImportedNode {
  Cid cid;
  std::uint64_t file_size = 0;  // the content's bytes (0 for a directory)
  std::uint64_t tsize = 0;      // every block of its DAG in bytes: a link's Tsize to it
};

// Imports one file whose bytes arrive in pieces of any size. Memory is bounded by one chunk and
// one pending link list per tree level, whatever the file's size.
class FileImporter {
 public:
  explicit FileImporter(BlockSink sink, ImportLayout layout = {});
  ~FileImporter();
  FileImporter(FileImporter&&) noexcept;
  FileImporter& operator=(FileImporter&&) noexcept;

  void write(std::string_view bytes);
  // Flushes the last chunk and builds the parents up to the root. A file of at most one chunk is
  // its raw block (the empty file included). Call once; the importer is spent afterwards.
  ImportedNode finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// import_file(content) is FileImporter{sink, layout}.write(content).finish().
ImportedNode import_file(std::string_view content, const BlockSink& sink,
                         const ImportLayout& layout = {});

struct DirectoryEntry {
  std::string name;  // one path component: not empty, no '/', not "." or ".."
  ImportedNode node;
};

// A UnixFS Directory node naming `entries` (sorted here by name, bytewise), as
// `ipfs add --wrap-with-directory` makes it. Refuses bad or duplicate names.
Expected<ImportedNode> import_directory(std::vector<DirectoryEntry> entries, const BlockSink& sink);

}  // namespace ocipfs
