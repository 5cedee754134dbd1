// The ranges a client asked for, cut out of a body that streams whole or from a span of it: one
// range as it is, several as multipart/byteranges; the last piece held until the body has ended
// well.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ocipfs/http/byte_ranges.hpp"
#include "ocipfs/http/exchange.hpp"

namespace ocipfs {

// `body` gives every byte of the body from `first` on, in order, and fails rather than end wrong
// (a layer proven against its digest, or a span proven block by block). The ranged body reads
// all of it, to its end: a proof that covers the whole body covers the ranges only once the whole
// has passed, so the last piece of the last range goes out after that, or never. `ranges` are in
// bounds, from `first` on, in ascending order, and do not overlap; with more than one,
// `multipart` frames them (plan_multipart, in that order).
class RangedBody final : public BodyStream {
 public:
  RangedBody(std::unique_ptr<BodyStream> body, std::uint64_t first, std::vector<ByteRange> ranges,
             MultipartPlan multipart = {});

  boost::asio::awaitable<Expected<std::string_view>> next() override;
  // The multipart Content-Type ("multipart/byteranges; boundary=..."), empty for one range.
  std::string_view content_type() const { return multipart_.content_type; }

 private:
  // Appends to out_ what the body's bytes [offset_, offset_ + piece.size()) give of the ranges.
  void cut(std::string_view piece);

  std::unique_ptr<BodyStream> body_;
  std::vector<ByteRange> ranges_;
  MultipartPlan multipart_;
  std::size_t next_range_ = 0;  // the first range not wholly given yet
  bool head_sent_ = false;      // of ranges_[next_range_], when multipart
  std::uint64_t offset_;        // of the body, read so far
  std::string out_;             // what the next call gives
  std::string held_;            // the end, given once the whole body has ended well
  bool ended_ = false;
};

}  // namespace ocipfs
