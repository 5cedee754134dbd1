// Fuzzes what ocipfsd does with a gateway's answer: the input is the raw HTTP response a fake
// gateway sends (then it closes) to GatewayClient (gateway/client.hpp), through GatewayFetcher's
// verification (gateway/fetcher.hpp) and build_image (cache/resolver.hpp). Two CIDs are fetched: a
// raw one and a dag-pb one.
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "ocipfs/base/log.hpp"
#include "ocipfs/cache/resolver.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/formats/verify.hpp"
#include "ocipfs/gateway/client.hpp"
#include "ocipfs/gateway/fetcher.hpp"
#include "ocipfs/gateway/health.hpp"
#include "support/fake_gateway.hpp"
#include "support/test_data.hpp"

namespace {

namespace asio = boost::asio;
using namespace ocipfs;
using testing::FakeGateway;
using testing::FakeReply;

constexpr std::chrono::milliseconds fetch_deadline{300};
// A fetch ends by the gateway timeout, give or take scheduling: far later is a hang.
constexpr std::chrono::milliseconds fetch_limit{1000};

// The content the two CIDs name, and the CIDs.
const std::string raw_content = testing::layer_manifest_json();
const std::string file_content = testing::layer_manifest_json("layer.tar");

Cid sha256_cid(std::uint64_t codec, std::string_view bytes) {
  auto hash = sha256(bytes);
  return {1, codec, multihash::sha2_256,
          std::string(reinterpret_cast<const char*>(hash.data()), hash.size())};
}

// The fake gateway keeps a log of every request: a fresh one now and then keeps memory flat.
constexpr std::size_t inputs_per_gateway = 10'000;

struct Harness {
  std::unique_ptr<FakeGateway> gateway;
  HttpUrl gateway_url;
  std::size_t inputs = 0;
  asio::io_context ioc;
  Cid raw_cid = sha256_cid(multicodec::raw, raw_content);
  Cid file_cid = sha256_cid(multicodec::dag_pb, encode_unixfs_file_block(file_content));

  void start_gateway() {
    gateway.reset();
    gateway = std::make_unique<FakeGateway>();
    gateway_url = *parse_http_url(gateway->url());
    // Where the corpus's relative redirects lead.
    gateway->set("/redirected", {FakeReply::Kind::respond, 200, raw_content, {}, {}});
  }
};

Harness* harness = nullptr;

void delete_harness() {
  delete harness;
  harness = nullptr;
}

// A fetch ends in the content the CID names, or in a registry error that says what went wrong.
void check_fetched(const Cid& cid, const Content& content, const std::string& expected) {
  Resolution image = build_image(DocumentKind::layer, cid, content);
  if (content) {
    FUZZ_CHECK(*content == expected);
    FUZZ_CHECK(image);
    FUZZ_CHECK((*image)->cid() == cid.to_string());
    return;
  }
  const RegistryError& error = content.error();
  FUZZ_CHECK(!image && image.error() == error);
  switch (error.status) {
    case 404:
      FUZZ_CHECK(error.code == ErrorCode::manifest_unknown ||
                 error.code == ErrorCode::manifest_invalid);
      break;
    case 502:
    case 504:
      FUZZ_CHECK(error.code == ErrorCode::unavailable);
      break;
    default:
      std::fprintf(stderr, "unexpected status %u: %s\n", error.status, error.message.c_str());
      std::abort();
  }
  FUZZ_CHECK(error.message.find(cid.to_string()) != std::string::npos);
  FUZZ_CHECK(fuzz::is_printable(error.message));
  FUZZ_CHECK(fuzz::is_oci_error(error_body(error), error.status));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setup_logging(LogFormat::text, "off");
  harness = new Harness;
  harness->start_gateway();
  std::atexit(delete_harness);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (++harness->inputs % inputs_per_gateway == 0) harness->start_gateway();
  std::string input(reinterpret_cast<const char*>(data), size);
  harness->gateway->set_default({FakeReply::Kind::raw, 200, std::move(input), {}, {}});

  GatewayClientOptions options;
  options.timeout = fetch_deadline;
  options.max_redirects = 3;
  GatewayClient client(harness->ioc.get_executor(), options);
  GatewayHealth health(1);
  GatewayFetcher fetcher(client, {harness->gateway_url}, health, /*verify=*/true);

  std::optional<Content> raw, file;
  std::chrono::steady_clock::duration slowest{};
  bool done = false;
  auto fetch_both = [&]() -> asio::awaitable<void> {
    auto started = std::chrono::steady_clock::now();
    raw = co_await fetcher.fetch(harness->raw_cid, DocumentKind::layer);
    auto between = std::chrono::steady_clock::now();
    file = co_await fetcher.fetch(harness->file_cid, DocumentKind::layer);
    slowest = std::max(between - started, std::chrono::steady_clock::now() - between);
  };
  asio::co_spawn(harness->ioc, fetch_both(), [&](std::exception_ptr error) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz_gateway_response: the fetch threw: %s\n", e.what());
      }
      std::abort();
    }
    done = true;
  });

  // Lookups left over from earlier inputs (redirects to host names) may still be pending.
  harness->ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + 2 * fetch_limit;
  while (!done) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      std::fprintf(stderr, "fuzz_gateway_response: the fetches did not end within %lld ms\n",
                   static_cast<long long>(2 * fetch_limit.count()));
      std::abort();
    }
    harness->ioc.run_one_for(deadline - now);
  }
  if (slowest > fetch_limit) {
    std::fprintf(stderr, "fuzz_gateway_response: a fetch took %lld ms\n",
                 static_cast<long long>(
                     std::chrono::duration_cast<std::chrono::milliseconds>(slowest).count()));
    std::abort();
  }

  if (fuzz::verbose()) {
    for (const auto* content : {&*raw, &*file})
      std::fprintf(stderr, "%s\n", *content ? "content" : content->error().message.c_str());
  }
  check_fetched(harness->raw_cid, *raw, raw_content);
  check_fetched(harness->file_cid, *file, file_content);
  return 0;
}
