// The DAG-CBOR a CAR header is written in: item heads (major type and argument), shortest form
// when writing, strict (definite, minimal) when reading.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ocipfs/base/expected.hpp"

namespace ocipfs {

// The CBOR major types a CAR header uses.
enum class CborMajor : std::uint8_t {
  unsigned_int = 0,
  byte_string = 2,
  text_string = 3,
  array = 4,
  map = 5,
  tag = 6
};

// The shortest head of an item of type `major` with argument `value` (a length, a count, a tag
// or the integer itself), as DAG-CBOR requires.
std::string cbor_head(CborMajor major, std::uint64_t value);

// A text string item: its head and `text`.
std::string cbor_text(std::string_view text);

// Reads the head at the front of `bytes`, which must be of type `major`, advances past it and
// returns its argument. Refuses another type ("WHAT must be a map, not an array"), indefinite
// lengths, non-minimal arguments and truncation, the message starting with `what`.
Expected<std::uint64_t> read_cbor_head(std::string_view& bytes, CborMajor major,
                                       std::string_view what);

}  // namespace ocipfs
