#include "ocipfs/gateway/layer_stream.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>

#include "ocipfs/gateway/client.hpp"
#include "ocipfs/gateway/failover.hpp"
#include "ocipfs/gateway/health.hpp"
#include "ocipfs/http/client.hpp"

namespace ocipfs {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// A whole decimal number, all of `text`.
std::optional<std::uint64_t> whole_number(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::string range_from(std::uint64_t offset) {
  return offset == 0 ? std::string() : "bytes=" + std::to_string(offset) + "-";
}

FetchFailure broken(std::string message, FetchFault fault = FetchFault::unreachable) {
  return {fault, std::move(message), 0, std::chrono::seconds{0}};
}

}  // namespace

Expected<std::uint64_t> bytes_to_skip(unsigned status, std::string_view content_range,
                                      std::string_view content_length, std::uint64_t offset,
                                      std::uint64_t size) {
  const std::uint64_t expected_length = status == 206 ? size - offset : size;
  if (!content_length.empty() && whole_number(content_length) != expected_length)
    return Unexpected{"it sent Content-Length " + std::string(content_length.substr(0, 24)) +
                      " where " + std::to_string(expected_length) + " bytes were expected"};
  if (status != 206) return offset;
  const std::string wanted = "bytes " + std::to_string(offset) + "-" + std::to_string(size - 1);
  if (content_range != wanted + "/" + std::to_string(size) && content_range != wanted + "/*")
    return Unexpected{"it answered the range " + std::string(content_range.substr(0, 64)) +
                      " where \"" + wanted + "/" + std::to_string(size) + "\" was asked"};
  return 0;
}

// One transfer: the gateway being read, the offset reached and the hash so far.
class LayerStream final : public BodyStream {
 public:
  LayerStream(LayerStreams& owner, LayerBytes layer, Budget::Lease slot)
      : owner_(owner),
        layer_(std::move(layer)),
        slot_(std::move(slot)),
        order_(owner.health_.order(Clock::now())),
        failures_(layer_.name, order_.size()),
        window_(std::make_unique<char[]>(LayerStreams::window_size)) {}

  // Opens the next gateway that answers, from the offset reached; false when none is left.
  asio::awaitable<bool> connect_next();
  RegistryError verdict() const { return failures_.verdict(); }
  asio::awaitable<Expected<std::string_view>> next() override;

 private:
  asio::awaitable<Expected<std::size_t, FetchFailure>> read_piece();
  asio::awaitable<std::optional<FetchFailure>> skip_ahead();
  void failed(const FetchFailure& failure);
  Expected<std::string_view> finish(std::size_t piece);

  LayerStreams& owner_;
  LayerBytes layer_;
  Budget::Lease slot_;
  std::vector<std::size_t> order_;
  std::size_t tried_ = 0;  // of order_
  std::size_t current_ = 0;
  std::optional<HttpBodyReader> reader_;
  std::uint64_t skip_ = 0;  // bytes of the reader's answer before the offset reached
  std::uint64_t offset_ = 0;
  Sha256Stream hash_;
  Failover failures_;
  std::unique_ptr<char[]> window_;
};

void LayerStream::failed(const FetchFailure& failure) {
  failures_.failed(failure);
  owner_.health_.failed(current_, Clock::now(), failure.retry_after);
  spdlog::warn("{} at offset {}: {}", layer_.name, offset_, failure.message);
  reader_.reset();
}

asio::awaitable<bool> LayerStream::connect_next() {
  while (tried_ < order_.size()) {
    current_ = order_[tried_++];
    HttpUrl url = owner_.gateways_[current_];
    url.path = std::string(url.base_path()) + layer_.ipfs_path;
    auto opened = co_await owner_.client_.open(url, range_from(offset_));
    if (!opened) {
      failed(opened.error());
      continue;
    }
    const HttpResponse& head = opened->head();
    auto skip = bytes_to_skip(head.status, head.field("Content-Range"),
                              head.field("Content-Length"), offset_, layer_.size);
    if (!skip) {
      failed(broken(url.origin() + ": " + skip.error(), FetchFault::garbage));
      continue;
    }
    skip_ = *skip;
    reader_.emplace(std::move(*opened));
    co_return true;
  }
  co_return false;
}

// Reads and drops what a gateway that ignored the Range sent before the offset reached.
asio::awaitable<std::optional<FetchFailure>> LayerStream::skip_ahead() {
  const std::string origin = owner_.gateways_[current_].origin();
  while (skip_ > 0) {
    auto want = std::min<std::uint64_t>(skip_, LayerStreams::window_size);
    auto read = co_await reader_->read({window_.get(), static_cast<std::size_t>(want)});
    if (!read)
      co_return broken(origin + ": the transfer broke (" + read.error().code.message() + ")");
    if (*read == 0) co_return broken(origin + ": the layer ended early");
    skip_ -= *read;
  }
  co_return std::nullopt;
}

asio::awaitable<Expected<std::size_t, FetchFailure>> LayerStream::read_piece() {
  if (auto failure = co_await skip_ahead()) co_return Unexpected{std::move(*failure)};
  const std::string origin = owner_.gateways_[current_].origin();
  auto want = std::min<std::uint64_t>(layer_.size - offset_, LayerStreams::window_size);
  auto read = co_await reader_->read({window_.get(), static_cast<std::size_t>(want)});
  if (!read) {
    bool stalled = read.error().timed_out();
    co_return Unexpected{broken(origin +
                                    (stalled ? ": the transfer stalled" : ": the transfer broke") +
                                    " (" + read.error().code.message() + ")",
                                stalled ? FetchFault::timeout : FetchFault::unreachable)};
  }
  if (*read == 0) co_return Unexpected{broken(origin + ": the layer ended early")};
  co_return *read;
}

// Takes in a piece read: the piece, or the mismatch when it was the last one.
Expected<std::string_view> LayerStream::finish(std::size_t piece) {
  std::string_view bytes(window_.get(), piece);
  hash_.update(bytes);
  offset_ += piece;
  if (offset_ < layer_.size) return bytes;
  reader_.reset();
  std::string got = hash_.digest();
  if (got != sha256_digest_text(layer_.digest))
    return Unexpected{"the bytes of " + layer_.name + " hash to " + got + ", not its digest"};
  owner_.health_.succeeded(current_);
  return bytes;
}

asio::awaitable<Expected<std::string_view>> LayerStream::next() {
  if (offset_ == layer_.size) co_return std::string_view();
  for (;;) {
    if (!reader_ && !co_await connect_next())
      co_return Unexpected{"no gateway could finish " + layer_.name + " from byte " +
                           std::to_string(offset_) + ": " + failures_.verdict().message};
    auto piece = co_await read_piece();
    if (piece) co_return finish(*piece);
    failed(piece.error());
  }
}

LayerStreams::LayerStreams(GatewayClient& client, std::vector<HttpUrl> gateways,
                           GatewayHealth& health, Budget& transfers,
                           std::chrono::milliseconds slot_wait)
    : client_(client),
      gateways_(std::move(gateways)),
      health_(health),
      transfers_(transfers),
      slot_wait_(slot_wait) {}

asio::awaitable<Expected<std::unique_ptr<BodyStream>, RegistryError>> LayerStreams::open(
    LayerBytes layer) {
  auto slot = co_await transfers_.acquire(1, Clock::now() + slot_wait_);
  if (!slot)
    co_return Unexpected{
        service_unavailable("too many layer downloads under way (--max-blob-transfers=" +
                            std::to_string(transfers_.limit()) + "): try again later")};
  const bool empty = layer.size == 0;
  auto stream = std::make_unique<LayerStream>(*this, std::move(layer), std::move(slot));
  if (!empty && !co_await stream->connect_next()) co_return Unexpected{stream->verdict()};
  co_return std::unique_ptr<BodyStream>(std::move(stream));
}

}  // namespace ocipfs
