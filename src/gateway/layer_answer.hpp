// One gateway's answer for a layer's bytes from an offset, behind one interface whatever the
// gateway's kind: a path gateway's plain file, or a trustless gateway's CAR proven block by block.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/gateway/fetch_result.hpp"
#include "ocipfs/http/layer_source.hpp"
#include "ocipfs/http/url.hpp"

namespace ocipfs {

class GatewayClient;

// The Accept that asks a trustless gateway for a file's CAR as UnixfsFileWalk reads it.
inline constexpr std::string_view layer_car_accept =
    "application/vnd.ipld.car; version=1; order=dfs; dups=y";

// A failure of a gateway's transfer (FetchFault::unreachable unless said).
FetchFailure transfer_failure(std::string message, FetchFault fault = FetchFault::unreachable);

// How many bytes of a gateway's answer to skip to reach `offset` of a layer of `size` bytes,
// asked with a Range from `offset` (none when 0): 206 must say exactly "bytes offset-(size-1)/
// size" (or "/*"), 200 (a gateway that ignores ranges) is read from its start. A Content-Length
// that is not the length expected is an error saying so.
Expected<std::uint64_t> bytes_to_skip(unsigned status, std::string_view content_range,
                                      std::string_view content_length, std::uint64_t offset,
                                      std::uint64_t size);

class LayerAnswer {
 public:
  virtual ~LayerAnswer() = default;
  // The next bytes of the layer from where the last read ended (the first from the offset
  // asked): at least one, at most `most` (> 0). The view lives until the next read, and no
  // longer than the window given to open_layer_answer. A failure says why this gateway cannot
  // go on (a plain file's bytes are not proven here: the layer's digest does that).
  virtual boost::asio::awaitable<Expected<std::string_view, FetchFailure>> read(
      std::size_t most) = 0;
};

// Asks the gateway `gateway` for `layer`'s bytes from `offset` (< layer.size) to before `end`
// (<= layer.size; below it for a `trustless` gateway only), and takes in its answer's head. A
// path gateway is asked for the plain file (with Range: bytes=<offset>- past 0, bytes_to_skip
// judging the answer); a `trustless` one for the CAR of the path (?format=car&dag-scope=entity,
// with &entity-bytes=<offset>:<end - 1, or * at the layer's end> unless that is all of it; Accept
// layer_car_accept), whose directories and file DAG are proven block by block (UnixfsPathWalk,
// UnixfsFileWalk) and whose file must be layer.size bytes. Reads go through `window` (which must
// outlive the answer); a CAR holds besides at most one block split across reads (CarLimits).
boost::asio::awaitable<Expected<std::unique_ptr<LayerAnswer>, FetchFailure>> open_layer_answer(
    GatewayClient& client, const HttpUrl& gateway, bool trustless, const LayerBytes& layer,
    std::uint64_t offset, std::uint64_t end, std::span<char> window);

}  // namespace ocipfs
