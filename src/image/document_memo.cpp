#include "ocipfs/image/document_memo.hpp"

#include <algorithm>

namespace ocipfs {

bool DocumentMemo::holds(const Sha256& digest) const {
  return std::any_of(slots_.begin(), slots_.end(), [&](const Slot& slot) {
    return !slot.bytes.empty() && slot.digest == digest;
  });
}

void DocumentMemo::render(const Image& image, const Document& document, std::string& out) {
  if (document.size < min_size || document.size > max_size || image.verbatim())
    return image.render(document, out);
  for (Slot& slot : slots_)
    if (!slot.bytes.empty() && slot.digest == document.digest) {
      slot.used = ++uses_;
      out += slot.bytes;
      return;
    }
  const std::size_t at = out.size();
  image.render(document, out);
  Slot& oldest = *std::min_element(slots_.begin(), slots_.end(),
                                   [](const Slot& a, const Slot& b) { return a.used < b.used; });
  oldest.digest = document.digest;
  oldest.bytes.assign(out, at);
  oldest.used = ++uses_;
}

}  // namespace ocipfs
