// Fetches from IPFS gateways over the HTTP client (http/client.hpp): one deadline per fetch,
// redirects followed (never from a gateway on the internet to a local address), every failure a
// FetchFailure (gateway/fetch_result.hpp).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <string>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/gateway/fetch_result.hpp"
#include "ocipfs/gateway/options.hpp"
#include "ocipfs/http/client.hpp"
#include "ocipfs/http/url.hpp"

namespace ocipfs {

class CancelSignal;

// One client per executor (it keeps its idle connections there); use it from that executor only.
class GatewayClient {
 public:
  // Throws std::runtime_error when options.ca_file cannot be used.
  GatewayClient(boost::asio::any_io_executor executor, GatewayClientOptions options);
  GatewayClient(const GatewayClient&) = delete;
  GatewayClient& operator=(const GatewayClient&) = delete;

  // GETs `url`, following redirects, within options.timeout. Only a 2xx answer is a response.
  // Cancelling `cancel` (base/cancel_signal.hpp; it must outlive the call) closes the connection in
  // use at once; a DNS lookup under way is waited for (it keeps its deadline). A cancelled GET
  // fails (FetchFault::unreachable) and leaves no connection behind for reuse.
  boost::asio::awaitable<Expected<FetchResponse, FetchFailure>> get(HttpUrl url,
                                                                    std::string accept = {},
                                                                    CancelSignal* cancel = nullptr);
  // Opens `url` to read its body as it comes (a large one: a layer), following redirects as
  // get() does; `range` and `accept`, when not empty, are sent as the Range and Accept fields.
  // The answer's head comes within options.timeout, then each read of its body
  // (HttpBodyReader::read) within options.timeout. Only a 2xx answer is a reader.
  boost::asio::awaitable<Expected<HttpBodyReader, FetchFailure>> open(
      HttpUrl url, std::string range = {}, std::string accept = {}, CancelSignal* cancel = nullptr);

 private:
  GatewayClientOptions options_;
  HttpClient http_;
};

}  // namespace ocipfs
