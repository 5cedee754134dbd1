#include "ocipfs/formats/car_reader.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ocipfs/formats/cbor.hpp"

namespace ocipfs {

namespace {

// The longest binary CID read_cid_bytes accepts: varint(1), a one-byte codec, the identity code,
// varint(128) (two bytes) and a 128-byte digest.
constexpr std::size_t kMaxCidBytes = 1 + 1 + 1 + 2 + 128;
static_assert(kMaxCidBytes == max_cid_v1_size);
// A header's bytes besides its roots: the map's head, "roots", the array's longest head,
// "version" and 1.
constexpr std::size_t kHeaderFraming = 1 + 6 + 9 + 8 + 1;
// A root at most: tag 42 (two bytes), a byte string's head (two bytes), 0x00 and the CID.
constexpr std::size_t kMaxRootSize = 2 + 2 + 1 + max_cid_v1_size;
constexpr std::size_t kMaxVarintBytes = 9;

Expected<bool> read_key(std::string_view& bytes, std::string_view key, std::string_view what) {
  auto size = read_cbor_head(bytes, CborMajor::text_string, what);
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
  auto tag = read_cbor_head(bytes, CborMajor::tag, what);
  if (!tag) return Unexpected{std::move(tag).error()};
  if (*tag != car_format::cid_tag) {
    return Unexpected{what + " has tag " + std::to_string(*tag) + ", not 42"};
  }
  auto size = read_cbor_head(bytes, CborMajor::byte_string, what + " link");
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
  auto count = read_cbor_head(bytes, CborMajor::array, "\"roots\"");
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
  auto entries = read_cbor_head(cbor, CborMajor::map, "the header");
  if (!entries) return Unexpected{std::move(entries).error()};
  if (*entries != 2) {
    return Unexpected{"the header map has " + std::to_string(*entries) +
                      " entries, not 2 (\"roots\", \"version\")"};
  }
  if (auto key = read_key(cbor, car_format::roots_key, "the first key"); !key) {
    return Unexpected{std::move(key).error()};
  }
  auto roots = read_roots(cbor, max_roots);
  if (!roots) return roots;
  if (auto key = read_key(cbor, car_format::version_key, "the second key"); !key) {
    return Unexpected{std::move(key).error()};
  }
  auto version = read_cbor_head(cbor, CborMajor::unsigned_int, "\"version\"");
  if (!version) return Unexpected{std::move(version).error()};
  if (*version != car_format::version) {
    return Unexpected{"CAR version " + std::to_string(*version) + " is not supported (only 1)"};
  }
  if (!cbor.empty()) {
    return Unexpected{std::to_string(cbor.size()) + " bytes after the header map"};
  }
  return roots;
}

// A section's CID and block (`body`, after its length): the CID is one read_cid_bytes accepts
// and names the block, which is at most max_block_size bytes.
Expected<CarBlock> read_section_body(std::string_view body, const CarLimits& limits) {
  auto cid = read_cid_bytes(body);
  if (!cid) return Unexpected{"cid: " + std::move(cid).error()};
  if (body.size() > limits.max_block_size) {
    return Unexpected{"block of " + std::to_string(body.size()) +
                      " bytes is over max_block_size (" + std::to_string(limits.max_block_size) +
                      ")"};
  }
  if (!cid_names_block(*cid, body)) {
    return Unexpected{"block does not match its cid " + cid->to_string()};
  }
  return CarBlock{std::move(*cid), body};
}

bool continues(char byte) { return (static_cast<unsigned char>(byte) & 0x80) != 0; }

}  // namespace

std::size_t max_car_header_size(std::size_t max_roots) {
  return kHeaderFraming + max_roots * kMaxRootSize;
}

CarReader::CarReader(const CarLimits& limits) : limits_(limits) {}

Expected<CarEvent> CarReader::next(std::string_view& bytes) {
  if (!error_.empty()) return Unexpected{error_};
  if (returned_) start_next();
  if (bytes.size() > limits_.max_total_size - offset_) {
    return fail("the CAR is over max_total_size (" + std::to_string(limits_.max_total_size) + ")");
  }
  if (!length_) {
    if (bytes.empty()) return CarEvent::need_more;
    if (header_read_ && blocks_ == limits_.max_blocks) {
      return fail("more blocks than max_blocks (" + std::to_string(limits_.max_blocks) + ")");
    }
    auto complete_length = read_length(bytes);
    if (!complete_length) return fail(std::move(complete_length).error());
    if (!*complete_length) return CarEvent::need_more;
  }
  auto body = read_body(bytes);
  if (!body) return fail(std::move(body).error());
  if (!*body) return CarEvent::need_more;
  returned_ = true;
  return complete(**body);
}

// Moves the length's bytes (at most 9) into length_bytes_; true once it is read whole.
Expected<bool> CarReader::read_length(std::string_view& bytes) {
  while (!bytes.empty() && length_bytes_.size < kMaxVarintBytes) {
    const char byte = bytes.front();
    bytes.remove_prefix(1);
    ++offset_;
    length_bytes_.bytes[length_bytes_.size++] = byte;
    if (!continues(byte)) break;
  }
  std::string_view read = length_bytes_.view();
  if (continues(read.back()) && read.size() < kMaxVarintBytes) return false;
  auto length = varint_decode(read);
  if (!length) return Unexpected{"invalid length: " + std::move(length).error()};
  if (*length == 0) return Unexpected{std::string("zero length")};
  if (header_read_ && *length > kMaxCidBytes && *length - kMaxCidBytes > limits_.max_block_size) {
    return Unexpected{"length " + std::to_string(*length) + " is over max_block_size (" +
                      std::to_string(limits_.max_block_size) + ") and the longest cid"};
  }
  length_ = *length;
  return true;
}

// The header's or section's bytes once they are all here: a view into `bytes` when they lie
// whole in it, else pending_; nullopt while some are missing.
Expected<std::optional<std::string_view>> CarReader::read_body(std::string_view& bytes) {
  const std::uint64_t length = *length_;
  const std::size_t take = std::min<std::uint64_t>(length - pending_.size(), bytes.size());
  // Decided at the same byte however the input is cut: once more bytes of a header are here than
  // the longest header can have.
  const std::size_t longest = max_car_header_size(limits_.max_roots);
  if (!header_read_ && pending_.size() + take > longest) {
    return Unexpected{"length " + std::to_string(length) + " is over the longest header of " +
                      std::to_string(limits_.max_roots) + " roots (" + std::to_string(longest) +
                      " bytes)"};
  }
  if (pending_.empty() && bytes.size() >= length) {
    const std::string_view body = bytes.substr(0, length);
    bytes.remove_prefix(length);
    offset_ += length;
    return std::optional{body};
  }
  pending_.append(bytes.substr(0, take));
  bytes.remove_prefix(take);
  offset_ += take;
  if (pending_.size() < length) return std::optional<std::string_view>{};
  return std::optional<std::string_view>{pending_};
}

Expected<CarEvent> CarReader::complete(std::string_view body) {
  if (!header_read_) {
    auto roots = read_header_map(body, limits_.max_roots);
    if (!roots) return fail(std::move(roots).error());
    roots_ = std::move(*roots);
    header_read_ = true;
    return CarEvent::header;
  }
  auto block = read_section_body(body, limits_);
  if (!block) return fail(std::move(block).error());
  block_ = std::move(*block);
  ++blocks_;
  return CarEvent::block;
}

void CarReader::start_next() {
  returned_ = false;
  length_bytes_ = {};
  length_.reset();
  pending_.clear();
  start_ = offset_;
}

Expected<std::uint64_t> CarReader::finish() const {
  if (!error_.empty()) return Unexpected{error_};
  const bool on_boundary = returned_ || (length_bytes_.size == 0 && header_read_);
  if (on_boundary) return offset_;
  if (!length_) {
    std::string_view read = length_bytes_.view();
    auto length = varint_decode(read);  // truncated: it says so
    return Unexpected{where() + "invalid length: " + std::move(length).error()};
  }
  return Unexpected{where() + "truncated (length " + std::to_string(*length_) + ", " +
                    std::to_string(pending_.size()) + " bytes left)"};
}

std::string CarReader::where() const {
  if (!header_read_) return "CAR header: ";
  return "CAR section " + std::to_string(blocks_ + 1) + " (at byte " + std::to_string(start_) +
         "): ";
}

Unexpected<std::string> CarReader::fail(std::string message) {
  error_ = where() + std::move(message);
  return Unexpected{error_};
}

}  // namespace ocipfs
