// The completion token every coroutine in src/ uses (private to src/).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ocipfs {

// co_await op(..., use_tuple) gives (error_code, results...) instead of throwing.
inline constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace ocipfs
