#include "ocipfs/http/ranged_body.hpp"

#include <algorithm>
#include <utility>

namespace ocipfs {

RangedBody::RangedBody(std::unique_ptr<BodyStream> body, std::uint64_t first,
                       std::vector<ByteRange> ranges, MultipartPlan multipart)
    : body_(std::move(body)),
      ranges_(std::move(ranges)),
      multipart_(std::move(multipart)),
      offset_(first) {}

void RangedBody::cut(std::string_view piece) {
  const bool framed = ranges_.size() > 1;
  const bool was_open = next_range_ < ranges_.size();
  const std::uint64_t end = offset_ + piece.size();
  while (next_range_ < ranges_.size()) {
    const ByteRange& range = ranges_[next_range_];
    if (range.first >= end) break;
    if (framed && !head_sent_) {
      out_ += multipart_.part_heads[next_range_];
      head_sent_ = true;
    }
    const std::uint64_t from = std::max(range.first, offset_);
    const std::uint64_t to = std::min(range.last + 1, end);
    out_.append(piece.substr(from - offset_, to - from));
    if (range.last + 1 > end) break;
    ++next_range_;
    head_sent_ = false;
  }
  if (framed && was_open && next_range_ == ranges_.size()) out_ += multipart_.closing;
  offset_ = end;
}

boost::asio::awaitable<Expected<std::string_view>> RangedBody::next() {
  out_.clear();
  while (!ended_) {
    auto piece = co_await body_->next();
    if (!piece) co_return Unexpected{std::move(piece).error()};
    if (piece->empty()) {
      ended_ = true;
      out_ = std::move(held_);
      co_return std::string_view(out_);
    }
    const bool was_open = next_range_ < ranges_.size();
    cut(*piece);
    // The end of the last range waits for the whole body's end.
    if (was_open && next_range_ == ranges_.size()) {
      held_ = std::move(out_);
      out_.clear();
      continue;
    }
    if (!out_.empty()) co_return std::string_view(out_);
  }
  co_return std::string_view();
}

}  // namespace ocipfs
