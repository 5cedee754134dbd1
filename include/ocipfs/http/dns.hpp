// DNS lookups with a deadline, for the HTTP client (http/client.hpp; private to src/).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "ocipfs/base/expected.hpp"

namespace ocipfs {

// The endpoints of host:port, at once for an IP literal. Asio cannot cancel a single lookup, so
// the lookup owns its state and the caller stops waiting at `deadline`: then the error is
// boost::asio::error::timed_out.
boost::asio::awaitable<
    Expected<boost::asio::ip::tcp::resolver::results_type, boost::system::error_code>>
lookup_with_deadline(boost::asio::any_io_executor executor, const std::string& host,
                     std::uint16_t port, std::chrono::steady_clock::time_point deadline);

}  // namespace ocipfs
