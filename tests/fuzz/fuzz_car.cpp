// Fuzzes the CARv1 reader (include/ocipfs/formats/car.hpp), with the default limits and with small
// ones. Whatever parses holds only blocks that match their CIDs, within the limits, and is what the
// writer writes: car_header(roots) and car_section for each block give the input back. A
// CarReader (car_reader.hpp) given the input in pieces answers as parse_car does. The input is
// also cut into blocks that are written as a CAR, which must read back the same.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "ocipfs/base/digest.hpp"
#include "ocipfs/formats/car.hpp"
#include "ocipfs/formats/car_reader.hpp"
#include "ocipfs/formats/cid.hpp"

namespace {

using namespace ocipfs;

// Small enough that the fuzzer reaches every bound.
constexpr CarLimits small_limits{2, 64, 3, 512};

bool is_within(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

bool block_matches(const Cid& cid, std::string_view bytes) {
  if (cid.hash == multihash::identity) return cid.digest == bytes;
  const Sha256 hash = sha256(bytes);
  return cid.hash == multihash::sha2_256 &&
         cid.digest == std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size());
}

void check_cid(const Cid& cid) {
  FUZZ_CHECK(cid.version == 0 || cid.version == 1);
  FUZZ_CHECK(cid.codec == multicodec::raw || cid.codec == multicodec::dag_pb);
  FUZZ_CHECK(cid.hash == multihash::sha2_256 || cid.hash == multihash::identity);
  if (cid.version == 0)
    FUZZ_CHECK(cid.codec == multicodec::dag_pb && cid.hash == multihash::sha2_256);
}

void check_blocks(const Car& car, std::string_view input, const CarLimits& limits) {
  for (const CarBlock& block : car.blocks) {
    check_cid(block.cid);
    FUZZ_CHECK(is_within(block.bytes, input));
    FUZZ_CHECK(block.bytes.size() <= limits.max_block_size);
    FUZZ_CHECK(block_matches(block.cid, block.bytes));
    const CarBlock* found = find_block(car, block.cid);
    FUZZ_CHECK(found != nullptr && found->bytes == block.bytes);
    Cid v1 = block.cid;
    v1.version = 1;
    FUZZ_CHECK(find_block(car, v1) == found);
  }
}

std::string serialise(const Car& car) {
  std::string out = car_header(car.roots);
  for (const CarBlock& block : car.blocks) out += car_section(block.cid, block.bytes);
  return out;
}

void check_reparse(const Car& car, const CarLimits& limits) {
  const std::string again = serialise(car);
  auto reparsed = parse_car(again, limits);
  FUZZ_CHECK(reparsed);
  FUZZ_CHECK(reparsed->roots == car.roots);
  FUZZ_CHECK(reparsed->blocks.size() == car.blocks.size());
  for (std::size_t i = 0; i < car.blocks.size(); ++i) {
    FUZZ_CHECK(reparsed->blocks[i].cid == car.blocks[i].cid);
    FUZZ_CHECK(reparsed->blocks[i].bytes == car.blocks[i].bytes);
  }
}

// Returns whether `input` parsed under `limits`.
bool check_car(std::string_view input, const CarLimits& limits) {
  auto car = parse_car(input, limits);
  if (!car) {
    FUZZ_CHECK(car.error().starts_with("CAR "));
    if (fuzz::verbose()) std::fprintf(stderr, "refused: %s\n", car.error().c_str());
    return false;
  }
  if (fuzz::verbose()) {
    std::fprintf(stderr, "%zu roots, %zu blocks\n", car->roots.size(), car->blocks.size());
  }
  FUZZ_CHECK(input.size() <= limits.max_total_size);
  FUZZ_CHECK(car->roots.size() <= limits.max_roots);
  FUZZ_CHECK(car->blocks.size() <= limits.max_blocks);
  for (const Cid& root : car->roots) check_cid(root);
  check_blocks(*car, input, limits);
  // The reader is strict: it takes only the shortest encodings, so nothing else spells these.
  FUZZ_CHECK(serialise(*car) == input);
  check_reparse(*car, limits);
  return true;
}

// The input given to a CarReader in pieces (of 1 to 16 bytes, from its first byte): the same
// blocks as parse_car, and the same error.
void check_pieces(std::string_view input, const CarLimits& limits) {
  if (input.empty() || input.size() > limits.max_total_size) return;  // said before reading
  const std::size_t piece = 1 + static_cast<unsigned char>(input[0]) % 16;
  auto whole = parse_car(input, limits);
  CarReader reader(limits);
  std::size_t blocks = 0;
  std::string error;
  for (std::size_t at = 0; at < input.size() && error.empty(); at += piece) {
    std::string_view rest = input.substr(at, piece);
    for (;;) {
      auto event = reader.next(rest);
      if (!event) error = event.error();
      if (!event || *event == CarEvent::need_more) break;
      if (*event != CarEvent::block) continue;
      FUZZ_CHECK(!whole || (blocks < whole->blocks.size() &&
                            whole->blocks[blocks].cid == reader.block().cid &&
                            whole->blocks[blocks].bytes == reader.block().bytes));
      ++blocks;
    }
  }
  if (auto end = reader.finish(); error.empty() && !end) error = end.error();
  if (whole) FUZZ_CHECK(error.empty() && blocks == whole->blocks.size());
  if (!whole) FUZZ_CHECK(error == whole.error());
}

// The CID of `block` of one of the four kinds the reader takes.
Cid cid_of(unsigned kind, std::string_view block) {
  if (kind == 3) return Cid{1, multicodec::raw, multihash::identity, std::string(block)};
  const Sha256 hash = sha256(block);
  const std::string digest(reinterpret_cast<const char*>(hash.data()), hash.size());
  if (kind == 2) return Cid{0, multicodec::dag_pb, multihash::sha2_256, digest};
  return Cid{1, kind == 1 ? multicodec::dag_pb : multicodec::raw, multihash::sha2_256, digest};
}

// The input as blocks to write (each after a byte that gives its length and kind): what the
// writer writes, the reader reads back as it was.
void check_writer(std::string_view input) {
  Car written;
  while (!input.empty() && written.blocks.size() < 16) {
    const auto control = static_cast<unsigned char>(input[0]);
    input.remove_prefix(1);
    const std::string_view block = input.substr(0, control >> 2);
    input.remove_prefix(block.size());
    written.blocks.push_back(CarBlock{cid_of(control & 3u, block), block});
    if (written.roots.size() < 2) written.roots.push_back(written.blocks.back().cid);
  }
  const std::string bytes = serialise(written);
  auto car = parse_car(bytes);
  FUZZ_CHECK(car);
  FUZZ_CHECK(car->roots == written.roots);
  FUZZ_CHECK(car->blocks.size() == written.blocks.size());
  for (std::size_t i = 0; i < written.blocks.size(); ++i) {
    FUZZ_CHECK(car->blocks[i].cid == written.blocks[i].cid);
    FUZZ_CHECK(car->blocks[i].bytes == written.blocks[i].bytes);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const bool within_defaults = check_car(input, CarLimits{});
  // Tighter limits only ever refuse more.
  if (check_car(input, small_limits)) FUZZ_CHECK(within_defaults);
  check_pieces(input, CarLimits{});
  check_pieces(input, small_limits);
  check_writer(input);
  return 0;
}
