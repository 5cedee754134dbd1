// --blobs=proxy against fake gateways: the layer's bytes streamed through, proven against its
// digest, handed over between gateways at the offset reached, never completed wrong.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>

#include "support/server_fixture.hpp"

namespace ocipfs {
namespace {

using testing::FakeGateway;
using testing::FakeReply;

// Three MiB and a bit: several windows of the transfer.
std::string layer_content() {
  std::mt19937 random(29);
  std::string out(3 * 1024 * 1024 + 4321, '\0');
  for (char& c : out) c = static_cast<char>(random());
  return out;
}

class LayerProxyTest : public ServerTest {
 protected:
  const std::string content = layer_content();
  const std::string digest = sha256_digest_text(sha256(content));
  const std::string file_path = "/ipfs/" + testing::layer_dir_cid + "/layer.tar.gz";
  std::string manifest =
      R"({"mediaType":"application/vnd.ocipfs.layer.manifest.v1+json",)"
      R"("layer":{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",)"
      R"("digest":")" +
      digest + R"(","size":)" + std::to_string(content.size()) +
      R"(,"annotations":{"io.ocipfs.layer.ipfs.cid":")" + testing::layer_dir_cid +
      R"(/layer.tar.gz","io.ocipfs.layer.fs.digest":")" + testing::layer_diff_id + R"("}}})";
  std::string blob = "/v2/layer/" + testing::raw_cid_of(manifest) + "/blobs/" + digest;
  FakeGateway second;

  void SetUp() override {
    gateway.serve_cid(testing::raw_cid_of(manifest), manifest);
    start({"--blobs=proxy"});
  }

  FakeReply file(std::string body = {}) {
    FakeReply reply;
    reply.kind = FakeReply::Kind::file;
    reply.body = body.empty() ? content : std::move(body);
    return reply;
  }

  // Both gateways, the first one first.
  void start_with_second() {
    start({"--blobs=proxy", "--gateway=" + gateway.url(), "--gateway=" + second.url(),
           "--hedge-after=off"});
  }

  // The layer's download when the first gateway answers `first` and the second `then`: it must
  // be whole and right.
  void expect_handed_over(const FakeReply& first, const FakeReply& then) {
    gateway.set(file_path, first);
    second.set(file_path, then);
    start_with_second();
    auto answer = get(blob);
    EXPECT_EQ(answer.status, 200u);
    EXPECT_TRUE(answer.body == content) << answer.body.size() << " bytes";
  }
};

TEST_F(LayerProxyTest, StreamsTheLayerProvenAgainstItsDigest) {
  gateway.set(file_path, file());
  auto answer = get(blob);
  EXPECT_EQ(answer.status, 200u);
  EXPECT_TRUE(answer.body == content) << answer.body.size() << " bytes";
  EXPECT_EQ(answer.header("docker-content-digest"), digest);
  EXPECT_EQ(answer.header("content-length"), std::to_string(content.size()));
  EXPECT_EQ(answer.header("content-type"), "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_FALSE(answer.has_header("location"));
  EXPECT_EQ(gateway.request_count(file_path), 1u);
}

TEST_F(LayerProxyTest, HeadAnswersTheSizeWithoutAskingTheGateway) {
  gateway.set(file_path, file());
  auto answer = get(blob, "HEAD");
  EXPECT_EQ(answer.status, 200u);
  EXPECT_EQ(answer.header("content-length"), std::to_string(content.size()));
  EXPECT_EQ(gateway.request_count(file_path), 0u);
}

TEST_F(LayerProxyTest, ALayerNoGatewayHasIsBlobUnknown) {
  auto answer = get(blob);
  EXPECT_EQ(answer.status, 404u);
  EXPECT_NE(answer.body.find("BLOB_UNKNOWN"), std::string::npos) << answer.body;
  EXPECT_NE(answer.body.find("layer.tar.gz"), std::string::npos) << answer.body;
}

TEST_F(LayerProxyTest, AGatewayThatBreaksMidLayerHandsOverAtTheOffsetReached) {
  FakeReply cut = file();
  cut.cut_after = 1024 * 1024 + 123;
  expect_handed_over(cut, file());
  auto ranges = second.range_headers();
  ASSERT_EQ(ranges.size(), 1u);
  // The first gateway's bytes were kept: the second is asked for the rest only.
  EXPECT_TRUE(ranges[0].starts_with("bytes=") && ranges[0].ends_with("-")) << ranges[0];
  EXPECT_GT(std::stoul(ranges[0].substr(6)), 0u) << ranges[0];
  EXPECT_LE(std::stoul(ranges[0].substr(6)), cut.cut_after) << ranges[0];
}

TEST_F(LayerProxyTest, AStalledGatewayHandsOverAfterTheGatewayTimeout) {
  FakeReply stalled = file();
  stalled.stall_after = 512 * 1024;
  expect_handed_over(stalled, file());
  EXPECT_EQ(second.range_headers().size(), 1u);
}

TEST_F(LayerProxyTest, AGatewayThatIgnoresTheRangeIsReadFromTheOffset) {
  FakeReply cut = file();
  cut.cut_after = 2 * 1024 * 1024;
  // A plain 200 with the whole file, whatever the Range asked.
  FakeReply whole;
  whole.body = content;
  expect_handed_over(cut, whole);
}

TEST_F(LayerProxyTest, BytesThatDoNotMatchTheDigestAbortTheTransfer) {
  std::string corrupt = content;
  corrupt[corrupt.size() / 2] ^= 0x01;
  gateway.set(file_path, file(corrupt));
  // The client never gets a complete answer: the connection is reset before its last bytes.
  EXPECT_ANY_THROW(get(blob));
}

TEST_F(LayerProxyTest, WhenNoGatewayCanFinishTheTransferIsAborted) {
  FakeReply cut = file();
  cut.cut_after = 700 * 1024;
  gateway.set(file_path, cut);
  second.set(file_path, cut);
  start_with_second();
  EXPECT_ANY_THROW(get(blob));
}

TEST_F(LayerProxyTest, OneRangeIsAPartialAnswerOfExactlyItsBytes) {
  gateway.set(file_path, file());
  auto answer = get(blob, "GET", {{"Range", "bytes=1048570-1048600"}});
  EXPECT_EQ(answer.status, 206u);
  EXPECT_EQ(answer.body, content.substr(1048570, 31));
  EXPECT_EQ(answer.header("content-range"),
            "bytes 1048570-1048600/" + std::to_string(content.size()));
  EXPECT_EQ(answer.header("content-length"), "31");
  auto suffix = get(blob, "GET", {{"Range", "bytes=-100"}});
  EXPECT_EQ(suffix.status, 206u);
  EXPECT_EQ(suffix.body, content.substr(content.size() - 100));
}

TEST_F(LayerProxyTest, SeveralRangesAreMultipartByteranges) {
  gateway.set(file_path, file());
  auto answer = get(blob, "GET", {{"Range", "bytes=2000000-2000009, 0-4,3000000-"}});
  ASSERT_EQ(answer.status, 206u);
  const std::string type = answer.header("content-type");
  ASSERT_TRUE(type.starts_with("multipart/byteranges; boundary=")) << type;
  const std::string boundary = type.substr(type.find('=') + 1);
  EXPECT_EQ(answer.header("content-length"), std::to_string(answer.body.size()));
  // Each part: its Content-Range, then exactly those bytes of the layer.
  std::size_t parts = 0;
  for (auto at = answer.body.find("--" + boundary + "\r\n"); at != std::string::npos;
       at = answer.body.find("--" + boundary + "\r\n", at + 1)) {
    auto range_at = answer.body.find("Content-Range: bytes ", at) + 21;
    auto dash = answer.body.find('-', range_at);
    auto slash = answer.body.find('/', dash);
    std::uint64_t first = std::stoull(answer.body.substr(range_at, dash - range_at));
    std::uint64_t last = std::stoull(answer.body.substr(dash + 1, slash - dash - 1));
    auto bytes_at = answer.body.find("\r\n\r\n", slash) + 4;
    EXPECT_EQ(answer.body.compare(bytes_at, last - first + 1, content, first, last - first + 1), 0)
        << first << "-" << last;
    ++parts;
  }
  EXPECT_EQ(parts, 3u);
  EXPECT_TRUE(answer.body.ends_with("--" + boundary + "--\r\n"));
}

TEST_F(LayerProxyTest, IfRangeWithAnotherTagSendsTheWholeLayer) {
  gateway.set(file_path, file());
  auto answer = get(blob, "GET", {{"Range", "bytes=0-9"}, {"If-Range", "\"sha256:other\""}});
  EXPECT_EQ(answer.status, 200u);
  EXPECT_TRUE(answer.body == content);
  auto same = get(blob, "GET", {{"Range", "bytes=0-9"}, {"If-Range", "\"" + digest + "\""}});
  EXPECT_EQ(same.status, 206u);
  EXPECT_EQ(same.body, content.substr(0, 10));
}

TEST_F(LayerProxyTest, ARangeOutsideTheLayerIs416) {
  gateway.set(file_path, file());
  auto answer = get(blob, "GET", {{"Range", "bytes=" + std::to_string(content.size()) + "-"}});
  EXPECT_EQ(answer.status, 416u);
  EXPECT_EQ(answer.header("content-range"), "bytes */" + std::to_string(content.size()));
  EXPECT_EQ(gateway.request_count(file_path), 0u);
  EXPECT_EQ(get(blob, "HEAD").header("accept-ranges"), "bytes");
}

TEST_F(LayerProxyTest, ARangeOfACorruptLayerIsNeverCompleted) {
  std::string corrupt = content;
  corrupt[corrupt.size() - 10] ^= 0x01;
  gateway.set(file_path, file(corrupt));
  // The range is intact, but the layer is not: its end waits for the proof, which fails.
  EXPECT_ANY_THROW(get(blob, "GET", {{"Range", "bytes=0-99"}}));
}

TEST_F(LayerProxyTest, TransfersPastMaxBlobTransfersWaitThenGet503) {
  // The first download trickles (a byte every 2 ms: never stalled) and holds the one slot.
  FakeReply trickle;
  trickle.kind = FakeReply::Kind::trickle;
  trickle.body = content;
  trickle.delay = std::chrono::milliseconds(2);
  gateway.set(file_path, trickle);
  start({"--blobs=proxy", "--max-blob-transfers=1"});
  std::thread first([this] {
    try {
      get(blob);
    } catch (const std::exception&) {  // cut off when the server stops
    }
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (gateway.request_count(file_path) == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(gateway.request_count(file_path), 1u);
  auto answer = get(blob);
  EXPECT_EQ(answer.status, 503u);
  EXPECT_NE(answer.body.find("--max-blob-transfers=1"), std::string::npos) << answer.body;
  EXPECT_EQ(gateway.request_count(file_path), 1u);
  auto metrics = get("/metrics").body;
  EXPECT_NE(metrics.find("\nocipfs_blob_transfers_in_flight 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\nocipfs_blob_transfers_refused_total 1\n"), std::string::npos);
  EXPECT_NE(metrics.find("{route=\"blob\",status=\"503\"} 1\n"), std::string::npos);
  stop();
  first.join();
}

// Sends `request` to 127.0.0.1:port, reads the first bytes of the answer, and leaves.
void leave_mid_answer(std::uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  char some[64];
  EXPECT_GT(::recv(fd, some, sizeof some, 0), 0);
  ::close(fd);
}

// The /metrics lines of how the layer transfers ended.
std::string transfer_lines(std::uint64_t complete, std::uint64_t aborted, std::uint64_t abandoned) {
  return "ocipfs_blob_transfers_total{outcome=\"complete\"} " + std::to_string(complete) +
         "\nocipfs_blob_transfers_total{outcome=\"aborted\"} " + std::to_string(aborted) +
         "\nocipfs_blob_transfers_total{outcome=\"abandoned\"} " + std::to_string(abandoned) + "\n";
}

TEST_F(LayerProxyTest, MetricsCountHowTransfersEndedTheirBytesAndHandOvers) {
  FakeReply cut = file();
  cut.cut_after = 1024 * 1024 + 123;
  expect_handed_over(cut, file());
  auto metrics = get("/metrics").body;
  EXPECT_NE(metrics.find(transfer_lines(1, 0, 0)), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\nocipfs_blob_bytes_total " + std::to_string(content.size()) + "\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("\nocipfs_blob_handovers_total 1\n"), std::string::npos);
  EXPECT_NE(metrics.find("\nocipfs_blob_transfers_in_flight 0\n"), std::string::npos);
  // A range is a 206, counted as such.
  EXPECT_EQ(get(blob, "GET", {{"Range", "bytes=0-9"}}).status, 206u);
  EXPECT_NE(get("/metrics").body.find("{route=\"blob\",status=\"206\"} 1\n"), std::string::npos);
}

TEST_F(LayerProxyTest, MetricsCountAbortedAndAbandonedTransfers) {
  std::string corrupt = content;
  corrupt[corrupt.size() / 2] ^= 0x01;
  gateway.set(file_path, file(corrupt));
  EXPECT_ANY_THROW(get(blob));
  // The client that leaves mid-layer: the gateway trickles, the client reads for 300 ms.
  FakeReply trickle;
  trickle.kind = FakeReply::Kind::trickle;
  trickle.body = content;
  trickle.delay = std::chrono::milliseconds(2);
  gateway.set(file_path, trickle);
  leave_mid_answer(server->port(), "GET " + blob + " HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string abandoned = "ocipfs_blob_transfers_total{outcome=\"abandoned\"} 1\n";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (get("/metrics").body.find(abandoned) == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto metrics = get("/metrics").body;
  EXPECT_NE(metrics.find(transfer_lines(0, 1, 1)), std::string::npos) << metrics;
}

TEST_F(LayerProxyTest, ConfigsAndManifestsAreStillServedWhole) {
  const std::string repository = "/v2/layer/" + testing::raw_cid_of(manifest);
  auto index = get(repository + "/manifests/latest", "GET", {{"Accept", accept_all}});
  ASSERT_EQ(index.status, 200u);
  auto first = nlohmann::json::parse(index.body)["manifests"][0]["digest"].get<std::string>();
  auto image_manifest = get(repository + "/manifests/" + first, "GET", {{"Accept", accept_all}});
  ASSERT_EQ(image_manifest.status, 200u);
  auto config = nlohmann::json::parse(image_manifest.body)["config"];
  auto answer = get(repository + "/blobs/" + config["digest"].get<std::string>());
  EXPECT_EQ(answer.status, 200u);
  EXPECT_EQ(answer.body.size(), config["size"].get<std::size_t>());
  EXPECT_EQ(gateway.request_count(file_path), 0u);
}

}  // namespace
}  // namespace ocipfs
