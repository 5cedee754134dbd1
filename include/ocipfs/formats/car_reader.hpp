// An incremental CARv1 reader: the header and each section as soon as its bytes have arrived,
// from pieces of any size, holding at most one section. parse_car reads through it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/formats/varint.hpp"

namespace ocipfs {

// The header's fixed parts: what car_header writes and CarReader requires.
namespace car_format {
inline constexpr std::uint64_t version = 1;
inline constexpr std::uint64_t cid_tag = 42;  // the CBOR tag of an IPLD link
inline constexpr std::string_view roots_key = "roots";
inline constexpr std::string_view version_key = "version";
}  // namespace car_format

// Bounds on what parse_car and CarReader accept; anything over them is refused, never allocated.
struct CarLimits {
  std::size_t max_roots = 1024;
  std::size_t max_block_size = 2 * 1024 * 1024;
  std::size_t max_blocks = 8192;
  std::size_t max_total_size = 64 * 1024 * 1024;
};

struct CarBlock {
  Cid cid;
  std::string_view bytes;  // a view into the CAR's bytes (CarReader::block says how long it lives)
};

// What CarReader::next found.
enum class CarEvent {
  need_more,  // every byte given was taken; the header or section is not complete yet
  header,     // the header is complete: CarReader::roots()
  block,      // a section is complete: CarReader::block()
};

// The longest header that can hold `max_roots` roots (each a CIDv1 of at most max_cid_v1_size
// bytes): anything longer is refused.
std::size_t max_car_header_size(std::size_t max_roots);

// Reads a CARv1 as it arrives, with parse_car's rules and messages ("CAR header: ...",
// "CAR section N (at byte B): ..."): every block's hash is checked against its CID, and every
// bound of CarLimits holds. Memory: one section (at most max_block_size and its CID) or header
// (at most max_car_header_size), and only while it is split across the pieces given; a section
// that lies whole in one piece is a view into it, not copied. After an error the reader is
// spent: next and finish return that error again.
class CarReader {
 public:
  explicit CarReader(const CarLimits& limits = {});

  // Takes bytes from the front of `bytes` up to the end of the header or of the next section,
  // and says what is complete. need_more: all of `bytes` was taken (and kept until the rest
  // arrives); call again with the next piece. Otherwise `bytes` is left after that header or
  // section, which stays readable (roots(), block()) until the next call. A header longer than
  // max_car_header_size is refused once that many of its bytes have arrived; a section's length
  // over max_block_size and the longest CID is refused as soon as it is read.
  Expected<CarEvent> next(std::string_view& bytes);

  // The header's roots, once next has said header.
  const std::vector<Cid>& roots() const { return roots_; }

  // The section next has just said complete. Its bytes view the piece given to next, or the
  // reader's own buffer: valid until the next call to next, and while that piece lives.
  const CarBlock& block() const { return block_; }

  // Sections read so far, and bytes taken so far.
  std::size_t blocks() const { return blocks_; }
  std::uint64_t offset() const { return offset_; }

  // The stream ended: its size in bytes when it ended after the header and on a section's
  // boundary; otherwise why not (no header, a truncated length or section).
  Expected<std::uint64_t> finish() const;

 private:
  Expected<bool> read_length(std::string_view& bytes);
  Expected<std::optional<std::string_view>> read_body(std::string_view& bytes);
  Expected<CarEvent> complete(std::string_view body);
  void start_next();
  std::string where() const;
  Unexpected<std::string> fail(std::string message);

  CarLimits limits_;
  bool header_read_ = false;
  bool returned_ = false;     // the header or a section was returned by the last next
  VarintBytes length_bytes_;  // the length's bytes, while it is read
  std::optional<std::uint64_t> length_;
  std::string pending_;      // a header or section split across pieces
  std::uint64_t start_ = 0;  // where the header or section being read starts
  std::uint64_t offset_ = 0;
  std::size_t blocks_ = 0;
  std::vector<Cid> roots_;
  CarBlock block_;
  std::string error_;
};

}  // namespace ocipfs
