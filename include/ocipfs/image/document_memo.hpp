// The large documents a thread rendered last, kept by digest: a digest names its document's bytes
// whatever image renders it, so a popular image's 100-layer manifest is copied on the next request
// instead of written again, digest by digest in hex.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/image/image.hpp"

namespace ocipfs {

class DocumentMemo {
 public:
  // Smaller documents render about as fast as they copy; larger ones are not kept. A thread's
  // memo holds slots * max_size bytes at most.
  static constexpr std::size_t min_size = 4 * 1024;
  static constexpr std::size_t max_size = 256 * 1024;
  static constexpr std::size_t slots = 8;

  // Appends `document` (one of image's synthesized documents) to `out` as Image::render does:
  // copied when the memo holds it, else rendered, and kept when its size is in range, in place of
  // the slot used least recently. Allocates nothing on a hit when `out` has room.
  void render(const Image& image, const Document& document, std::string& out);
  // Whether the memo holds the document with this digest.
  bool holds(const Sha256& digest) const;

 private:
  struct Slot {
    Sha256 digest{};
    std::string bytes;  // empty: a free slot
    std::uint64_t used = 0;
  };
  std::array<Slot, slots> slots_;
  std::uint64_t uses_ = 0;
};

}  // namespace ocipfs
