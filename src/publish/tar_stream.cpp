#include "tar_stream.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "ocipfs/base/text.hpp"
#include "step_failure.hpp"

namespace ocipfs::publish_detail {

namespace fs = std::filesystem;

TarStream::TarStream(const fs::path& path, Compression compression, const StoredObserver& observe)
    : path_(path),
      compression_(compression),
      file_(value_or_fail(open_regular_file(path), "cannot read " + path_in_quotes(path) + ": ")),
      observe_(observe) {
  if (compression_ == Compression::gzip) {
    gzip_ = std::make_unique<z_stream>();
    if (inflateInit2(gzip_.get(), 16 + MAX_WBITS) != Z_OK) fail("cannot initialize zlib");
  } else if (compression_ == Compression::zstd) {
    zstd_ = ZSTD_createDStream();
    if (!zstd_) fail("cannot initialize zstd");
  }
}

TarStream::~TarStream() {
  if (gzip_) inflateEnd(gzip_.get());
  if (zstd_) ZSTD_freeDStream(zstd_);
}

std::string_view TarStream::next() {
  switch (compression_) {
    case Compression::none: {
      std::size_t n = read_stored();
      const char* data = in_.data() + in_pos_;
      in_pos_ = in_size_;
      tar_hash_.update(data, n);
      tar_size_ += n;
      return {data, n};
    }
    case Compression::gzip:
      return deliver(next_gzip());
    case Compression::zstd:
      return deliver(next_zstd());
  }
  return {};
}

std::string_view TarStream::peek() {
  if (in_pos_ == in_size_ && !eof_) {
    in_size_ = std::fread(in_.data(), 1, in_.size(), file_.get());
    in_pos_ = 0;
    after_read(in_size_);
  }
  return {in_.data() + in_pos_, in_size_ - in_pos_};
}

std::string_view TarStream::deliver(std::size_t n) {
  tar_hash_.update(out_.data(), n);
  tar_size_ += n;
  return {out_.data(), n};
}

void TarStream::after_read(std::size_t n) {
  if (n < in_.size()) {
    if (std::ferror(file_.get()))
      fail("cannot read " + path_in_quotes(path_) + ": " + std::strerror(errno));
    eof_ = true;
  }
  stored_hash_.update(in_.data(), n);
  stored_size_ += n;
  if (observe_ && n) observe_(std::string_view(in_.data(), n));
}

// Refills the input buffer when it is used up; returns the bytes now available.
std::size_t TarStream::read_stored() {
  if (in_pos_ < in_size_) return in_size_ - in_pos_;
  if (eof_) return in_size_ = in_pos_ = 0;
  in_size_ = std::fread(in_.data(), 1, in_.size(), file_.get());
  in_pos_ = 0;
  after_read(in_size_);
  return in_size_;
}

void TarStream::corrupt(std::string_view what) {
  fail(path_in_quotes(path_) + " is not valid " + std::string(compression_name(compression_)) +
       " data: " + std::string(what));
}

std::size_t TarStream::next_gzip() {
  z_stream& z = *gzip_;
  while (!done_) {
    std::size_t available = read_stored();
    if (available == 0) {
      if (stored_size_ == 0) corrupt("the file is empty");
      if (member_started_) corrupt("unexpected end of file (truncated?)");
      done_ = true;
      break;
    }
    if (!member_started_) {
      // Another gzip member follows the previous one (as `gzip -dc` reads them).
      if (inflateReset(&z) != Z_OK) corrupt("cannot reset the decompressor");
      member_started_ = true;
    }
    z.next_in = reinterpret_cast<Bytef*>(in_.data() + in_pos_);
    z.avail_in = static_cast<uInt>(available);
    z.next_out = reinterpret_cast<Bytef*>(out_.data());
    z.avail_out = static_cast<uInt>(out_.size());
    int result = inflate(&z, Z_NO_FLUSH);
    in_pos_ = in_size_ - z.avail_in;
    std::size_t produced = out_.size() - z.avail_out;
    if (result == Z_STREAM_END) {
      member_started_ = false;
    } else if (result != Z_OK && result != Z_BUF_ERROR) {
      corrupt(z.msg ? z.msg : "inflate failed (" + std::to_string(result) + ")");
    }
    if (produced > 0) return produced;
  }
  return 0;
}

std::size_t TarStream::next_zstd() {
  while (!done_) {
    std::size_t available = read_stored();
    if (available == 0) {
      if (frame_open_) corrupt("unexpected end of file (truncated?)");
      if (stored_size_ == 0) corrupt("the file is empty");
      done_ = true;
      break;
    }
    ZSTD_inBuffer input{in_.data() + in_pos_, available, 0};
    ZSTD_outBuffer output{out_.data(), out_.size(), 0};
    std::size_t result = ZSTD_decompressStream(zstd_, &output, &input);
    if (ZSTD_isError(result)) corrupt(ZSTD_getErrorName(result));
    in_pos_ += input.pos;
    frame_open_ = result != 0;
    if (output.pos > 0) return output.pos;
  }
  return 0;
}

}  // namespace ocipfs::publish_detail
