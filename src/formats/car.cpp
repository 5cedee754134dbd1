#include "ocipfs/formats/car.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/formats/varint.hpp"

namespace ocipfs {

namespace {

// The longest binary CID read_cid_bytes accepts: varint(1), a one-byte codec, the identity code,
// varint(128) (two bytes) and a 128-byte digest.
constexpr std::size_t kMaxCidBytes = 1 + 1 + 1 + 2 + 128;
constexpr std::size_t kSha256Length = 32;
constexpr std::uint64_t kCarVersion = 1;
constexpr std::uint64_t kCidTag = 42;  // CBOR tag of an IPLD link
constexpr std::string_view kRootsKey = "roots";
constexpr std::string_view kVersionKey = "version";

// CBOR major types used by the header.
enum class Major : std::uint8_t {
  unsigned_int = 0,
  byte_string = 2,
  text_string = 3,
  array = 4,
  map = 5,
  tag = 6
};

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

// The shortest CBOR head (major type and argument), as DAG-CBOR requires.
std::string cbor_head(Major major, std::uint64_t value) {
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
  return cbor_head(Major::text_string, text.size()) + std::string(text);
}

// The binary CID of a section or a header link: CIDv0 as its multihash, CIDv1 as v1_bytes().
std::string cid_binary(const Cid& cid) {
  if (cid.version == 0) {
    return std::string{static_cast<char>(multihash::sha2_256), static_cast<char>(kSha256Length)} +
           cid.digest;
  }
  return cid.v1_bytes();
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

// Reads a CBOR head that must be of type `major` and returns its argument.
Expected<std::uint64_t> read_cbor(std::string_view& bytes, Major major, std::string_view what) {
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

Expected<bool> read_key(std::string_view& bytes, std::string_view key, std::string_view what) {
  auto size = read_cbor(bytes, Major::text_string, what);
  if (!size) return Unexpected{std::move(size).error()};
  if (*size > bytes.size() || bytes.substr(0, *size) != key) {
    return Unexpected{std::string(what) + " must be \"" + std::string(key) + "\""};
  }
  bytes.remove_prefix(*size);
  return true;
}

// One root: tag 42 over a byte string of 0x00 and a binary CID, nothing more.
Expected<Cid> read_root(std::string_view& bytes, std::size_t index) {
  const std::string what = "root " + std::to_string(index);
  auto tag = read_cbor(bytes, Major::tag, what);
  if (!tag) return Unexpected{std::move(tag).error()};
  if (*tag != kCidTag) return Unexpected{what + " has tag " + std::to_string(*tag) + ", not 42"};
  auto size = read_cbor(bytes, Major::byte_string, what + " link");
  if (!size) return Unexpected{std::move(size).error()};
  if (*size > bytes.size()) return Unexpected{what + " is truncated"};
  std::string_view link = bytes.substr(0, *size);
  bytes.remove_prefix(*size);
  if (link.empty() || link[0] != '\0') {
    return Unexpected{what + " link must start with the byte 0x00 (the identity multibase)"};
  }
  link.remove_prefix(1);
  auto cid = read_cid_bytes(link);
  if (!cid) return Unexpected{what + ": " + std::move(cid).error()};
  if (!link.empty()) {
    return Unexpected{what + " has " + std::to_string(link.size()) + " bytes after its cid"};
  }
  return cid;
}

Expected<std::vector<Cid>> read_roots(std::string_view& bytes, std::size_t max_roots) {
  auto count = read_cbor(bytes, Major::array, "\"roots\"");
  if (!count) return Unexpected{std::move(count).error()};
  if (*count > max_roots) {
    return Unexpected{std::to_string(*count) + " roots, over max_roots (" +
                      std::to_string(max_roots) + ")"};
  }
  std::vector<Cid> roots;
  for (std::size_t i = 0; i < *count; ++i) {
    auto root = read_root(bytes, i);
    if (!root) return Unexpected{std::move(root).error()};
    roots.push_back(std::move(*root));
  }
  return roots;
}

// The header's DAG-CBOR: exactly the map {"roots": [...], "version": 1}, in that key order.
Expected<std::vector<Cid>> read_header_map(std::string_view cbor, std::size_t max_roots) {
  auto entries = read_cbor(cbor, Major::map, "the header");
  if (!entries) return Unexpected{std::move(entries).error()};
  if (*entries != 2) {
    return Unexpected{"the header map has " + std::to_string(*entries) +
                      " entries, not 2 (\"roots\", \"version\")"};
  }
  if (auto key = read_key(cbor, kRootsKey, "the first key"); !key) {
    return Unexpected{std::move(key).error()};
  }
  auto roots = read_roots(cbor, max_roots);
  if (!roots) return roots;
  if (auto key = read_key(cbor, kVersionKey, "the second key"); !key) {
    return Unexpected{std::move(key).error()};
  }
  auto version = read_cbor(cbor, Major::unsigned_int, "\"version\"");
  if (!version) return Unexpected{std::move(version).error()};
  if (*version != kCarVersion) {
    return Unexpected{"CAR version " + std::to_string(*version) + " is not supported (only 1)"};
  }
  if (!cbor.empty()) {
    return Unexpected{std::to_string(cbor.size()) + " bytes after the header map"};
  }
  return roots;
}

// Reads the header (its length and its map) from the front of `bytes` and advances past it.
Expected<std::vector<Cid>> read_header(std::string_view& bytes, std::size_t max_roots) {
  auto length = varint_decode(bytes);
  if (!length) return Unexpected{"CAR header: invalid length: " + std::move(length).error()};
  if (*length == 0) return Unexpected{std::string("CAR header: zero length")};
  if (*length > bytes.size()) {
    return Unexpected{"CAR header: truncated (length " + std::to_string(*length) + ", " +
                      std::to_string(bytes.size()) + " bytes left)"};
  }
  auto roots = read_header_map(bytes.substr(0, *length), max_roots);
  if (!roots) return Unexpected{"CAR header: " + std::move(roots).error()};
  bytes.remove_prefix(*length);
  return roots;
}

bool block_matches(const Cid& cid, std::string_view block) {
  if (cid.hash == multihash::identity) return cid.digest == block;
  if (cid.hash != multihash::sha2_256) return false;
  const Sha256 hash = sha256(block);
  return cid.digest == std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size());
}

// Reads one section from the front of `bytes` (not empty) and advances past it.
Expected<CarBlock> read_section(std::string_view& bytes, const CarLimits& limits) {
  auto length = varint_decode(bytes);
  if (!length) return Unexpected{"invalid length: " + std::move(length).error()};
  if (*length == 0) return Unexpected{std::string("zero length")};
  if (*length > kMaxCidBytes && *length - kMaxCidBytes > limits.max_block_size) {
    return Unexpected{"length " + std::to_string(*length) + " is over max_block_size (" +
                      std::to_string(limits.max_block_size) + ") and the longest cid"};
  }
  if (*length > bytes.size()) {
    return Unexpected{"truncated (length " + std::to_string(*length) + ", " +
                      std::to_string(bytes.size()) + " bytes left)"};
  }
  std::string_view body = bytes.substr(0, *length);
  bytes.remove_prefix(*length);
  auto cid = read_cid_bytes(body);
  if (!cid) return Unexpected{"cid: " + std::move(cid).error()};
  if (body.size() > limits.max_block_size) {
    return Unexpected{"block of " + std::to_string(body.size()) +
                      " bytes is over max_block_size (" + std::to_string(limits.max_block_size) +
                      ")"};
  }
  if (!block_matches(*cid, body)) {
    return Unexpected{"block does not match its cid " + cid->to_string()};
  }
  return CarBlock{std::move(*cid), body};
}

}  // namespace

std::string car_header(const std::vector<Cid>& roots) {
  std::string map = cbor_head(Major::map, 2) + cbor_text(kRootsKey);
  map += cbor_head(Major::array, roots.size());
  for (const Cid& root : roots) {
    const std::string link = '\0' + cid_binary(root);
    map += cbor_head(Major::tag, kCidTag) + cbor_head(Major::byte_string, link.size()) + link;
  }
  map += cbor_text(kVersionKey) + cbor_head(Major::unsigned_int, kCarVersion);
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
  std::string_view rest = bytes;
  auto roots = read_header(rest, limits.max_roots);
  if (!roots) return Unexpected{std::move(roots).error()};
  Car car{std::move(*roots), {}};
  while (!rest.empty()) {
    const std::size_t offset = bytes.size() - rest.size();
    auto where = [&] {
      return "CAR section " + std::to_string(car.blocks.size() + 1) + " (at byte " +
             std::to_string(offset) + "): ";
    };
    if (car.blocks.size() == limits.max_blocks) {
      return Unexpected{where() + "more blocks than max_blocks (" +
                        std::to_string(limits.max_blocks) + ")"};
    }
    auto block = read_section(rest, limits);
    if (!block) return Unexpected{where() + std::move(block).error()};
    car.blocks.push_back(std::move(*block));
  }
  return car;
}

const CarBlock* find_block(const Car& car, const Cid& cid) {
  for (const CarBlock& block : car.blocks) {
    if (block.cid.codec == cid.codec && block.cid.hash == cid.hash &&
        block.cid.digest == cid.digest) {
      return &block;
    }
  }
  return nullptr;
}

}  // namespace ocipfs
