// Tests for the incremental CARv1 reader: the same answers as parse_car whatever the pieces the
// bytes arrive in, each section as soon as it is complete, bounds refused as soon as they are seen.
#include "ocipfs/formats/car_reader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/formats/car.hpp"
#include "ocipfs/formats/cid.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using testing::from_hex;
using ::testing::HasSubstr;

Cid raw_cid(std::string_view block) { return testing::sha256_cid(multicodec::raw, block); }

Cid dag_pb_v0(std::string_view block) {
  Cid cid = testing::sha256_cid(multicodec::dag_pb, block);
  cid.version = 0;
  return cid;
}

Cid identity_cid(std::string_view block) {
  return Cid{1, multicodec::raw, multihash::identity, std::string(block)};
}

// What a reader made of a stream: its roots, its blocks (copied), and its first error (of next or
// of finish), if any.
struct ReadResult {
  std::vector<Cid> roots;
  std::vector<std::pair<Cid, std::string>> blocks;
  std::string error;
  std::size_t size = 0;
};

// Feeds `bytes` in pieces of `piece` bytes (each piece its own copy, gone after its use, so a
// block that viewed a dead piece would be seen) and then finishes.
ReadResult read_in_pieces(std::string_view bytes, std::size_t piece, const CarLimits& limits = {}) {
  CarReader reader(limits);
  ReadResult result;
  for (std::size_t at = 0; at < bytes.size() || at == 0; at += piece) {
    const std::string copy(bytes.substr(at, piece));
    std::string_view rest = copy;
    for (;;) {
      auto event = reader.next(rest);
      if (!event) {
        result.error = event.error();
        return result;
      }
      if (*event == CarEvent::need_more) break;
      if (*event == CarEvent::header) result.roots = reader.roots();
      if (*event == CarEvent::block)
        result.blocks.emplace_back(reader.block().cid, std::string(reader.block().bytes));
    }
    EXPECT_TRUE(rest.empty());
    if (bytes.empty()) break;
  }
  auto end = reader.finish();
  if (!end) result.error = end.error();
  if (end) result.size = *end;
  return result;
}

const std::vector<std::size_t> piece_sizes = {1, 2, 7, 64, 100000};

struct Sample {
  std::vector<Cid> roots;
  std::vector<std::string> blocks;
  std::vector<Cid> cids;
  std::string car;
};

Sample sample() {
  Sample s;
  s.blocks = {"hello world", "", std::string(5000, 'z'), "node", std::string(300, 'q')};
  s.cids = {raw_cid(s.blocks[0]), identity_cid(s.blocks[1]), raw_cid(s.blocks[2]),
            dag_pb_v0(s.blocks[3]), raw_cid(s.blocks[4])};
  s.roots = {s.cids[0], s.cids[3]};
  s.car = car_header(s.roots);
  for (std::size_t i = 0; i < s.blocks.size(); ++i) s.car += car_section(s.cids[i], s.blocks[i]);
  return s;
}

TEST(CarReader, YieldsTheHeaderAndEveryBlockWhateverThePieces) {
  const Sample s = sample();
  for (const std::size_t piece : piece_sizes) {
    const ReadResult result = read_in_pieces(s.car, piece);
    ASSERT_EQ(result.error, "") << piece;
    EXPECT_EQ(result.roots, s.roots);
    ASSERT_EQ(result.blocks.size(), s.blocks.size()) << piece;
    for (std::size_t i = 0; i < s.blocks.size(); ++i) {
      EXPECT_EQ(result.blocks[i].first, s.cids[i]);
      EXPECT_EQ(result.blocks[i].second, s.blocks[i]);
    }
    EXPECT_EQ(result.size, s.car.size());
  }
}

TEST(CarReader, EachSectionAsSoonAsItsLastByteArrives) {
  const Sample s = sample();
  const std::size_t header = car_header(s.roots).size();
  const std::size_t first_end = header + car_section(s.cids[0], s.blocks[0]).size();
  CarReader reader;
  std::string_view rest(s.car.data(), header - 1);
  EXPECT_EQ(*reader.next(rest), CarEvent::need_more);
  rest = std::string_view(s.car.data() + header - 1, first_end - header);  // to one byte short
  EXPECT_EQ(*reader.next(rest), CarEvent::header);
  EXPECT_EQ(reader.roots(), s.roots);
  EXPECT_EQ(*reader.next(rest), CarEvent::need_more);
  EXPECT_TRUE(rest.empty());
  rest = std::string_view(s.car.data() + first_end - 1, 1);
  EXPECT_EQ(*reader.next(rest), CarEvent::block);
  EXPECT_EQ(reader.block().bytes, s.blocks[0]);
  EXPECT_EQ(reader.blocks(), 1u);
  EXPECT_EQ(reader.offset(), first_end);
  EXPECT_TRUE(reader.finish());
}

TEST(CarReader, ASectionWholeInOnePieceIsAViewIntoIt) {
  const Sample s = sample();
  CarReader reader;
  std::string_view rest = s.car;
  ASSERT_EQ(*reader.next(rest), CarEvent::header);
  for (std::size_t i = 0; i < s.blocks.size(); ++i) {
    ASSERT_EQ(*reader.next(rest), CarEvent::block);
    const std::string_view bytes = reader.block().bytes;
    EXPECT_TRUE(bytes.data() >= s.car.data() &&
                bytes.data() + bytes.size() <= s.car.data() + s.car.size());
  }
  EXPECT_EQ(*reader.next(rest), CarEvent::need_more);
  EXPECT_EQ(*reader.finish(), s.car.size());
}

TEST(CarReader, AgreesWithParseCarOnEveryPrefixAndMutation) {
  const Sample s = sample();
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 600; ++round) {
    std::string bytes = s.car;
    if (round % 2 == 0) {
      bytes[static_cast<std::size_t>(byte(rng)) * 31 % bytes.size()] = static_cast<char>(byte(rng));
    }
    if (round % 3 == 0) bytes.resize(static_cast<std::size_t>(round) * 17 % bytes.size());
    auto whole = parse_car(bytes);
    for (const std::size_t piece : {std::size_t{1}, std::size_t{7}}) {
      const ReadResult result = read_in_pieces(bytes, piece);
      ASSERT_EQ(result.error, whole ? "" : whole.error()) << round << " " << piece;
      if (whole) {
        EXPECT_EQ(result.blocks.size(), whole->blocks.size());
      }
    }
  }
}

TEST(CarReader, TruncatedStreamFailsAtFinish) {
  const Sample s = sample();
  const std::size_t header = car_header(s.roots).size();
  EXPECT_EQ(read_in_pieces("", 1).error, "CAR header: invalid length: truncated varint");
  EXPECT_EQ(read_in_pieces(s.car.substr(0, header - 3), 7).error,
            "CAR header: truncated (length 97, 94 bytes left)");
  EXPECT_EQ(read_in_pieces(s.car.substr(0, header), 1).error, "");  // no blocks: legal
  EXPECT_EQ(read_in_pieces(s.car.substr(0, header + 10), 1).error,
            "CAR section 1 (at byte 98): truncated (length 47, 9 bytes left)");
  const std::size_t third = header + car_section(s.cids[0], s.blocks[0]).size() +
                            car_section(s.cids[1], s.blocks[1]).size();
  // Section 3 is 5036 bytes long, a length of two varint bytes: one of them is truncated.
  EXPECT_EQ(read_in_pieces(s.car.substr(0, third + 1), 1).error,
            "CAR section 3 (at byte 151): invalid length: truncated varint");
  EXPECT_EQ(read_in_pieces(s.car.substr(0, s.car.size() - 1), 7).error,
            "CAR section 5 (at byte " + std::to_string(s.car.size() - 338) +
                "): truncated (length 336, 335 bytes left)");
}

TEST(CarReader, CorruptedBlockIsRefused) {
  Sample s = sample();
  s.car[s.car.size() - 1] ^= 1;
  for (const std::size_t piece : piece_sizes) {
    const ReadResult result = read_in_pieces(s.car, piece);
    EXPECT_THAT(result.error,
                HasSubstr("CAR section 5 (at byte " + std::to_string(s.car.size() - 338) +
                          "): block does not match its cid " + s.cids[4].to_string()));
    EXPECT_EQ(result.blocks.size(), 4u);
  }
}

TEST(CarReader, OversizedLengthsAreRefusedAsSoonAsRead) {
  const std::string header = car_header({});
  CarReader reader;
  std::string_view rest = header;
  ASSERT_EQ(*reader.next(rest), CarEvent::header);
  // Nine bytes that still continue: refused at the ninth, before any tenth arrives.
  const std::string long_varint = from_hex("ffffffffffffffffff");
  for (std::size_t i = 0; i < long_varint.size(); ++i) {
    std::string_view one = std::string_view(long_varint).substr(i, 1);
    auto event = reader.next(one);
    if (i + 1 < long_varint.size()) {
      ASSERT_TRUE(event) << i;
      EXPECT_EQ(*event, CarEvent::need_more);
    } else {
      ASSERT_FALSE(event);
      EXPECT_EQ(event.error(),
                "CAR section 1 (at byte 18): invalid length: varint longer than 9 bytes");
    }
  }
  // Spent: the same error again, from next and from finish.
  std::string_view more = "x";
  EXPECT_EQ(reader.next(more).error(), reader.finish().error());

  CarLimits small;
  small.max_block_size = 100;
  EXPECT_EQ(read_in_pieces(header + from_hex("ad02"), 1, small).error,
            "CAR section 1 (at byte 18): length 301 is over max_block_size (100) and the "
            "longest cid");
  EXPECT_EQ(read_in_pieces(header + from_hex("ea01") + std::string(234, 'x'), 1, small).error,
            "CAR section 1 (at byte 18): length 234 is over max_block_size (100) and the "
            "longest cid");
}

TEST(CarReader, OversizedHeaderIsRefusedAtTheLongestHeaderItCouldBe) {
  CarLimits one_root;
  one_root.max_roots = 1;
  const std::size_t longest = max_car_header_size(1);
  EXPECT_EQ(longest, 25u + 138u);
  const std::string claim = from_hex("ffffffff0f");  // a header of 4 GiB
  EXPECT_EQ(read_in_pieces(claim + std::string(longest, 'x'), 1, one_root).error,
            "CAR header: truncated (length 4294967295, 163 bytes left)");
  EXPECT_EQ(read_in_pieces(claim + std::string(longest + 1, 'x'), 1, one_root).error,
            "CAR header: length 4294967295 is over the longest header of 1 roots (163 bytes)");
  // A real header of the most roots fits.
  const std::vector<Cid> roots = {
      Cid{1, multicodec::dag_pb, multihash::identity, std::string(128, 'i')}};
  EXPECT_LE(car_header(roots).size(), longest + 2);
  EXPECT_EQ(read_in_pieces(car_header(roots), 3, one_root).roots, roots);
}

TEST(CarReader, LimitsOnBlocksAndTotalSize) {
  const Sample s = sample();
  CarLimits blocks;
  blocks.max_blocks = 2;
  EXPECT_THAT(read_in_pieces(s.car, 7, blocks).error,
              HasSubstr("CAR section 3 (at byte 151): more blocks than max_blocks (2)"));
  CarLimits total;
  total.max_total_size = s.car.size() - 1;
  EXPECT_THAT(
      read_in_pieces(s.car, 7, total).error,
      HasSubstr("the CAR is over max_total_size (" + std::to_string(s.car.size() - 1) + ")"));
  total.max_total_size = s.car.size();
  EXPECT_EQ(read_in_pieces(s.car, 7, total).error, "");
}

}  // namespace
}  // namespace ocipfs
