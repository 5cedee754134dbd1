// The layer tarball being written: a tar stream compressed (gzip or zstd, reproducibly) into an
// AtomicFile, both the tar stream and the stored bytes hashed, the stored bytes shown to an
// observer. Private to src/publish (pack).
#pragma once

#include <zlib.h>
#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "layer_compression.hpp"
#include "ocipfs/base/digest.hpp"
#include "ocipfs/publish/atomic_file.hpp"
#include "ocipfs/publish/layer_tarball.hpp"

namespace ocipfs::publish_detail {

// The stored tarball: an AtomicFile, hashed and shown to the observer as it is written. It
// appears under its name only at commit(). Fails (StepFailure) when it cannot be written.
class StoredOutput {
 public:
  // `observe` must outlive the output.
  StoredOutput(const std::filesystem::path& target, const StoredObserver& observe);

  void write(const void* data, std::size_t size);
  void commit();

  std::string digest() { return hash_.digest(); }
  std::uint64_t size() const { return file_.size(); }

 private:
  AtomicFile file_;
  const StoredObserver& observe_;
  Sha256Stream hash_;
};

// Compresses the tar stream it is given into `out`, hashing the tar stream: gzip with no name
// and mtime 0 at level 6, or zstd at level 3 with a checksum, or as it is. Call finish() once,
// at the end, before out.commit().
class Compressor {
 public:
  Compressor(StoredOutput& out, Compression compression);
  ~Compressor();
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  void write(const void* data, std::size_t size);
  void finish() { process(nullptr, 0, true); }
  std::string tar_digest() { return tar_hash_.digest(); }

 private:
  void process(const void* data, std::size_t size, bool last);
  void deflate_gzip(const void* data, std::size_t size, bool last);
  void compress_zstd(const void* data, std::size_t size, bool last);

  StoredOutput& out_;
  Compression compression_;
  std::unique_ptr<z_stream> gzip_;
  ZSTD_CCtx* zstd_ = nullptr;
  std::vector<char> buffer_ = std::vector<char>(tar_chunk_size);
  Sha256Stream tar_hash_;
};

}  // namespace ocipfs::publish_detail
