#include "ocipfs/formats/cbor.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace ocipfs {

namespace {

std::string_view major_name(unsigned major) {
  switch (major) {
    case 0:
      return "an unsigned integer";
    case 1:
      return "a negative integer";
    case 2:
      return "a byte string";
    case 3:
      return "a text string";
    case 4:
      return "an array";
    case 5:
      return "a map";
    case 6:
      return "a tag";
    default:
      return "a float or simple value";
  }
}

// Reads the argument of the CBOR head at the front of `bytes` (whose major type the caller
// checked): definite lengths only, in their shortest form.
Expected<std::uint64_t> read_cbor_argument(std::string_view& bytes) {
  const unsigned info = static_cast<unsigned char>(bytes[0]) & 0x1fu;
  if (info < 24) {
    bytes.remove_prefix(1);
    return std::uint64_t{info};
  }
  if (info > 27) {
    return Unexpected{"unsupported CBOR additional information " + std::to_string(info) +
                      " (indefinite lengths are not DAG-CBOR)"};
  }
  const std::size_t size = std::size_t{1} << (info - 24);
  if (bytes.size() < 1 + size) return Unexpected{std::string("truncated CBOR item")};
  std::uint64_t value = 0;
  for (std::size_t i = 1; i <= size; ++i) value = value << 8 | static_cast<unsigned char>(bytes[i]);
  const std::uint64_t least = size == 1 ? 24 : std::uint64_t{1} << (4 * size);
  if (value < least) return Unexpected{"non-minimal CBOR integer " + std::to_string(value)};
  bytes.remove_prefix(1 + size);
  return value;
}

}  // namespace

std::string cbor_head(CborMajor major, std::uint64_t value) {
  const auto type = static_cast<unsigned char>(static_cast<unsigned>(major) << 5);
  std::string out;
  int bytes = 0;
  if (value < 24) {
    out.push_back(static_cast<char>(type | value));
  } else if (value <= 0xff) {
    out.push_back(static_cast<char>(type | 24));
    bytes = 1;
  } else if (value <= 0xffff) {
    out.push_back(static_cast<char>(type | 25));
    bytes = 2;
  } else if (value <= 0xffffffff) {
    out.push_back(static_cast<char>(type | 26));
    bytes = 4;
  } else {
    out.push_back(static_cast<char>(type | 27));
    bytes = 8;
  }
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  return out;
}

std::string cbor_text(std::string_view text) {
  return cbor_head(CborMajor::text_string, text.size()) + std::string(text);
}

Expected<std::uint64_t> read_cbor_head(std::string_view& bytes, CborMajor major,
                                       std::string_view what) {
  if (bytes.empty()) return Unexpected{std::string(what) + ": truncated, CBOR item expected"};
  const unsigned found = static_cast<unsigned char>(bytes[0]) >> 5;
  if (found != static_cast<unsigned>(major)) {
    return Unexpected{std::string(what) + " must be " +
                      std::string(major_name(static_cast<unsigned>(major))) + ", not " +
                      std::string(major_name(found))};
  }
  auto argument = read_cbor_argument(bytes);
  if (!argument) return Unexpected{std::string(what) + ": " + std::move(argument).error()};
  return argument;
}

}  // namespace ocipfs
