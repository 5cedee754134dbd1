#include "ocipfs/http/byte_ranges.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ocipfs {
namespace {

using Kind = RangeAnswer::Kind;
const std::string digest = "sha256:" + std::string(64, 'a');
constexpr std::uint64_t blob_size = 1000;

RangeAnswer decide(std::string_view header, std::uint64_t of_size = blob_size) {
  return decide_range(header, "", digest, of_size);
}

// The ranges of a partial answer; fails the test for any other answer.
std::vector<ByteRange> ranges_of(std::string_view header, std::uint64_t of_size = blob_size) {
  auto answer = decide(header, of_size);
  EXPECT_EQ(answer.kind, Kind::partial) << header;
  return answer.ranges;
}

using Ranges = std::vector<ByteRange>;

TEST(ByteRanges, AnEmptyHeaderAsksForTheWhole) {
  EXPECT_EQ(decide("").kind, Kind::whole);
  EXPECT_EQ(decide(" \t").kind, Kind::whole);
}

TEST(ByteRanges, TheThreeFormsOfSpec) {
  EXPECT_EQ(ranges_of("bytes=0-99"), (Ranges{{0, 99}}));
  EXPECT_EQ(ranges_of("bytes=10-10"), (Ranges{{10, 10}}));
  EXPECT_EQ(ranges_of("bytes=900-"), (Ranges{{900, 999}}));
  EXPECT_EQ(ranges_of("bytes=-100"), (Ranges{{900, 999}}));
  EXPECT_EQ(ranges_of("bytes=-1"), (Ranges{{999, 999}}));
  EXPECT_EQ(ByteRange({10, 19}).size(), 10u);
}

TEST(ByteRanges, TheLastByteIsClampedToTheEnd) {
  EXPECT_EQ(ranges_of("bytes=990-5000"), (Ranges{{990, 999}}));
  EXPECT_EQ(ranges_of("bytes=0-18446744073709551615"), (Ranges{{0, 999}}));
}

TEST(ByteRanges, ASuffixLongerThanTheRepresentationIsAllOfIt) {
  EXPECT_EQ(ranges_of("bytes=-1000"), (Ranges{{0, 999}}));
  EXPECT_EQ(ranges_of("bytes=-5000"), (Ranges{{0, 999}}));
  EXPECT_EQ(ranges_of("bytes=-18446744073709551615"), (Ranges{{0, 999}}));
}

TEST(ByteRanges, TheUnitIsBytesInAnyCase) {
  EXPECT_EQ(ranges_of("BYTES=0-1"), (Ranges{{0, 1}}));
  EXPECT_EQ(ranges_of("Bytes=0-1"), (Ranges{{0, 1}}));
  for (std::string_view header :
       {"items=0-1", "byte=0-1", "bytess=0-1", "bytes 0-1", "bytes =0-1", "=0-1", "0-1", "bytes"})
    EXPECT_EQ(decide(header).kind, Kind::whole) << header;
}

TEST(ByteRanges, AnySyntaxErrorIgnoresTheWholeHeader) {
  for (std::string_view header :
       {"bytes=",        "bytes=,",    "bytes= , ,", "bytes=1",       "bytes=-",     "bytes=a-b",
        "bytes=+1-2",    "bytes=1-+2", "bytes=-+1",  "bytes=--1",     "bytes=1--2",  "bytes=1-2-3",
        "bytes=0x1-2",   "bytes=0 -1", "bytes=0- 1", "bytes=0-1;",    "bytes=0-1,x", "bytes=x,0-1",
        "bytes=0-1,5-4", "bytes=5-4",  "bytes==0-1", "bytes=0-1 2-3", "bytes=1e3-"})
    EXPECT_EQ(decide(header).kind, Kind::whole) << header;
}

TEST(ByteRanges, NumbersBeyond64BitsIgnoreTheWholeHeader) {
  for (std::string_view header :
       {"bytes=18446744073709551616-", "bytes=0-18446744073709551616",
        "bytes=-18446744073709551616", "bytes=0-1,99999999999999999999999999-"})
    EXPECT_EQ(decide(header).kind, Kind::whole) << header;
  // The largest number is a number: past the end, so unsatisfiable.
  EXPECT_EQ(decide("bytes=18446744073709551615-").kind, Kind::unsatisfiable);
  EXPECT_EQ(ranges_of("bytes=0000000000000000000000000001-2"), (Ranges{{1, 2}}));
}

TEST(ByteRanges, ListsAllowWhitespaceAroundCommasAndEmptyElements) {
  EXPECT_EQ(ranges_of("bytes=0-1, ,4-5"), (Ranges{{0, 1}, {4, 5}}));
  EXPECT_EQ(ranges_of("bytes=,0-1 ,\t4-5,,"), (Ranges{{0, 1}, {4, 5}}));
  EXPECT_EQ(ranges_of(" bytes=0-1 "), (Ranges{{0, 1}}));
}

TEST(ByteRanges, UnsatisfiableWhenNoSpecIs) {
  for (std::string_view header :
       {"bytes=1000-", "bytes=1000-1000", "bytes=5000-6000", "bytes=-0", "bytes=1000-,-0"})
    EXPECT_EQ(decide(header).kind, Kind::unsatisfiable) << header;
  EXPECT_EQ(unsatisfied_content_range(blob_size), "bytes */1000");
}

TEST(ByteRanges, UnsatisfiableSpecsAmongSatisfiableOnesAreDropped) {
  EXPECT_EQ(ranges_of("bytes=1000-,0-9,-0,5000-"), (Ranges{{0, 9}}));
  EXPECT_EQ(ranges_of("bytes=-0,990-"), (Ranges{{990, 999}}));
}

TEST(ByteRanges, AnEmptyRepresentationSatisfiesNoRange) {
  for (std::string_view header : {"bytes=0-", "bytes=0-0", "bytes=-1", "bytes=-0"})
    EXPECT_EQ(decide(header, 0).kind, Kind::unsatisfiable) << header;
  EXPECT_EQ(decide("", 0).kind, Kind::whole);
  EXPECT_EQ(decide("bytes=x", 0).kind, Kind::whole);
  EXPECT_EQ(unsatisfied_content_range(0), "bytes */0");
}

TEST(ByteRanges, IfRangeWithTheStrongEntityTagLetsTheRangeApply) {
  const std::string etag = "\"" + digest + "\"";
  auto answer = decide_range("bytes=0-9", etag, digest, blob_size);
  EXPECT_EQ(answer.kind, Kind::partial);
  EXPECT_EQ(answer.ranges, (Ranges{{0, 9}}));
  EXPECT_EQ(decide_range("bytes=0-9", " " + etag + " ", digest, blob_size).kind, Kind::partial);
  EXPECT_EQ(decide_range("bytes=5000-", etag, digest, blob_size).kind, Kind::unsatisfiable);
}

TEST(ByteRanges, IfRangeWithAWeakTagADateOrAnotherTagSendsTheWhole) {
  const std::string other = "sha256:" + std::string(64, 'b');
  for (const std::string& if_range : std::vector<std::string>{
           "W/\"" + digest + "\"", "w/\"" + digest + "\"", "Sun, 06 Nov 1994 08:49:37 GMT",
           "\"" + other + "\"", digest, "\"" + digest, digest + "\"", "\"" + digest + "x\"", "\"\"",
           "*", "'" + digest + "\"", "\"" + digest + "\", \"" + digest + "\""}) {
    EXPECT_EQ(decide_range("bytes=0-9", if_range, digest, blob_size).kind, Kind::whole) << if_range;
    // A failed If-Range ignores the Range, even an unsatisfiable one (RFC 9110 13.1.5).
    EXPECT_EQ(decide_range("bytes=5000-", if_range, digest, blob_size).kind, Kind::whole)
        << if_range;
  }
  EXPECT_EQ(decide_range("bytes=0-9", "\"\"", "", blob_size).kind, Kind::whole);
}

TEST(ByteRanges, OverlappingOrTouchingRangesAreSortedAndMerged) {
  EXPECT_EQ(ranges_of("bytes=0-4,5-9"), (Ranges{{0, 9}}));
  EXPECT_EQ(ranges_of("bytes=50-59,0-9,5-14"), (Ranges{{0, 14}, {50, 59}}));
  EXPECT_EQ(ranges_of("bytes=0-,0-,0-,0-"), (Ranges{{0, 999}}));
  EXPECT_EQ(ranges_of("bytes=-10,990-"), (Ranges{{990, 999}}));
  EXPECT_EQ(ranges_of("bytes=100-199,0-9,150-160"), (Ranges{{0, 9}, {100, 199}}));
  EXPECT_EQ(ranges_of("bytes=0-0,1-1,2-2"), (Ranges{{0, 2}}));
}

TEST(ByteRanges, DisjointRangesKeepTheOrderAsked) {
  EXPECT_EQ(ranges_of("bytes=500-599,0-9"), (Ranges{{500, 599}, {0, 9}}));
  EXPECT_EQ(ranges_of("bytes=0-9,11-19"), (Ranges{{0, 9}, {11, 19}}));
}

// "bytes=0-0,2-2,4-4,...": `count` disjoint one-byte specs.
std::string disjoint_specs(std::size_t count, std::string_view separator = ",") {
  std::string header = "bytes=";
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) header += separator;
    header += std::to_string(2 * i) + "-" + std::to_string(2 * i);
  }
  return header;
}

TEST(ByteRanges, AtMostAHundredSpecs) {
  ASSERT_EQ(max_range_specs, 100u);
  EXPECT_EQ(ranges_of(disjoint_specs(100)).size(), 100u);
  EXPECT_EQ(ranges_of(disjoint_specs(100, ", ,")).size(), 100u);  // empty elements do not count
  EXPECT_EQ(decide(disjoint_specs(101)).kind, Kind::whole);
  // Counted as written, before merging: 101 copies of one range are ignored too.
  std::string copies = "bytes=0-0";
  for (int i = 0; i < 100; ++i) copies += ",0-0";
  EXPECT_EQ(decide(copies).kind, Kind::whole);
}

TEST(ByteRanges, AHeaderOver4KiBIsIgnored) {
  ASSERT_EQ(max_range_header_length, 4096u);
  auto padded = [](std::size_t length) {
    std::string header = "bytes=0-1,";
    header += std::string(length - header.size() - 3, ' ');
    return header + "4-5";
  };
  ASSERT_EQ(padded(4096).size(), 4096u);
  EXPECT_EQ(ranges_of(padded(4096)), (Ranges{{0, 1}, {4, 5}}));
  EXPECT_EQ(decide(padded(4097)).kind, Kind::whole);
  EXPECT_EQ(decide("bytes=0-1" + std::string(5000, ' ')).kind, Kind::whole);
}

TEST(ByteRangesContentRange, NamesTheRangeAndTheSize) {
  EXPECT_EQ(content_range({0, 99}, 1000), "bytes 0-99/1000");
  EXPECT_EQ(content_range({999, 999}, 1000), "bytes 999-999/1000");
  EXPECT_EQ(content_range({0, 18446744073709551614u}, 18446744073709551615u),
            "bytes 0-18446744073709551614/18446744073709551615");
  EXPECT_EQ(unsatisfied_content_range(1000), "bytes */1000");
}

TEST(ByteRangesMultipart, Boundaries) {
  EXPECT_TRUE(is_multipart_boundary("3d6b6a416f9b5e1c"));
  EXPECT_TRUE(is_multipart_boundary("a'()+_,-./:=?Z9"));
  EXPECT_TRUE(is_multipart_boundary(std::string(70, 'x')));
  EXPECT_FALSE(is_multipart_boundary(""));
  EXPECT_FALSE(is_multipart_boundary(std::string(71, 'x')));
  for (std::string_view boundary : {"a b", "a\"b", "a\\b", "a;b", "a\r\nb", "a\tb", "a*b"})
    EXPECT_FALSE(is_multipart_boundary(boundary)) << boundary;
}

const std::string layer_type = "application/vnd.oci.image.layer.v1.tar+gzip";

TEST(ByteRangesMultipart, HeadsAndClosingAreFramedAlike) {
  Ranges ranges{{0, 9}, {500, 599}};
  auto plan = plan_multipart(ranges, 1000, layer_type, "XYZ");
  ASSERT_EQ(plan.part_heads.size(), 2u);
  EXPECT_EQ(plan.part_heads[0], "\r\n--XYZ\r\nContent-Type: " + layer_type +
                                    "\r\nContent-Range: bytes 0-9/1000\r\n\r\n");
  EXPECT_EQ(plan.part_heads[1], "\r\n--XYZ\r\nContent-Type: " + layer_type +
                                    "\r\nContent-Range: bytes 500-599/1000\r\n\r\n");
  EXPECT_EQ(plan.closing, "\r\n--XYZ--\r\n");
  EXPECT_EQ(plan.content_type, "multipart/byteranges; boundary=XYZ");
  EXPECT_EQ(plan.content_length,
            plan.part_heads[0].size() + 10 + plan.part_heads[1].size() + 100 + plan.closing.size());
}

TEST(ByteRangesMultipart, ABoundaryThatIsNotATokenIsQuoted) {
  auto plan = plan_multipart(Ranges{{0, 0}}, 1, "text/plain", "a:b=c");
  EXPECT_EQ(plan.content_type, "multipart/byteranges; boundary=\"a:b=c\"");
  EXPECT_EQ(plan.closing, "\r\n--a:b=c--\r\n");
}

// A known representation: lowercase words, in which no hex boundary with a digit occurs.
std::string known_content() {
  std::string content;
  for (int i = 0; content.size() < blob_size; ++i)
    content += "layer bytes of part " + std::string(1, static_cast<char>('a' + i % 26)) + "; ";
  content.resize(blob_size);
  return content;
}

struct ParsedPart {
  std::string content_type;
  std::string content_range;
  std::string bytes;
};

// The value of the field `name` in a part's header block, or "" when absent.
std::string field_of(std::string_view head, std::string_view name) {
  auto at = head.find(std::string(name) + ": ");
  if (at == std::string_view::npos) return "";
  auto start = at + name.size() + 2;
  return std::string(head.substr(start, head.find("\r\n", start) - start));
}

// Splits a multipart body by its boundary, as a client would; fails the test when it is not
// delimiter, parts and a closing delimiter with nothing after it.
std::vector<ParsedPart> parse_multipart(std::string_view body, std::string_view boundary) {
  const std::string delimiter = "\r\n--" + std::string(boundary);
  std::vector<ParsedPart> parts;
  EXPECT_TRUE(body.starts_with(delimiter));
  auto at = body.find(delimiter);
  while (at != std::string_view::npos) {
    auto rest = body.substr(at + delimiter.size());
    if (rest.starts_with("--")) {
      EXPECT_EQ(rest, "--\r\n");
      return parts;
    }
    EXPECT_TRUE(rest.starts_with("\r\n"));
    auto head_end = rest.find("\r\n\r\n");
    if (head_end == std::string_view::npos) break;
    auto head = rest.substr(2, head_end);
    auto next = body.find(delimiter, at + delimiter.size());
    if (next == std::string_view::npos) break;
    auto bytes_start = at + delimiter.size() + head_end + 4;
    parts.push_back({field_of(head, "Content-Type"), field_of(head, "Content-Range"),
                     std::string(body.substr(bytes_start, next - bytes_start))});
    at = next;
  }
  ADD_FAILURE() << "no closing delimiter";
  return parts;
}

// The body the plan frames, assembled from `content`.
std::string assemble(const MultipartPlan& plan, std::span<const ByteRange> ranges,
                     const std::string& content) {
  std::string body;
  for (std::size_t i = 0; i < ranges.size(); ++i)
    body += plan.part_heads[i] + content.substr(ranges[i].first, ranges[i].size());
  return body + plan.closing;
}

TEST(ByteRangesMultipart, TheAssembledBodyParsesBackToExactlyTheRanges) {
  const std::string content = known_content();
  const std::string boundary = "3d6b6a416f9b5e1c0a7f2e8d4c9b1a05";
  ASSERT_TRUE(is_multipart_boundary(boundary));
  auto answer =
      decide_range("bytes=-5, 100-149,0-0,980-989, 200-", "\"" + digest + "\"", digest, blob_size);
  ASSERT_EQ(answer.kind, Kind::partial);
  // 200- takes in 980-989 and the last 5 bytes; the rest are sorted.
  ASSERT_EQ(answer.ranges, (Ranges{{0, 0}, {100, 149}, {200, 999}}));
  auto plan = plan_multipart(answer.ranges, blob_size, layer_type, boundary);
  std::string body = assemble(plan, answer.ranges, content);
  EXPECT_EQ(plan.content_length, body.size());
  EXPECT_EQ(plan.content_type, "multipart/byteranges; boundary=" + boundary);

  auto parts = parse_multipart(body, boundary);
  ASSERT_EQ(parts.size(), answer.ranges.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const ByteRange& range = answer.ranges[i];
    EXPECT_EQ(parts[i].content_type, layer_type) << i;
    EXPECT_EQ(parts[i].content_range, content_range(range, blob_size)) << i;
    EXPECT_EQ(parts[i].bytes, content.substr(range.first, range.size())) << i;
  }
}

TEST(ByteRangesMultipart, DisjointRangesOutOfOrderAreFramedAsAsked) {
  const std::string content = known_content();
  auto answer = decide("bytes=990-, 10-19, 500-509");
  ASSERT_EQ(answer.kind, Kind::partial);
  auto plan = plan_multipart(answer.ranges, blob_size, "application/octet-stream", "b0undary");
  std::string body = assemble(plan, answer.ranges, content);
  EXPECT_EQ(plan.content_length, body.size());
  auto parts = parse_multipart(body, "b0undary");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].content_range, "bytes 990-999/1000");
  EXPECT_EQ(parts[0].bytes, content.substr(990));
  EXPECT_EQ(parts[1].bytes, content.substr(10, 10));
  EXPECT_EQ(parts[2].bytes, content.substr(500, 10));
}

}  // namespace
}  // namespace ocipfs
