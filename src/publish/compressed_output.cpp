#include "compressed_output.hpp"

#include <string_view>
#include <utility>

#include "step_failure.hpp"

namespace ocipfs::publish_detail {

namespace fs = std::filesystem;

namespace {

constexpr int gzip_level = 6;  // gzip's default
constexpr int zstd_level = 3;  // zstd's default

AtomicFile created(const fs::path& target) {
  auto file = AtomicFile::create(target);
  if (!file) fail(file.error());
  return std::move(*file);
}

}  // namespace

StoredOutput::StoredOutput(const fs::path& target, const StoredObserver& observe)
    : file_(created(target)), observe_(observe) {}

void StoredOutput::write(const void* data, std::size_t size) {
  if (size == 0) return;
  std::string_view bytes(static_cast<const char*>(data), size);
  if (auto written = file_.write(bytes); !written) fail(written.error());
  hash_.update(data, size);
  if (observe_) observe_(bytes);
}

void StoredOutput::commit() {
  if (auto committed = file_.commit(); !committed) fail(committed.error());
}

Compressor::Compressor(StoredOutput& out, Compression compression)
    : out_(out), compression_(compression) {
  if (compression_ == Compression::gzip) {
    gzip_ = std::make_unique<z_stream>();
    // windowBits 16 + 15: a gzip wrapper whose header has no name and mtime 0.
    if (deflateInit2(gzip_.get(), gzip_level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
      fail("cannot initialize zlib");
  } else if (compression_ == Compression::zstd) {
    zstd_ = ZSTD_createCCtx();
    if (!zstd_ ||
        ZSTD_isError(ZSTD_CCtx_setParameter(zstd_, ZSTD_c_compressionLevel, zstd_level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(zstd_, ZSTD_c_checksumFlag, 1)))
      fail("cannot initialize zstd");
  }
}

Compressor::~Compressor() {
  if (gzip_) deflateEnd(gzip_.get());
  if (zstd_) ZSTD_freeCCtx(zstd_);
}

void Compressor::write(const void* data, std::size_t size) {
  tar_hash_.update(data, size);
  process(data, size, false);
}

void Compressor::process(const void* data, std::size_t size, bool last) {
  switch (compression_) {
    case Compression::none:
      out_.write(data, size);
      return;
    case Compression::gzip:
      deflate_gzip(data, size, last);
      return;
    case Compression::zstd:
      compress_zstd(data, size, last);
      return;
  }
}

void Compressor::deflate_gzip(const void* data, std::size_t size, bool last) {
  z_stream& z = *gzip_;
  z.next_in = static_cast<Bytef*>(const_cast<void*>(data));
  z.avail_in = static_cast<uInt>(size);
  int result = Z_OK;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buffer_.data());
    z.avail_out = static_cast<uInt>(buffer_.size());
    result = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
    if (result == Z_STREAM_ERROR) fail("zlib failed to compress");
    out_.write(buffer_.data(), buffer_.size() - z.avail_out);
  } while (z.avail_out == 0 || (last && result != Z_STREAM_END));
}

void Compressor::compress_zstd(const void* data, std::size_t size, bool last) {
  ZSTD_inBuffer input{data, size, 0};
  std::size_t remaining = 0;
  do {
    ZSTD_outBuffer output{buffer_.data(), buffer_.size(), 0};
    remaining = ZSTD_compressStream2(zstd_, &output, &input, last ? ZSTD_e_end : ZSTD_e_continue);
    if (ZSTD_isError(remaining))
      fail(std::string("zstd failed to compress: ") + ZSTD_getErrorName(remaining));
    out_.write(buffer_.data(), output.pos);
  } while (last ? remaining != 0 : input.pos < input.size);
}

}  // namespace ocipfs::publish_detail
