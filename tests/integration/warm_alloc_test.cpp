// A warm request allocates nothing: every allocation in this process is counted (malloc and its
// kin, so what Asio takes with aligned_alloc too; operator new only under a sanitizer, which
// owns malloc), and a batch of warm requests on every warm route goes to an in-process server
// over one kept-alive connection, from a client that allocates nothing itself (a raw socket,
// fixed buffers).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <new>
#include <nlohmann/json.hpp>
#include <string_view>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/base/log.hpp"
#include "ocipfs/cache/caching_resolver.hpp"
#include "ocipfs/image/image_document.hpp"
#include "ocipfs/image/layer_manifest.hpp"
#include "support/rendered_image.hpp"
#include "support/sanitizers.hpp"
#include "support/server_fixture.hpp"

namespace {
std::atomic<bool> counting{false};
std::atomic<std::uint64_t> allocations{0};

void count_allocation() {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
}
// While `weighing`, the bytes allocated and not yet freed, and the most they reached.
std::atomic<bool> weighing{false};
std::atomic<std::int64_t> live_bytes{0};
std::atomic<std::int64_t> peak_bytes{0};

void weigh(void* p, int sign) {
  if (!p || !weighing.load(std::memory_order_relaxed)) return;
  auto size = static_cast<std::int64_t>(malloc_usable_size(p));
  std::int64_t now = live_bytes.fetch_add(sign * size) + sign * size;
  for (auto peak = peak_bytes.load(); now > peak && !peak_bytes.compare_exchange_weak(peak, now);) {
  }
}

void* allocate(std::size_t size, std::size_t alignment = 0) {
#if OCIPFS_SANITIZED
  count_allocation();  // (else malloc counts it)
#endif
  if (size == 0) size = 1;
  void* p = alignment > alignof(std::max_align_t)
                ? std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment)
                : std::malloc(size);
  if (!p) throw std::bad_alloc();
  weigh(p, 1);
  return p;
}

void release(void* p) {
  weigh(p, -1);
  std::free(p);
}
}  // namespace

void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void* operator new(std::size_t size, std::align_val_t a) {
  return allocate(size, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t size, std::align_val_t a) {
  return allocate(size, static_cast<std::size_t>(a));
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }
void operator delete(void* p, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { release(p); }

#if !OCIPFS_SANITIZED
// glibc's allocator under every way in (glibc allows a program to replace malloc so).
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* p, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);

void* malloc(std::size_t size) noexcept {
  count_allocation();
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) noexcept {
  count_allocation();
  return __libc_calloc(count, size);
}
void* realloc(void* p, std::size_t size) noexcept {
  count_allocation();
  return __libc_realloc(p, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  count_allocation();
  return __libc_memalign(alignment, size);
}
void* memalign(std::size_t alignment, std::size_t size) noexcept {
  count_allocation();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept {
  count_allocation();
  *out = __libc_memalign(alignment, size);
  return *out ? 0 : ENOMEM;
}
}
#endif

namespace ocipfs {
namespace {

// One kept-alive connection that sends prepared requests and reads whole answers into a fixed
// buffer: nothing here allocates once it is open.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawClient() { ::close(fd_); }
  bool connected() const { return connected_; }

  // Sends `request` and reads its answer; the status, or 0 when the exchange failed.
  int exchange(std::string_view request, bool head_only) {
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size()))
      return 0;
    std::size_t have = 0, head_end = std::string_view::npos;
    while (head_end == std::string_view::npos) {
      ssize_t n = ::recv(fd_, buffer_.data() + have, buffer_.size() - have, 0);
      if (n <= 0) return 0;
      have += static_cast<std::size_t>(n);
      head_end = std::string_view(buffer_.data(), have).find("\r\n\r\n");
    }
    std::string_view head(buffer_.data(), head_end);
    int status = std::atoi(buffer_.data() + 9);
    std::size_t length = 0;
    if (auto at = head.find("Content-Length: ");
        at != std::string_view::npos && status != 304 && !head_only)
      length = std::strtoul(buffer_.data() + at + 16, nullptr, 10);
    for (std::size_t want = head_end + 4 + length; have < want;) {
      ssize_t n = ::recv(fd_, buffer_.data() + have, buffer_.size() - have, 0);
      if (n <= 0) return 0;
      have += static_cast<std::size_t>(n);
    }
    body_ = std::string_view(buffer_.data() + head_end + 4, length);
    return status;
  }
  // The body of the last answer, until the next exchange.
  std::string_view body() const { return body_; }

 private:
  int fd_;
  bool connected_ = false;
  std::array<char, 256 * 1024> buffer_{};
  std::string_view body_;
};

struct WarmRequest {
  std::string bytes;
  bool head_only;
  int status;
};

std::string request(const std::string& method, const std::string& target,
                    const std::string& extra = "") {
  return method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: alloc-test\r\n" +
         extra + "\r\n";
}

class WarmAllocation : public ServerTest {
 protected:
  void SetUp() override {
    setup_logging(LogFormat::text, "warn");  // access lines are formatted at info
    gateway.serve_cid(cid, testing::layer_manifest_json());
    start({"--threads=1"});
  }

  // Every warm route of `repository`, whose image answers these digests.
  std::vector<WarmRequest> routes(const std::string& repository, const std::string& manifest,
                                  const std::string& config, const std::string& layer) {
    std::string docker_accept = std::string("Accept: ") + accept_all + "\r\n";
    return {
        {request("GET", repository + "/manifests/latest", docker_accept), false, 200},
        {request("HEAD", repository + "/manifests/latest", docker_accept), true, 200},
        {request("GET", repository + "/manifests/" + manifest), false, 200},
        {request("GET", repository + "/manifests/" + manifest,
                 "If-None-Match: \"" + manifest + "\"\r\n"),
         false, 304},
        {request("GET", repository + "/blobs/" + config), false, 200},
        {request("GET", repository + "/blobs/" + layer), false, 302},
        {request("HEAD", repository + "/blobs/" + layer), true, 200},
        {request("GET", repository + "/tags/list"), false, 200},
    };
  }
};

TEST_F(WarmAllocation, AWarmRequestAllocatesNothing) {
  std::string image_cid =
      publish(nlohmann::json{{"mediaType", image_document_media_type}, {"layers", {cid}}}.dump());
  auto image_answer = get("/v2/image/" + image_cid + "/manifests/latest", "GET",
                          {{"Accept", "application/vnd.oci.image.manifest.v1+json"}});
  ASSERT_EQ(image_answer.status, 200u) << image_answer.body;
  auto image_manifest = nlohmann::json::parse(image_answer.body);
  const auto& platform = image.default_platform();
  auto warm = routes(repo, platform.manifest.digest, platform.config.digest, testing::layer_digest);
  auto image_routes = routes("/v2/image/" + image_cid, sha256_digest(image_answer.body),
                             image_manifest["config"]["digest"], testing::layer_digest);
  warm.insert(warm.end(), image_routes.begin(), image_routes.end());

  RawClient client(server->port());
  ASSERT_TRUE(client.connected());
  // The first rounds fill the cache and the reused buffers.
  for (int round = 0; round < 3; ++round)
    for (const auto& each : warm)
      ASSERT_EQ(client.exchange(each.bytes, each.head_only), each.status) << each.bytes;

  constexpr int rounds = 500;
  int failures = 0;
  counting = true;
  for (int round = 0; round < rounds; ++round)
    for (const auto& each : warm)
      failures += client.exchange(each.bytes, each.head_only) != each.status;
  counting = false;
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(allocations.load(), 0u) << "over " << rounds * warm.size() << " warm requests";
}

// An image cached by another thread is answered warm on this one at once: no allocation on the
// first request for it. The server's two threads take connections in turn (Server's accept loop),
// so the first connection is served by one thread and the second by the other.
TEST_F(WarmAllocation, AnImageCachedByAnotherThreadIsAnsweredWithoutAllocating) {
  start({"--threads=2"});
  const std::string layer_b = testing::layer_manifest_json("b.tar.gz");
  const std::string cid_b = publish(layer_b);
  const std::string image_c =
      publish(nlohmann::json{{"mediaType", image_document_media_type}, {"layers", {cid_b}}}.dump());
  const testing::RenderedImage image_b{synthesize_image(cid_b, *parse_layer_manifest(layer_b))};
  const auto& platform_b = image_b.default_platform();

  RawClient first(server->port());  // thread 1: answers A only
  ASSERT_TRUE(first.connected());
  auto warm_a = routes(repo, image.default_platform().manifest.digest,
                       image.default_platform().config.digest, testing::layer_digest);
  for (int round = 0; round < 3; ++round)
    for (const auto& each : warm_a)
      ASSERT_EQ(first.exchange(each.bytes, each.head_only), each.status) << each.bytes;

  RawClient second(server->port());  // thread 2: fetches B and C, and answers them
  ASSERT_TRUE(second.connected());
  std::string oci_manifest = "Accept: application/vnd.oci.image.manifest.v1+json\r\n";
  ASSERT_EQ(second.exchange(
                request("GET", "/v2/image/" + image_c + "/manifests/latest", oci_manifest), false),
            200);
  const std::string manifest_c = sha256_digest(second.body());
  const std::string config_c = nlohmann::json::parse(second.body())["config"]["digest"];
  auto cold = routes("/v2/layer/" + cid_b, platform_b.manifest.digest, platform_b.config.digest,
                     testing::layer_digest);
  auto routes_c = routes("/v2/image/" + image_c, manifest_c, config_c, testing::layer_digest);
  cold.insert(cold.end(), routes_c.begin(), routes_c.end());
  for (const auto& each : cold)
    ASSERT_EQ(second.exchange(each.bytes, each.head_only), each.status) << each.bytes;

  // Thread 1 has never answered B or C: each first request for them is counted.
  int failures = 0;
  allocations = 0;
  counting = true;
  for (const auto& each : cold)
    failures += first.exchange(each.bytes, each.head_only) != each.status;
  counting = false;
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(allocations.load(), 0u)
      << "over the first " << cold.size() << " requests for images another thread cached";
}

// The cache is looked up by a key on the stack: a find, hit or miss, allocates nothing, and a
// hit copies out only the image's pointer.
TEST(WarmCache, AFindByAKeyOnTheStackAllocatesNothing) {
  LruCache<ImagePtr> cache(1 << 20);
  const Cid cid = *parse_cid(testing::manifest_cid);
  const Repository repository{DocumentKind::layer, cid, "layer/" + testing::manifest_cid};
  const std::string key(ImageKey(repository).view());
  cache.insert(key,
               std::make_shared<const Image>(synthesize_image(
                   testing::manifest_cid, *parse_layer_manifest(testing::layer_manifest_json()))),
               1000);
  const std::string name = "layer/" + testing::manifest_cid;
  const std::string other = "image/" + testing::manifest_cid;
  int hits = 0;
  allocations = 0;
  counting = true;
  for (int i = 0; i < 1000; ++i) {
    auto id = identify_repository(i % 2 ? name : other);
    auto found = cache.find(ImageKey(id->kind, id->cid).view());
    hits += found && *found != nullptr;
  }
  counting = false;
  EXPECT_EQ(hits, 500);
  EXPECT_EQ(allocations.load(), 0u);
}

#if !OCIPFS_SANITIZED
// The counter sees what does not go through operator new: Asio's coroutine frames come from
// aligned_alloc.
TEST(AllocationCounter, SeesMallocAndAlignedAlloc) {
  static void* volatile kept[3];  // (else the compiler may drop an allocation it sees freed)
  allocations = 0;
  counting = true;
  kept[0] = std::malloc(24);
  kept[1] = std::aligned_alloc(64, 128);
  void* posix = nullptr;
  const int posix_failed = posix_memalign(&posix, 64, 128);
  kept[2] = posix;
  counting = false;
  for (void* p : kept) std::free(p);
  EXPECT_EQ(posix_failed, 0);
  EXPECT_EQ(allocations.load(), 3u);
}
#endif

// The counter counts: a cold request (the gateway is asked) allocates.
TEST_F(WarmAllocation, TheCounterSeesAColdRequest) {
  RawClient client(server->port());
  ASSERT_TRUE(client.connected());
  std::string cold = request("GET", repo + "/manifests/latest");
  counting = true;
  int status = client.exchange(cold, false);
  counting = false;
  EXPECT_EQ(status, 200);
  EXPECT_GT(allocations.load(), 0u);
}

}  // namespace
}  // namespace ocipfs

namespace ocipfs {
namespace {

// The most memory `work` has allocated at once beyond what was allocated before it.
template <class Work>
std::int64_t peak_of(Work work) {
  live_bytes = 0;
  peak_bytes = 0;
  weighing = true;
  work();
  weighing = false;
  return peak_bytes.load();
}

TEST(DocumentMemory, ReadingAnImageDocumentTakesAFewTimesItsSize) {
  const std::string text = testing::annotated_image_document();
  ASSERT_LT(text.size(), 1024u * 1024u);
  std::optional<Expected<ImageDocument>> parsed;
  auto reading = peak_of([&] { parsed = parse_image_document(text); });
  ASSERT_TRUE(parsed && *parsed);
  auto sniffing = peak_of([&] { EXPECT_EQ(declared_media_type(text), image_document_media_type); });
  auto layer = parse_layer_manifest(testing::layer_manifest_json());
  std::optional<Expected<Image>> image;
  auto composing = peak_of([&] { image = compose_image("bafy", **parsed, {*layer}); });
  ASSERT_TRUE(image && *image);
  auto ratio = [&](std::int64_t bytes) { return static_cast<double>(bytes) / text.size(); };
  std::printf(
      "[ weighing ] an image document of %zu bytes: reading it takes %.1fx its size at "
      "most, telling its type %.2fx, making its image (%zu platforms) %.1fx\n",
      text.size(), ratio(reading), ratio(sniffing), (*image)->platforms().size(), ratio(composing));
  // Before: 6.9x, 3.8x and 13.2x. Reading is the parsed document, emptied into the map as the
  // map fills; telling the type builds nothing; an image keeps a manifest of the document's size
  // for each platform.
  EXPECT_LT(ratio(reading), 4.5);
  EXPECT_LT(ratio(sniffing), 0.1);
  EXPECT_LT(ratio(composing), static_cast<double>((*image)->platforms().size()) + 4.0);
}

}  // namespace
}  // namespace ocipfs
