// Fuzzes Range decisions and ranged bodies (http/byte_ranges.hpp, http/ranged_body.hpp): what a
// hostile client's Range and If-Range headers make of a layer. The input: two bytes that give the
// layer's size (small enough to build, or near 2^64), a byte that gives the piece size the layer
// streams in, then the Range value, a newline, and the If-Range value.
// - A partial answer's ranges are within the layer, at most max_range_specs, and never overlap
//   or touch (so never more bytes than the layer); an unsatisfiable one has a reason to be.
// - Cut from the whole layer or from the span that holds the ranges (as a trustless gateway
//   streams it), in any piece size, the body is exactly each range's bytes, framed as planned,
//   and as long as Content-Length says.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "ocipfs/http/byte_ranges.hpp"
#include "ocipfs/http/ranged_body.hpp"
#include "support/body_stream.hpp"

namespace {

using namespace ocipfs;

constexpr std::string_view etag = "sha256:0123";
constexpr std::uint64_t largest_built = 1 << 16;

// A layer's bytes from `first`, given in pieces of `piece` bytes.
class Pieces final : public BodyStream {
 public:
  Pieces(std::string_view bytes, std::size_t piece) : bytes_(bytes), piece_(piece) {}

  boost::asio::awaitable<Expected<std::string_view>> next() override {
    auto out = bytes_.substr(0, piece_);
    bytes_.remove_prefix(out.size());
    co_return out;
  }

 private:
  std::string_view bytes_;
  std::size_t piece_;
};

// The body's bytes; it never fails (its layer is all there).
std::string drain(BodyStream& body) {
  testing::DrainedBody drained = testing::drain_body(body);
  FUZZ_CHECK(!drained.failed);
  return drained.bytes;
}

void check_ranges(const RangeAnswer& answer, std::uint64_t size) {
  FUZZ_CHECK(!answer.ranges.empty() && answer.ranges.size() <= max_range_specs);
  std::vector<ByteRange> sorted = answer.ranges;
  std::sort(sorted.begin(), sorted.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    FUZZ_CHECK(sorted[i].first <= sorted[i].last && sorted[i].last < size);
    if (i > 0) FUZZ_CHECK(sorted[i - 1].last + 1 < sorted[i].first);
  }
}

// The body the ranges (in the layer's order) must make of `layer`.
std::string expected_body(std::string_view layer, const std::vector<ByteRange>& ranges,
                          const MultipartPlan& plan) {
  std::string out;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    if (ranges.size() > 1) out += plan.part_heads[i];
    out += layer.substr(ranges[i].first, ranges[i].size());
  }
  if (ranges.size() > 1) out += plan.closing;
  return out;
}

void check_bodies(std::vector<ByteRange> ranges, std::uint64_t size, std::size_t piece) {
  std::sort(ranges.begin(), ranges.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.first < b.first; });
  MultipartPlan plan;
  if (ranges.size() > 1) plan = plan_multipart(ranges, size, "application/x-layer", "b0und");
  std::uint64_t framed = plan.closing.size();
  for (std::size_t i = 0; i < plan.part_heads.size(); ++i)
    framed += plan.part_heads[i].size() + ranges[i].size();
  if (ranges.size() > 1) FUZZ_CHECK(framed == plan.content_length);
  if (size > largest_built) return;
  std::string layer(size, '\0');
  for (std::size_t i = 0; i < layer.size(); ++i) layer[i] = static_cast<char>(i * 131 + i / 256);
  const std::string expected = expected_body(layer, ranges, plan);
  if (ranges.size() > 1) FUZZ_CHECK(expected.size() == plan.content_length);
  const std::uint64_t first = ranges.front().first, last = ranges.back().last;
  std::string_view span = std::string_view(layer).substr(first, last - first + 1);
  RangedBody whole(std::make_unique<Pieces>(layer, piece), 0, ranges, plan);
  FUZZ_CHECK(drain(whole) == expected);
  RangedBody spanned(std::make_unique<Pieces>(span, piece), first, ranges, plan);
  FUZZ_CHECK(drain(spanned) == expected);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size_of_input) {
  if (size_of_input < 3) return 0;
  const std::uint64_t low = data[0] | (std::uint64_t{data[1]} << 8);
  // A second byte of 0xff: a layer near 2^64 bytes, whose bounds are checked without its bytes.
  const std::uint64_t size =
      data[1] == 0xff ? std::numeric_limits<std::uint64_t>::max() - data[0] : low;
  const std::size_t piece = 1 + data[2] * 257u;
  std::string_view text(reinterpret_cast<const char*>(data + 3), size_of_input - 3);
  const auto newline = text.find('\n');
  const std::string_view range = text.substr(0, newline);
  const std::string_view if_range =
      newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
  RangeAnswer answer = decide_range(range, if_range, etag, size);
  if (fuzz::verbose())
    std::fprintf(stderr, "size %llu: kind %d, %zu ranges\n", static_cast<unsigned long long>(size),
                 static_cast<int>(answer.kind), answer.ranges.size());
  // If-Range's value without the whitespace around it (RFC 9110 5.5).
  std::string_view tag = if_range;
  while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
  while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
  const bool tag_matches = tag.empty() || tag == "\"" + std::string(etag) + "\"";
  switch (answer.kind) {
    case RangeAnswer::Kind::whole:
      FUZZ_CHECK(answer.ranges.empty());
      break;
    case RangeAnswer::Kind::unsatisfiable:
      FUZZ_CHECK(!range.empty() && tag_matches && answer.ranges.empty());
      FUZZ_CHECK(unsatisfied_content_range(size) == "bytes */" + std::to_string(size));
      break;
    case RangeAnswer::Kind::partial:
      FUZZ_CHECK(tag_matches && range.size() <= max_range_header_length);
      check_ranges(answer, size);
      check_bodies(answer.ranges, size, piece);
      break;
  }
  return 0;
}
