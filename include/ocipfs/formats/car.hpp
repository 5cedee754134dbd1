// CARv1 (content-addressed archives): writing sections, and a bounded, strict reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/formats/cid.hpp"

namespace ocipfs {

// The header: varint(length) and the DAG-CBOR map {"roots": [CID...], "version": 1}, each CID as
// CBOR tag 42 over a byte string of 0x00 and its binary form.
std::string car_header(const std::vector<Cid>& roots);

// One section: varint(length of CID and block), the binary CID, the block.
std::string car_section(const Cid& cid, std::string_view block);

// Bounds on what parse_car accepts; anything over them is refused, never allocated.
struct CarLimits {
  std::size_t max_roots = 1024;
  std::size_t max_block_size = 2 * 1024 * 1024;
  std::size_t max_blocks = 8192;
  std::size_t max_total_size = 64 * 1024 * 1024;
};

struct CarBlock {
  Cid cid;
  std::string_view bytes;  // a view into the parsed CAR's bytes
};

struct Car {
  std::vector<Cid> roots;
  std::vector<CarBlock> blocks;  // in the order of the file
};

// Parses a whole CARv1 held in `bytes` (which must outlive the result). Every block's hash is
// checked against its CID (sha2-256 or identity; other hashes are refused). Refuses a header that
// is not exactly {roots, version: 1}, a truncated section, a huge or non-minimal varint, and a
// CID codec other than raw or dag-pb; the message says which section and what is wrong.
Expected<Car> parse_car(std::string_view bytes, const CarLimits& limits = {});

// The block for `cid` in `car` (compared as CIDv1, so a CIDv0 finds its v1 twin), or nullptr.
const CarBlock* find_block(const Car& car, const Cid& cid);

}  // namespace ocipfs
