// What one fetch from a gateway gave: its answer, or how it failed. The one vocabulary of the
// gateway client, the failover decision and the metrics.
#pragma once

#include <array>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace ocipfs {

enum class FetchFault {
  not_found,        // 404 or 410
  rate_limited,     // 429
  bad_status,       // any other non-2xx answer
  timeout,          // the deadline passed
  unreachable,      // DNS, connect or TLS failed, or the connection broke
  garbage,          // not HTTP, or a broken HTTP message
  too_large,        // the body is over the cap
  bad_redirect,     // too many redirects, or to somewhere that is not http(s)
  mismatch,         // an answer that is not the content the CID names
  local_resources,  // ocipfsd itself was out of descriptors or memory: no fault of the gateway
  not_a_document,   // the gateway says the CID names something else (lists a directory)
};
inline constexpr std::size_t fetch_fault_count = 11;

struct FetchResponse {
  unsigned status = 200;
  std::string body;
  std::string content_type;
};

struct FetchFailure {
  FetchFault fault = FetchFault::unreachable;
  std::string message;  // what happened, naming the gateway's origin, never the path's secrets
  unsigned status = 0;  // the HTTP status, when there was one
  std::chrono::seconds retry_after{0};
  std::string detail{};  // for the log only: what clients must not see (where a redirect led)
};

// The metrics label of a fault, e.g. "not_found".
std::string_view fault_label(FetchFault fault);

// True for the errors that say ocipfsd itself is short of something (EMFILE, ENFILE, ENOMEM,
// ENOBUFS): a local_resources fault, never a gateway's timeout or failure.
bool is_local_resource_error(const boost::system::error_code& ec);

}  // namespace ocipfs
