#include "ocipfs/fetch_result.hpp"

namespace ocipfs {

std::string_view fault_label(FetchFault fault) {
  static constexpr std::array<std::string_view, fetch_fault_count> labels = {
      "not_found", "rate_limited", "bad_status",   "timeout", "unreachable",
      "garbage",   "too_large",    "bad_redirect", "mismatch"};
  return labels[static_cast<std::size_t>(fault)];
}

}  // namespace ocipfs
