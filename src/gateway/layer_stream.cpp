#include "ocipfs/gateway/layer_stream.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "layer_answer.hpp"
#include "ocipfs/gateway/client.hpp"
#include "ocipfs/gateway/failover.hpp"
#include "ocipfs/gateway/health.hpp"
#include "ocipfs/http/client.hpp"

namespace ocipfs {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// One transfer of the whole layer, or of a span of it (from trustless gateways only): the
// gateway's answer being read, the offset reached and the hash so far.
class LayerStream final : public BodyStream {
 public:
  LayerStream(LayerStreams& owner, LayerBytes layer, Budget::Lease slot,
              std::optional<ByteRange> span)
      : owner_(owner),
        layer_(std::move(layer)),
        slot_(std::move(slot)),
        order_(owner.gateway_order(span.has_value())),
        offset_(span ? span->first : 0),
        end_(span ? span->last + 1 : layer_.size),
        whole_(!span),
        failures_(layer_.name, order_.size()),
        window_(std::make_unique<char[]>(LayerStreams::window_size)) {}
  ~LayerStream() override { end(TransferEnd::abandoned); }

  // Opens the next gateway that answers, from the offset reached; false when none is left.
  asio::awaitable<bool> connect_next();
  RegistryError verdict() const { return failures_.verdict(); }
  // From now on the transfer is counted: it has begun (a gateway answered, or there is nothing to
  // fetch).
  void began() { state_ = State::streaming; }
  asio::awaitable<Expected<std::string_view>> next() override;

 private:
  enum class State { opening, streaming, ended };
  void failed(const FetchFailure& failure);
  // Counts how the transfer ended, once, if it had begun.
  void end(TransferEnd how) {
    if (state_ == State::streaming) owner_.metrics_.ended(how);
    state_ = State::ended;
  }
  Expected<std::string_view> finish(std::string_view piece);
  std::string_view given(std::string_view piece) {
    owner_.metrics_.bytes.fetch_add(piece.size(), std::memory_order_relaxed);
    return piece;
  }

  LayerStreams& owner_;
  LayerBytes layer_;
  Budget::Lease slot_;
  std::vector<std::size_t> order_;
  std::size_t tried_ = 0;  // of order_
  std::size_t current_ = 0;
  std::unique_ptr<LayerAnswer> answer_;  // of the gateway current_
  std::uint64_t offset_;
  std::uint64_t end_;  // past the last byte to give
  bool whole_;         // proven by the digest at the end (else block by block as it comes)
  Sha256Stream hash_;
  Failover failures_;
  std::unique_ptr<char[]> window_;
  State state_ = State::opening;
};

void LayerStream::failed(const FetchFailure& failure) {
  if (state_ == State::streaming) owner_.metrics_.handovers.fetch_add(1, std::memory_order_relaxed);
  failures_.failed(failure);
  owner_.health_.failed(current_, Clock::now(), failure.retry_after);
  spdlog::warn("{} at offset {}: {}", layer_.name, offset_, failure.message);
  answer_.reset();
}

asio::awaitable<bool> LayerStream::connect_next() {
  while (tried_ < order_.size()) {
    current_ = order_[tried_++];
    auto opened = co_await open_layer_answer(owner_.client_, owner_.gateways_[current_],
                                             owner_.trustless_[current_], layer_, offset_, end_,
                                             {window_.get(), LayerStreams::window_size});
    if (!opened) {
      failed(opened.error());
      continue;
    }
    answer_ = std::move(*opened);
    co_return true;
  }
  co_return false;
}

// Takes in a piece read: the piece, or the mismatch when it was the last one.
Expected<std::string_view> LayerStream::finish(std::string_view piece) {
  if (whole_) hash_.update(piece);
  offset_ += piece.size();
  if (offset_ < end_) return given(piece);
  if (whole_) {
    std::string got = hash_.digest();
    if (got != sha256_digest_text(layer_.digest)) {
      end(TransferEnd::aborted);
      return Unexpected{"the bytes of " + layer_.name + " hash to " + got + ", not its digest"};
    }
  }
  owner_.health_.succeeded(current_);
  end(TransferEnd::complete);
  return given(piece);
}

asio::awaitable<Expected<std::string_view>> LayerStream::next() {
  if (offset_ == end_) {
    answer_.reset();  // only now: the last piece given may be in its memory (a CAR's block)
    end(TransferEnd::complete);
    co_return std::string_view();
  }
  for (;;) {
    if (!answer_ && !co_await connect_next()) {
      end(TransferEnd::aborted);
      co_return Unexpected{"no gateway could finish " + layer_.name + " from byte " +
                           std::to_string(offset_) + ": " + failures_.verdict().message};
    }
    auto want = std::min<std::uint64_t>(end_ - offset_, LayerStreams::window_size);
    auto piece = co_await answer_->read(static_cast<std::size_t>(want));
    if (piece) co_return finish(*piece);
    failed(piece.error());
  }
}

LayerStreams::LayerStreams(GatewayClient& client, std::vector<HttpUrl> gateways,
                           std::vector<bool> trustless, GatewayHealth& health, Budget& transfers,
                           std::chrono::milliseconds slot_wait, TransferMetrics& metrics)
    : client_(client),
      gateways_(std::move(gateways)),
      trustless_(std::move(trustless)),
      health_(health),
      transfers_(transfers),
      slot_wait_(slot_wait),
      metrics_(metrics) {
  trustless_.resize(gateways_.size());
}

std::vector<std::size_t> LayerStreams::gateway_order(bool trustless_only) const {
  std::vector<std::size_t> order = health_.order(Clock::now());
  if (trustless_only) std::erase_if(order, [this](std::size_t i) { return !trustless_[i]; });
  return order;
}

asio::awaitable<Expected<LayerReading, RegistryError>> LayerStreams::open(
    LayerBytes layer, std::optional<ByteRange> span) {
  auto slot = co_await transfers_.acquire(1, Clock::now() + slot_wait_);
  if (!slot)
    co_return Unexpected{
        service_unavailable("too many layer downloads under way (--max-blob-transfers=" +
                            std::to_string(transfers_.limit()) + "): try again later")};
  if (std::find(trustless_.begin(), trustless_.end(), true) == trustless_.end()) span.reset();
  const std::uint64_t first = span ? span->first : 0;
  const bool empty = layer.size == 0;
  auto stream = std::make_unique<LayerStream>(*this, std::move(layer), std::move(slot), span);
  if (!empty && !co_await stream->connect_next()) co_return Unexpected{stream->verdict()};
  stream->began();
  co_return LayerReading{std::move(stream), first};
}

}  // namespace ocipfs
