#include "ocipfs/gateway/fetch_result.hpp"

namespace ocipfs {

std::string_view fault_label(FetchFault fault) {
  static constexpr std::array<std::string_view, fetch_fault_count> labels = {
      "not_found", "rate_limited", "bad_status", "timeout",         "unreachable",   "garbage",
      "too_large", "bad_redirect", "mismatch",   "local_resources", "not_a_document"};
  return labels[static_cast<std::size_t>(fault)];
}

bool is_local_resource_error(const boost::system::error_code& ec) {
  using boost::system::errc::make_error_code;
  namespace errc = boost::system::errc;
  return ec == make_error_code(errc::too_many_files_open) ||
         ec == make_error_code(errc::too_many_files_open_in_system) ||
         ec == make_error_code(errc::not_enough_memory) ||
         ec == make_error_code(errc::no_buffer_space);
}

}  // namespace ocipfs
