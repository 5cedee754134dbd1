// A stored layer tarball read as a tar stream: the stored bytes hashed (and shown to an
// observer), decompressed (gzip, several members as `gzip -dc` reads them, or zstd), and handed
// out, the tar stream hashed too. Private to src/publish (pack).
#pragma once

#include <zlib.h>
#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "layer_compression.hpp"
#include "ocipfs/base/digest.hpp"
#include "ocipfs/publish/layer_tarball.hpp"
#include "ocipfs/publish/regular_file.hpp"

namespace ocipfs::publish_detail {

// Fails (StepFailure) with one line naming the file: when it cannot be read, when its compressed
// data is corrupt, empty or truncated. The observer's exceptions pass through.
class TarStream {
 public:
  // Opens `path` (a regular file); `observe` must outlive the stream.
  TarStream(const std::filesystem::path& path, Compression compression,
            const StoredObserver& observe);
  ~TarStream();
  TarStream(const TarStream&) = delete;
  TarStream& operator=(const TarStream&) = delete;

  // The next bytes of the tar stream; empty at its end. Valid until the next call.
  std::string_view next();

  // The first stored bytes, without consuming them (read ahead into the input buffer).
  std::string_view peek();

  // Of what was read so far: at the end, the tarball's digest and size and its diff_id.
  std::string stored_digest() { return stored_hash_.digest(); }
  std::string tar_digest() { return tar_hash_.digest(); }
  std::uint64_t stored_size() const { return stored_size_; }

 private:
  std::string_view deliver(std::size_t n);
  void after_read(std::size_t n);
  std::size_t read_stored();
  [[noreturn]] void corrupt(std::string_view what);
  std::size_t next_gzip();
  std::size_t next_zstd();

  std::filesystem::path path_;
  Compression compression_;
  InputFile file_;
  const StoredObserver& observe_;
  std::unique_ptr<z_stream> gzip_;
  ZSTD_DStream* zstd_ = nullptr;
  std::vector<char> in_ = std::vector<char>(tar_chunk_size);
  std::vector<char> out_ = std::vector<char>(tar_chunk_size);
  std::size_t in_pos_ = 0;
  std::size_t in_size_ = 0;
  bool eof_ = false;
  bool done_ = false;
  bool member_started_ = true;  // gzip: inside a member (the first starts at once)
  bool frame_open_ = false;     // zstd: inside a frame
  Sha256Stream stored_hash_;
  Sha256Stream tar_hash_;
  std::uint64_t stored_size_ = 0;
  std::uint64_t tar_size_ = 0;
};

}  // namespace ocipfs::publish_detail
