#include "layer_answer.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

#include "ocipfs/base/text.hpp"
#include "ocipfs/formats/car_reader.hpp"
#include "ocipfs/formats/ipfs_path.hpp"
#include "ocipfs/formats/unixfs_path.hpp"
#include "ocipfs/formats/unixfs_stream.hpp"
#include "ocipfs/gateway/client.hpp"
#include "ocipfs/gateway/failover.hpp"
#include "ocipfs/http/client.hpp"

namespace ocipfs {

namespace asio = boost::asio;

namespace {

using Piece = Expected<std::string_view, FetchFailure>;

// Reads the next bytes of a gateway's body: how many (none at its end), or why it failed.
asio::awaitable<Expected<std::size_t, FetchFailure>> read_body(HttpBodyReader& reader,
                                                               std::span<char> into,
                                                               const std::string& origin) {
  auto read = co_await reader.read(into);
  if (read) co_return *read;
  const bool stalled = read.error().timed_out();
  co_return Unexpected{
      transfer_failure(origin + (stalled ? ": the transfer stalled" : ": the transfer broke") +
                           " (" + read.error().code.message() + ")",
                       stalled ? FetchFault::timeout : FetchFault::unreachable)};
}

// A path gateway's plain file: what it sent before the offset asked (it ignored the Range) is
// skipped.
class FileAnswer final : public LayerAnswer {
 public:
  FileAnswer(HttpBodyReader reader, std::string origin, std::uint64_t skip, std::span<char> window)
      : reader_(std::move(reader)), origin_(std::move(origin)), skip_(skip), window_(window) {}

  asio::awaitable<Piece> read(std::size_t most) override {
    while (skip_ > 0) {
      auto skipped = co_await next(std::min<std::uint64_t>(skip_, window_.size()));
      if (!skipped) co_return Unexpected{std::move(skipped).error()};
      skip_ -= skipped->size();
    }
    co_return co_await next(most);
  }

 private:
  asio::awaitable<Piece> next(std::size_t most) {
    auto read = co_await read_body(reader_, window_.first(std::min(most, window_.size())), origin_);
    if (!read) co_return Unexpected{std::move(read).error()};
    if (*read == 0) co_return Unexpected{transfer_failure(origin_ + ": the layer ended early")};
    co_return std::string_view(window_.data(), *read);
  }

  HttpBodyReader reader_;
  std::string origin_;
  std::uint64_t skip_;
  std::span<char> window_;
};

// The CAR bounds for a layer of `size` bytes: its blocks' framing and their parents' links
// are far less than the bytes themselves.
CarLimits layer_car_limits(std::uint64_t size) {
  CarLimits limits;
  const std::uint64_t most = std::numeric_limits<std::size_t>::max() / 4;
  limits.max_total_size = static_cast<std::size_t>(std::min(most, size + size / 2) + (64 << 20));
  limits.max_blocks = std::numeric_limits<std::size_t>::max();  // bounded by the total size
  return limits;
}

// A trustless gateway's CAR: the path's directories, then the file's DAG from the offset asked,
// each block proven against its CID before any of its bytes is given.
class CarAnswer final : public LayerAnswer {
 public:
  CarAnswer(HttpBodyReader reader, std::string origin, IpfsPath path, const LayerBytes& layer,
            std::uint64_t offset, std::uint64_t end, std::span<char> window)
      : reader_(std::move(reader)),
        origin_(std::move(origin)),
        window_(window),
        car_(layer_car_limits(layer.size)),
        directories_(std::move(path.root_cid), std::move(path.segments)),
        size_(layer.size),
        offset_(offset),
        end_(end) {
    if (directories_.target()) start_file();
  }

  asio::awaitable<Piece> read(std::size_t most) override;

 private:
  void start_file() {
    EntityBytes range{static_cast<std::int64_t>(offset_), {}};
    if (end_ < size_) range.to = static_cast<std::int64_t>(end_ - 1);
    file_.emplace(*directories_.target(), range);
  }
  std::string_view give(std::size_t most);
  asio::awaitable<std::optional<FetchFailure>> fill();
  std::optional<FetchFailure> take(const CarBlock& block);
  std::optional<FetchFailure> ended();
  FetchFailure lie(const std::string& message) const {
    return transfer_failure(origin_ + ": " + message, FetchFault::mismatch);
  }

  HttpBodyReader reader_;
  std::string origin_;
  std::span<char> window_;
  CarReader car_;
  UnixfsPathWalk directories_;
  std::optional<UnixfsFileWalk> file_;  // once the path's target is known
  std::uint64_t size_;
  std::uint64_t offset_;       // of the next byte to give
  std::uint64_t end_;          // past the last byte asked
  std::string_view input_;     // CAR bytes read and not yet taken (in window_)
  std::string_view given_[2];  // file bytes taken and not yet given: a block's, then inlined
};

asio::awaitable<Piece> CarAnswer::read(std::size_t most) {
  for (;;) {
    if (auto piece = give(most); !piece.empty()) co_return piece;
    if (input_.empty()) {
      if (auto failure = co_await fill()) co_return Unexpected{std::move(*failure)};
      continue;
    }
    auto event = car_.next(input_);
    if (!event) co_return Unexpected{lie(event.error())};
    if (*event != CarEvent::block) continue;
    if (auto failure = take(car_.block())) co_return Unexpected{std::move(*failure)};
  }
}

std::string_view CarAnswer::give(std::size_t most) {
  for (auto& part : given_) {
    if (part.empty()) continue;
    auto piece = part.substr(0, most);
    part.remove_prefix(piece.size());
    offset_ += piece.size();
    return piece;
  }
  return {};
}

// Reads the next CAR bytes into the window; at the CAR's end, what the walk still holds.
asio::awaitable<std::optional<FetchFailure>> CarAnswer::fill() {
  auto read = co_await read_body(reader_, window_, origin_);
  if (!read) co_return std::move(read).error();
  if (*read == 0) co_return ended();
  input_ = std::string_view(window_.data(), *read);
  co_return std::nullopt;
}

std::optional<FetchFailure> CarAnswer::ended() {
  if (auto whole = car_.finish(); !whole) return lie(whole.error());
  if (!file_) return lie("the CAR ended before the path's last directory");
  auto rest = file_->finish();
  if (!rest) return lie(rest.error());
  if (rest->size() == 0) return transfer_failure(origin_ + ": the layer ended early");
  given_[0] = rest->block;
  given_[1] = rest->inlined;
  return std::nullopt;
}

std::optional<FetchFailure> CarAnswer::take(const CarBlock& block) {
  if (!file_) {
    if (auto taken = directories_.take(block.cid, block.bytes); !taken) return lie(taken.error());
    if (directories_.target()) start_file();
    return std::nullopt;
  }
  auto bytes = file_->take(block.cid, block.bytes);
  if (!bytes) return lie(bytes.error());
  if (file_->file_size() && *file_->file_size() != size_)
    return lie("the file is " + std::to_string(*file_->file_size()) + " bytes, the layer " +
               std::to_string(size_));
  if (bytes->size() > 0 && bytes->offset != offset_)
    return lie("file bytes from " + std::to_string(bytes->offset) + " where " +
               std::to_string(offset_) + " were due");
  given_[0] = bytes->block;
  given_[1] = bytes->inlined;
  return std::nullopt;
}

HttpUrl layer_url(const HttpUrl& gateway, const LayerBytes& layer, bool trustless,
                  std::uint64_t offset, std::uint64_t end) {
  HttpUrl url = gateway;
  url.path = std::string(gateway.base_path()) + layer.ipfs_path;
  if (!trustless) return url;
  url.path += "?format=car&dag-scope=entity";
  if (offset > 0 || end < layer.size)
    url.path += "&entity-bytes=" + std::to_string(offset) + ":" +
                (end < layer.size ? std::to_string(end - 1) : "*");
  return url;
}

// The answer for a trustless gateway's head: a CAR of the layer's path.
Expected<std::unique_ptr<LayerAnswer>, FetchFailure> car_answer(
    HttpBodyReader reader, const std::string& origin, const LayerBytes& layer, std::uint64_t offset,
    std::uint64_t end, std::span<char> window) {
  std::string_view type = reader.head().field("Content-Type");
  if (!type.starts_with(car_type))
    return Unexpected{transfer_failure(
        origin + ": it answered " + std::string(type.substr(0, 64)) + ", not a CAR",
        FetchFault::garbage)};
  auto path = parse_encoded_ipfs_path(std::string_view(layer.ipfs_path).substr(6));
  if (!path)
    return Unexpected{transfer_failure(layer.name + ": " + path.error(), FetchFault::garbage)};
  return std::unique_ptr<LayerAnswer>(std::make_unique<CarAnswer>(
      std::move(reader), origin, std::move(*path), layer, offset, end, window));
}

}  // namespace

Expected<std::uint64_t> bytes_to_skip(unsigned status, std::string_view content_range,
                                      std::string_view content_length, std::uint64_t offset,
                                      std::uint64_t size) {
  const std::uint64_t expected_length = status == 206 ? size - offset : size;
  if (!content_length.empty() && decimal_number(content_length) != expected_length)
    return Unexpected{"it sent Content-Length " + std::string(content_length.substr(0, 24)) +
                      " where " + std::to_string(expected_length) + " bytes were expected"};
  if (status != 206) return offset;
  const std::string wanted = "bytes " + std::to_string(offset) + "-" + std::to_string(size - 1);
  if (content_range != wanted + "/" + std::to_string(size) && content_range != wanted + "/*")
    return Unexpected{"it answered the range " + std::string(content_range.substr(0, 64)) +
                      " where \"" + wanted + "/" + std::to_string(size) + "\" was asked"};
  return 0;
}

FetchFailure transfer_failure(std::string message, FetchFault fault) {
  return {fault, std::move(message), 0, std::chrono::seconds{0}};
}

asio::awaitable<Expected<std::unique_ptr<LayerAnswer>, FetchFailure>> open_layer_answer(
    GatewayClient& client, const HttpUrl& gateway, bool trustless, const LayerBytes& layer,
    std::uint64_t offset, std::uint64_t end, std::span<char> window) {
  const std::string origin = gateway.origin();
  std::string range = trustless || offset == 0 ? "" : "bytes=" + std::to_string(offset) + "-";
  std::string accept(trustless ? layer_car_accept : "");
  auto opened = co_await client.open(layer_url(gateway, layer, trustless, offset, end),
                                     std::move(range), std::move(accept));
  if (!opened) co_return Unexpected{std::move(opened).error()};
  if (trustless) co_return car_answer(std::move(*opened), origin, layer, offset, end, window);
  const HttpResponse& head = opened->head();
  auto skip = bytes_to_skip(head.status, head.field("Content-Range"), head.field("Content-Length"),
                            offset, layer.size);
  if (!skip)
    co_return Unexpected{transfer_failure(origin + ": " + skip.error(), FetchFault::garbage)};
  co_return std::unique_ptr<LayerAnswer>(
      std::make_unique<FileAnswer>(std::move(*opened), origin, *skip, window));
}

}  // namespace ocipfs
