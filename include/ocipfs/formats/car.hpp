// CARv1 (content-addressed archives): writing the header and sections, and reading a whole CAR
// (with the reader of car_reader.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/formats/car_reader.hpp"
#include "ocipfs/formats/cid.hpp"

namespace ocipfs {

// The header: varint(length) and the DAG-CBOR map {"roots": [CID...], "version": 1}, each CID as
// CBOR tag 42 over a byte string of 0x00 and its binary form.
std::string car_header(const std::vector<Cid>& roots);

// One section: varint(length of CID and block), the binary CID, the block.
std::string car_section(const Cid& cid, std::string_view block);

struct Car {
  std::vector<Cid> roots;
  std::vector<CarBlock> blocks;  // in the order of the file
};

// Parses a whole CARv1 held in `bytes` (which must outlive the result) with a CarReader, whose
// rules these are: every block's hash is checked against its CID (sha2-256 or identity; other
// hashes are refused). Refuses a header that is not exactly {roots, version: 1}, a truncated
// section, a huge or non-minimal varint, and a CID codec other than raw or dag-pb; the message
// says which section and what is wrong.
Expected<Car> parse_car(std::string_view bytes, const CarLimits& limits = {});

// The block for `cid` in `car` (compared as CIDv1, so a CIDv0 finds its v1 twin), or nullptr.
const CarBlock* find_block(const Car& car, const Cid& cid);

}  // namespace ocipfs
