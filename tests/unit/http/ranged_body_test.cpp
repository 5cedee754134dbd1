#include "ocipfs/http/ranged_body.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/body_stream.hpp"

namespace ocipfs {
namespace {

// A body given in pieces of `piece` bytes; with `fail_at_end`, an error instead of its end.
class PiecesStream final : public BodyStream {
 public:
  PiecesStream(std::string body, std::size_t piece, bool fail_at_end)
      : body_(std::move(body)), piece_(piece), fail_at_end_(fail_at_end) {}

  boost::asio::awaitable<Expected<std::string_view>> next() override {
    if (offset_ == body_.size()) {
      if (fail_at_end_) co_return Unexpected{std::string("the digest did not match")};
      co_return std::string_view();
    }
    auto out = std::string_view(body_).substr(offset_, piece_);
    offset_ += out.size();
    co_return out;
  }

 private:
  std::string body_;
  std::size_t piece_;
  bool fail_at_end_;
  std::size_t offset_ = 0;
};

using testing::drain_body;

std::string body_of(std::size_t size) {
  std::string out;
  for (std::size_t i = 0; i < size; ++i) out.push_back(static_cast<char>('a' + i % 26));
  return out;
}

std::string expected_of(const std::string& body, const std::vector<ByteRange>& ranges,
                        const MultipartPlan* plan) {
  std::string out;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    if (plan) out += plan->part_heads[i];
    out += body.substr(ranges[i].first, ranges[i].size());
  }
  if (plan) out += plan->closing;
  return out;
}

TEST(RangedBody, OneRangeIsCutOutWhateverThePieces) {
  const std::string body = body_of(1000);
  for (std::size_t piece : {1u, 7u, 100u, 999u, 1000u, 4096u})
    for (ByteRange range : {ByteRange{0, 0}, ByteRange{0, 999}, ByteRange{999, 999},
                            ByteRange{99, 100}, ByteRange{250, 749}}) {
      RangedBody ranged(std::make_unique<PiecesStream>(body, piece, false), 0, {range});
      auto drained = drain_body(ranged);
      EXPECT_FALSE(drained.failed);
      EXPECT_EQ(drained.bytes, body.substr(range.first, range.size()))
          << "piece " << piece << ", range " << range.first << "-" << range.last;
    }
}

TEST(RangedBody, SeveralRangesAreFramedAsPlanned) {
  const std::string body = body_of(5000);
  const std::vector<ByteRange> ranges = {{0, 9}, {100, 100}, {2000, 2999}, {4990, 4999}};
  for (std::size_t piece : {1u, 13u, 1000u, 5000u}) {
    MultipartPlan plan = plan_multipart(ranges, body.size(), "text/plain", "b0undary");
    const std::string expected = expected_of(body, ranges, &plan);
    EXPECT_EQ(expected.size(), plan.content_length);
    RangedBody ranged(std::make_unique<PiecesStream>(body, piece, false), 0, ranges, plan);
    EXPECT_EQ(ranged.content_type(), plan.content_type);
    auto drained = drain_body(ranged);
    EXPECT_FALSE(drained.failed);
    EXPECT_EQ(drained.bytes, expected) << "piece " << piece;
  }
}

TEST(RangedBody, ABodyFromASpanIsCutAtTheSameOffsets) {
  const std::string body = body_of(5000);
  const ByteRange span{1000, 3999};
  const std::vector<ByteRange> ranges = {{1000, 1009}, {2000, 2999}, {3990, 3999}};
  MultipartPlan plan = plan_multipart(ranges, body.size(), "text/plain", "b0undary");
  for (std::size_t piece : {1u, 13u, 3000u}) {
    auto spanned =
        std::make_unique<PiecesStream>(body.substr(span.first, span.size()), piece, false);
    RangedBody ranged(std::move(spanned), span.first, ranges, plan);
    auto drained = drain_body(ranged);
    EXPECT_FALSE(drained.failed);
    EXPECT_EQ(drained.bytes, expected_of(body, ranges, &plan)) << "piece " << piece;
  }
  RangedBody one(std::make_unique<PiecesStream>(body.substr(2000, 10), 3, false), 2000,
                 {ByteRange{2000, 2009}});
  EXPECT_EQ(drain_body(one).bytes, body.substr(2000, 10));
}

TEST(RangedBody, TheEndOfTheLastRangeWaitsForTheWholeBodyToEndWell) {
  const std::string body = body_of(1000);
  for (std::size_t piece : {1u, 64u, 1000u}) {
    // The range ends long before the body does; the body then fails: its last byte never goes.
    RangedBody ranged(std::make_unique<PiecesStream>(body, piece, true), 0, {ByteRange{10, 20}});
    auto drained = drain_body(ranged);
    EXPECT_TRUE(drained.failed);
    EXPECT_LT(drained.bytes.size(), 11u) << "piece " << piece;
    EXPECT_EQ(drained.bytes, body.substr(10, drained.bytes.size()));
  }
  const std::vector<ByteRange> ranges = {{0, 1}, {5, 6}};
  MultipartPlan plan = plan_multipart(ranges, body.size(), "text/plain", "b");
  RangedBody framed(std::make_unique<PiecesStream>(body, 3, true), 0, ranges, plan);
  auto drained = drain_body(framed);
  EXPECT_TRUE(drained.failed);
  EXPECT_EQ(drained.bytes.find(plan.closing), std::string::npos);
}

}  // namespace
}  // namespace ocipfs
