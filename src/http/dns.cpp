#include "ocipfs/http/dns.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <optional>
#include <utility>

namespace ocipfs {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

asio::awaitable<Expected<tcp::resolver::results_type, error_code>> lookup_with_deadline(
    asio::any_io_executor executor, const std::string& host, std::uint16_t port,
    std::chrono::steady_clock::time_point deadline) {
  error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (!ec)
    co_return tcp::resolver::results_type::create(tcp::endpoint(address, port), host,
                                                  std::to_string(port));
  struct Lookup {
    explicit Lookup(const asio::any_io_executor& ex) : resolver(ex), done(ex) {}
    tcp::resolver resolver;
    asio::steady_timer done;
    std::optional<std::pair<error_code, tcp::resolver::results_type>> result;
  };
  auto lookup = std::make_shared<Lookup>(executor);
  lookup->done.expires_at(deadline);
  lookup->resolver.async_resolve(host, std::to_string(port),
                                 [lookup](error_code error, tcp::resolver::results_type found) {
                                   lookup->result.emplace(error, std::move(found));
                                   lookup->done.cancel();
                                 });
  co_await lookup->done.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!lookup->result) {
    lookup->resolver.cancel();
    co_return Unexpected{error_code(asio::error::timed_out)};
  }
  auto& [error, found] = *lookup->result;
  if (error) co_return Unexpected{error};
  co_return std::move(found);
}

}  // namespace ocipfs
