// --blobs=proxy from trustless gateways: the layer's path and file DAG as a CAR, each block
// proven against its CID before its bytes go out, a gateway that sends a bad block left for the
// next one (a CAR or a plain file) at the offset reached, the whole still proven by the digest.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "ocipfs/formats/car.hpp"
#include "ocipfs/formats/dag_pb.hpp"
#include "ocipfs/formats/unixfs.hpp"
#include "ocipfs/http/byte_ranges.hpp"
#include "support/server_fixture.hpp"

namespace ocipfs {
namespace {

using testing::FakeGateway;
using testing::FakeReply;

constexpr std::size_t chunk = 64 * 1024;
constexpr std::string_view car_accept = "application/vnd.ipld.car; version=1; order=dfs; dups=y";

// Three MiB and a bit, in 64 KiB leaves under nodes of 8 links: a DAG three levels deep.
std::string layer_content() {
  std::mt19937 random(31);
  std::string out(3 * 1024 * 1024 + 4321, '\0');
  for (char& c : out) c = static_cast<char>(random());
  return out;
}

// A directory holding layer.tar.gz, every block by binary CIDv1.
struct LayerDag {
  std::map<std::string, std::string> blocks;
  ImportedNode file, dir;
};

LayerDag import_layer(const std::string& content) {
  LayerDag dag;
  BlockSink sink = [&](const Cid& cid, std::string_view block) {
    dag.blocks[cid.v1_bytes()] = std::string(block);
  };
  dag.file = import_file(content, sink, ImportLayout{chunk, 8});
  dag.dir = *import_directory({{"layer.tar.gz", dag.file}}, sink);
  return dag;
}

class TrustlessProxyTest : public ServerTest {
 protected:
  const std::string content = layer_content();
  const std::string digest = sha256_digest_text(sha256(content));
  const LayerDag dag = import_layer(content);
  const std::string file_path = "/ipfs/" + dag.dir.cid.to_string() + "/layer.tar.gz";
  const std::string car_path = file_path + "?format=car&dag-scope=entity";
  std::string manifest =
      R"({"mediaType":"application/vnd.ocipfs.layer.manifest.v1+json",)"
      R"("layer":{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",)"
      R"("digest":")" +
      digest + R"(","size":)" + std::to_string(content.size()) +
      R"(,"annotations":{"io.ocipfs.layer.ipfs.cid":")" + dag.dir.cid.to_string() +
      R"(/layer.tar.gz","io.ocipfs.layer.fs.digest":")" + testing::layer_diff_id + R"("}}})";
  std::string blob = "/v2/layer/" + testing::raw_cid_of(manifest) + "/blobs/" + digest;
  FakeGateway second;

  void SetUp() override {
    gateway.serve_cid(testing::raw_cid_of(manifest), manifest);
    second.serve_cid(testing::raw_cid_of(manifest), manifest);
  }

  // The CAR a trustless gateway sends for the layer's path from byte `from` to byte `to`, in
  // depth-first pre-order; the leaf that holds byte `corrupt_at` (when given) has a byte flipped.
  std::string car(std::uint64_t from = 0, std::uint64_t corrupt_at = UINT64_MAX,
                  std::uint64_t to = UINT64_MAX) const {
    std::string out = car_header({dag.dir.cid}) + section(dag.dir.cid);
    write_file(dag.file.cid, 0, {from, to}, corrupt_at, out);
    return out;
  }

  std::string section(const Cid& cid, bool corrupt = false) const {
    std::string block = dag.blocks.at(cid.v1_bytes());
    if (corrupt) block[block.size() / 2] ^= 0x01;
    return car_section(cid, block);
  }

  // Writes the node `cid` holding the file's bytes from `offset`, and its children that hold
  // bytes of `range`.
  void write_file(const Cid& cid, std::uint64_t offset, ByteRange range, std::uint64_t corrupt_at,
                  std::string& out) const {
    const std::string& block = dag.blocks.at(cid.v1_bytes());
    if (cid.codec == multicodec::raw) {
      out += section(cid, corrupt_at >= offset && corrupt_at < offset + block.size());
      return;
    }
    out += section(cid);
    auto node = decode_pb_node(block);
    auto unixfs = decode_unixfs_data(*node->data);
    offset += unixfs->data ? unixfs->data->size() : 0;
    for (std::size_t i = 0; i < node->links.size(); ++i) {
      std::string_view hash = node->links[i].hash;
      Cid child = *read_cid_bytes(hash);
      const std::uint64_t size = unixfs->blocksizes[i];
      if (offset + size > range.first && offset <= range.last)
        write_file(child, offset, range, corrupt_at, out);
      offset += size;
    }
  }

  FakeReply car_reply(std::string body) const {
    FakeReply reply;
    reply.body = std::move(body);
    reply.headers = {{"Content-Type", "application/vnd.ipld.car; version=1; order=dfs; dups=y"}};
    return reply;
  }

  FakeReply plain_file() const {
    FakeReply reply;
    reply.kind = FakeReply::Kind::file;
    reply.body = content;
    return reply;
  }

  // Both gateways, the first one first, each with its marker (",trustless" or "").
  void start_with(const std::string& first_marker, const std::string& second_marker) {
    start({"--blobs=proxy", "--gateway=" + gateway.url() + first_marker,
           "--gateway=" + second.url() + second_marker, "--hedge-after=off"});
  }

  // The CAR path a trustless gateway is asked when a transfer resumes at `from`.
  std::string car_from(std::uint64_t from) const {
    return car_path + "&entity-bytes=" + std::to_string(from) + ":*";
  }

  // Downloads the layer, which must come whole and right.
  void expect_whole_layer() {
    auto answer = get(blob);
    EXPECT_EQ(answer.status, 200u);
    EXPECT_TRUE(answer.body == content) << answer.body.size() << " bytes";
  }

  // The requests for the layer that `at` saw.
  static std::vector<std::string> layer_requests(const FakeGateway& at) {
    std::vector<std::string> out;
    for (const auto& request : at.requests())
      if (request.find("/layer.tar.gz") != std::string::npos) out.push_back(request);
    return out;
  }
};

TEST_F(TrustlessProxyTest, StreamsTheLayerFromItsCarProvenBlockByBlock) {
  gateway.set(car_path, car_reply(car()));
  // (The fixture names a --redirect-gateway: --blobs=proxy is not the default here.)
  start({"--blobs=proxy", "--gateway=" + gateway.url() + ",trustless"});
  auto answer = get(blob);
  EXPECT_EQ(answer.status, 200u);
  EXPECT_TRUE(answer.body == content) << answer.body.size() << " bytes";
  EXPECT_EQ(answer.header("docker-content-digest"), digest);
  EXPECT_FALSE(answer.has_header("location"));
  EXPECT_THAT(layer_requests(gateway), ::testing::ElementsAre("GET " + car_path));
  EXPECT_THAT(gateway.accept_headers(), ::testing::Contains(std::string(car_accept)));
}

TEST_F(TrustlessProxyTest, ACorruptBlockHandsOverToTheNextCarAtTheOffsetReached) {
  const std::uint64_t corrupt_at = 1024 * 1024 + 5000;  // in the 17th leaf
  const std::uint64_t reached = corrupt_at / chunk * chunk;
  gateway.set(car_path, car_reply(car(0, corrupt_at)));
  second.set(car_from(reached), car_reply(car(reached)));
  start_with(",trustless", ",trustless");
  expect_whole_layer();
  EXPECT_THAT(layer_requests(second), ::testing::ElementsAre("GET " + car_from(reached)));
}

TEST_F(TrustlessProxyTest, ACorruptBlockHandsOverToAPlainGatewayWithARange) {
  const std::uint64_t corrupt_at = 2 * 1024 * 1024 + 77;
  const std::uint64_t reached = corrupt_at / chunk * chunk;
  gateway.set(car_path, car_reply(car(0, corrupt_at)));
  second.set(file_path, plain_file());
  start_with(",trustless", "");
  expect_whole_layer();
  EXPECT_THAT(second.range_headers(),
              ::testing::Contains("bytes=" + std::to_string(reached) + "-"));
}

TEST_F(TrustlessProxyTest, APlainGatewayThatBreaksHandsOverToACarWithEntityBytes) {
  FakeReply cut = plain_file();
  cut.cut_after = 1024 * 1024 + 123;  // every byte before the cut arrives, then the end
  gateway.set(file_path, cut);
  second.set(car_from(cut.cut_after), car_reply(car(cut.cut_after)));
  start_with("", ",trustless");
  expect_whole_layer();
  EXPECT_THAT(layer_requests(second), ::testing::ElementsAre("GET " + car_from(cut.cut_after)));
}

TEST_F(TrustlessProxyTest, CorruptEverywhereAbortsTheTransfer) {
  const std::uint64_t corrupt_at = 1024 * 1024;
  const std::uint64_t reached = corrupt_at / chunk * chunk;
  gateway.set(car_path, car_reply(car(0, corrupt_at)));
  second.set(car_from(reached), car_reply(car(reached, corrupt_at)));
  start_with(",trustless", ",trustless");
  EXPECT_ANY_THROW(get(blob));
}

// A range's CAR: exactly the blocks that hold bytes `from` to `to` (and their parents).
std::string entity_bytes(std::uint64_t from, std::uint64_t to) {
  return "&entity-bytes=" + std::to_string(from) + ":" + std::to_string(to);
}

TEST_F(TrustlessProxyTest, ARangeFetchesOnlyTheBlocksThatHoldIt) {
  const std::uint64_t from = 1024 * 1024 + 100, to = 1024 * 1024 + 70000;  // across two leaves
  gateway.set(car_path + entity_bytes(from, to), car_reply(car(from, UINT64_MAX, to)));
  start({"--blobs=proxy", "--gateway=" + gateway.url() + ",trustless"});
  auto answer =
      get(blob, "GET", {{"Range", "bytes=" + std::to_string(from) + "-" + std::to_string(to)}});
  EXPECT_EQ(answer.status, 206u);
  EXPECT_TRUE(answer.body == content.substr(from, to - from + 1)) << answer.body.size();
  EXPECT_EQ(answer.header("content-range"), "bytes " + std::to_string(from) + "-" +
                                                std::to_string(to) + "/" +
                                                std::to_string(content.size()));
  EXPECT_THAT(layer_requests(gateway),
              ::testing::ElementsAre("GET " + car_path + entity_bytes(from, to)));
}

TEST_F(TrustlessProxyTest, SeveralRangesFetchTheSpanThatHoldsThemAll) {
  gateway.set(car_path + entity_bytes(100, 2000099), car_reply(car(100, UINT64_MAX, 2000099)));
  start({"--blobs=proxy", "--gateway=" + gateway.url() + ",trustless"});
  auto answer = get(blob, "GET", {{"Range", "bytes=2000000-2000099,100-199"}});
  EXPECT_EQ(answer.status, 206u);
  EXPECT_NE(answer.body.find(content.substr(100, 100)), std::string::npos);
  EXPECT_NE(answer.body.find(content.substr(2000000, 100)), std::string::npos);
  EXPECT_LT(answer.body.find(content.substr(100, 100)),
            answer.body.find(content.substr(2000000, 100)));
  EXPECT_THAT(layer_requests(gateway),
              ::testing::ElementsAre("GET " + car_path + entity_bytes(100, 2000099)));
}

TEST_F(TrustlessProxyTest, ARangeIsAskedOfTheTrustlessGatewaysOnly) {
  second.set(car_from(3000000), car_reply(car(3000000)));
  gateway.set(file_path, plain_file());
  start_with("", ",trustless");
  auto answer = get(blob, "GET", {{"Range", "bytes=3000000-"}});
  EXPECT_EQ(answer.status, 206u);
  EXPECT_TRUE(answer.body == content.substr(3000000)) << answer.body.size();
  EXPECT_THAT(layer_requests(gateway), ::testing::IsEmpty());
}

TEST_F(TrustlessProxyTest, ACorruptBlockInARangeHandsOverToTheNextTrustlessGateway) {
  const std::uint64_t from = 500000, to = 2500000, corrupt_at = 1500000;
  const std::uint64_t reached = corrupt_at / chunk * chunk;
  gateway.set(car_path + entity_bytes(from, to), car_reply(car(from, corrupt_at, to)));
  second.set(car_path + entity_bytes(reached, to), car_reply(car(reached, UINT64_MAX, to)));
  start_with(",trustless", ",trustless");
  auto answer =
      get(blob, "GET", {{"Range", "bytes=" + std::to_string(from) + "-" + std::to_string(to)}});
  EXPECT_EQ(answer.status, 206u);
  EXPECT_TRUE(answer.body == content.substr(from, to - from + 1)) << answer.body.size();
  EXPECT_THAT(layer_requests(second),
              ::testing::ElementsAre("GET " + car_path + entity_bytes(reached, to)));
}

TEST_F(TrustlessProxyTest, ARangeCorruptEverywhereIsNeverCompleted) {
  const std::uint64_t corrupt_at = 1000000;
  const std::uint64_t reached = corrupt_at / chunk * chunk;
  gateway.set(car_path + entity_bytes(0, 1999999), car_reply(car(0, corrupt_at, 1999999)));
  second.set(car_path + entity_bytes(reached, 1999999),
             car_reply(car(reached, corrupt_at, 1999999)));
  start_with(",trustless", ",trustless");
  EXPECT_ANY_THROW(get(blob, "GET", {{"Range", "bytes=0-1999999"}}));
}

}  // namespace
}  // namespace ocipfs
