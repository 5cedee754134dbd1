#include "ocipfs/formats/car.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ocipfs/formats/car_reader.hpp"
#include "ocipfs/formats/cbor.hpp"
#include "ocipfs/formats/varint.hpp"

namespace ocipfs {

namespace {

constexpr std::size_t kSha256Length = 32;

// The binary CID of a section or a header link: CIDv0 as its multihash, CIDv1 as v1_bytes().
std::string cid_binary(const Cid& cid) {
  if (cid.version == 0) {
    return std::string{static_cast<char>(multihash::sha2_256), static_cast<char>(kSha256Length)} +
           cid.digest;
  }
  return cid.v1_bytes();
}

}  // namespace

std::string car_header(const std::vector<Cid>& roots) {
  std::string map = cbor_head(CborMajor::map, 2) + cbor_text(car_format::roots_key);
  map += cbor_head(CborMajor::array, roots.size());
  for (const Cid& root : roots) {
    const std::string link = '\0' + cid_binary(root);
    map += cbor_head(CborMajor::tag, car_format::cid_tag) +
           cbor_head(CborMajor::byte_string, link.size()) + link;
  }
  map +=
      cbor_text(car_format::version_key) + cbor_head(CborMajor::unsigned_int, car_format::version);
  return varint_encode(map.size()) + map;
}

std::string car_section(const Cid& cid, std::string_view block) {
  const std::string binary = cid_binary(cid);
  return varint_encode(binary.size() + block.size()) + binary + std::string(block);
}

Expected<Car> parse_car(std::string_view bytes, const CarLimits& limits) {
  if (bytes.size() > limits.max_total_size) {
    return Unexpected{"CAR of " + std::to_string(bytes.size()) + " bytes is over max_total_size (" +
                      std::to_string(limits.max_total_size) + ")"};
  }
  // Every section lies whole in `bytes`, so the reader's blocks view `bytes`, never its buffer.
  CarReader reader(limits);
  Car car;
  for (std::string_view rest = bytes;;) {
    auto event = reader.next(rest);
    if (!event) return Unexpected{std::move(event).error()};
    if (*event == CarEvent::need_more) break;
    if (*event == CarEvent::header) car.roots = reader.roots();
    if (*event == CarEvent::block) car.blocks.push_back(reader.block());
  }
  if (auto end = reader.finish(); !end) return Unexpected{std::move(end).error()};
  return car;
}

const CarBlock* find_block(const Car& car, const Cid& cid) {
  for (const CarBlock& block : car.blocks) {
    if (same_block(block.cid, cid)) return &block;
  }
  return nullptr;
}

}  // namespace ocipfs
