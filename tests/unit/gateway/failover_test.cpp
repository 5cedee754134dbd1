// The failover decision without sockets: what one answer means, and the verdict over all.
#include "ocipfs/gateway/failover.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ocipfs/formats/unixfs.hpp"
#include "ocipfs/formats/verify.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using ::testing::HasSubstr;

const std::string content = testing::layer_manifest_json();
const Cid cid = *parse_cid(testing::manifest_cid);

FetchFailure failure(FetchFault fault, std::string message) {
  return {fault, std::move(message), 0, std::chrono::seconds{0}};
}

Judgement judge(std::string body, bool verify = true, std::string type = "") {
  return judge_answer(cid, DocumentKind::layer, FetchResponse{200, std::move(body), type}, verify,
                      "http://gw.example");
}

TEST(Judge, ProvenContentWins) {
  auto judged = judge(content);
  EXPECT_EQ(judged.kind, Judgement::Kind::content);
  EXPECT_EQ(judged.content, content);
}

TEST(Judge, OtherBytesAreALieToRouteAround) {
  auto judged = judge(content + " ");
  EXPECT_EQ(judged.kind, Judgement::Kind::failure);
  EXPECT_EQ(judged.failure.fault, FetchFault::mismatch);
  EXPECT_THAT(judged.failure.message, HasSubstr("http://gw.example: "));
  EXPECT_THAT(judged.failure.message, HasSubstr("does not match the CID"));
}

TEST(Judge, WithoutVerificationTheAnswerIsTaken) {
  auto judged = judge("anything", /*verify=*/false);
  EXPECT_EQ(judged.kind, Judgement::Kind::content);
  EXPECT_EQ(judged.content, "anything");
}

TEST(Judge, ProvenButUnusableIsFinal) {
  // A dag-pb block with a link: proven by its hash, but not a one-block document.
  std::string block = std::string("\x12\x00", 2) + encode_unixfs_file_block("x");
  auto hash = sha256(block);
  Cid dag{1, multicodec::dag_pb, multihash::sha2_256,
          std::string(reinterpret_cast<const char*>(hash.data()), hash.size())};
  auto judged = judge_answer(dag, DocumentKind::layer,
                             FetchResponse{200, block, std::string(raw_block_type)}, true, "gw");
  EXPECT_EQ(judged.kind, Judgement::Kind::final);
  EXPECT_EQ(judged.error.status, 404u);
  EXPECT_EQ(judged.error.code, ErrorCode::manifest_invalid);
  EXPECT_THAT(judged.error.message, HasSubstr("layer manifest " + dag.to_string() + " is invalid"));
}

// A directory's CID where a layer manifest belongs ("ipfs path", the CAR's second root) is said
// to be one, with the CID to use instead; it reads like no tampering.
TEST(Judge, ADirectoryIsNamedAsOne) {
  std::string block;
  auto dir = import_directory({{"hello.tar.gz", import_file("x", {})}},
                              [&](const Cid&, std::string_view b) { block = std::string(b); });
  ASSERT_TRUE(dir);
  // Proven (a trustless gateway's block or CAR): final, like any proven content.
  auto proven = judge_answer(dir->cid, DocumentKind::layer,
                             FetchResponse{200, block, std::string(raw_block_type)}, true, "gw");
  EXPECT_EQ(proven.kind, Judgement::Kind::final);
  EXPECT_EQ(proven.error.status, 400u);
  EXPECT_EQ(proven.error.code, ErrorCode::manifest_invalid);
  EXPECT_EQ(proven.error.message,
            dir->cid.to_string() +
                " is a UnixFS directory, not a layer manifest: use the layer manifest's CID that "
                "`ocipfs pack` or `ocipfs publish` printed (the first root of its CAR)");
  // A plain gateway's web page listing it: said so, but not proven, so another gateway is asked.
  std::string listing = "<html><title>/ipfs/" + dir->cid.to_string() + "/</title>";
  auto listed = judge_answer(dir->cid, DocumentKind::layer,
                             FetchResponse{200, listing, "text/html; charset=utf-8"}, true, "gw");
  EXPECT_EQ(listed.kind, Judgement::Kind::failure);
  EXPECT_EQ(listed.failure.fault, FetchFault::not_a_document);
  EXPECT_EQ(fault_label(FetchFault::not_a_document), "not_a_document");
  Failover failover(DocumentKind::layer, dir->cid.to_string(), 2);
  failover.failed(failure(FetchFault::timeout, "a did not answer within 1s"));
  failover.failed(listed.failure);
  auto error = failover.verdict();
  EXPECT_EQ(error.status, 400u);  // BuildKit prints a 400's status line, and "not found" for 404
  EXPECT_EQ(error.code, ErrorCode::manifest_unknown);  // not proven: never cached as invalid
  EXPECT_EQ(error.message, dir->cid.to_string() +
                               " is a UnixFS directory (gw lists it as a web page), not a layer "
                               "manifest: use the layer manifest's CID that `ocipfs pack` or "
                               "`ocipfs publish` printed (the first root of its CAR)");
}

TEST(Judge, AFetchFailureStaysOne) {
  auto judged =
      judge_answer(cid, DocumentKind::layer,
                   Unexpected{failure(FetchFault::timeout, "gw did not answer")}, true, "gw");
  EXPECT_EQ(judged.kind, Judgement::Kind::failure);
  EXPECT_EQ(judged.failure.fault, FetchFault::timeout);
}

TEST(Failover, OneGatewaySaysItsOwnFailure) {
  Failover not_found(DocumentKind::layer, "bafk1", 1);
  not_found.failed(failure(FetchFault::not_found, "http://a answered 404"));
  auto error = not_found.verdict();
  EXPECT_EQ(error.status, 404u);
  EXPECT_EQ(error.code, ErrorCode::manifest_unknown);
  EXPECT_EQ(error.message,
            "no gateway has layer manifest bafk1 (is it pinned, or imported where the gateway can "
            "reach it?): gateway http://a answered 404");

  Failover slow(DocumentKind::layer, "bafk1", 1);
  slow.failed(failure(FetchFault::timeout, "http://a did not answer within 1s"));
  EXPECT_EQ(slow.verdict(),
            gateway_timeout("no gateway answered for layer manifest bafk1 in time (is it pinned, "
                            "or imported where the gateway can reach it? is the gateway slow?): "
                            "http://a did not answer within 1s"));

  Failover big(DocumentKind::layer, "bafk1", 1);
  big.failed(failure(FetchFault::too_large, "http://a sent a response over the size limit"));
  EXPECT_EQ(big.verdict().status, 502u);
  EXPECT_THAT(big.verdict().message, HasSubstr("(a layer manifest is at most 1 MiB)"));
}

TEST(Failover, TheWorstOfSeveralDecides) {
  Failover timeout(DocumentKind::layer, "bafk1", 2);
  timeout.failed(failure(FetchFault::not_found, "a answered 404"));
  timeout.failed(failure(FetchFault::timeout, "b did not answer"));
  EXPECT_EQ(timeout.verdict(),
            gateway_timeout("no gateway answered for layer manifest bafk1 in time (is it pinned, "
                            "or imported where the gateway can reach it? is the gateway slow?): a "
                            "answered 404; b did not answer"));

  Failover nowhere(DocumentKind::layer, "bafk1", 2);
  nowhere.failed(failure(FetchFault::not_found, "a answered 404"));
  nowhere.failed(failure(FetchFault::not_found, "b answered 410"));
  EXPECT_EQ(nowhere.verdict().status, 404u);

  Failover broken(DocumentKind::layer, "bafk1", 2);
  broken.failed(failure(FetchFault::not_found, "a answered 404"));
  broken.failed(failure(FetchFault::unreachable, "b refused"));
  EXPECT_EQ(broken.verdict(),
            bad_gateway("bad gateway fetching layer manifest bafk1: a answered 404; b refused"));
}

// The first probe: past the descriptor limit, socket() failed with EMFILE and the client was told
// the gateway "did not answer within 10s". A shortage of ocipfsd's own is a 503 that says so.
TEST(Failover, OcipfsdsOwnShortageIsNeverAGatewayTimeout) {
  namespace errc = boost::system::errc;
  for (auto local : {errc::too_many_files_open, errc::too_many_files_open_in_system,
                     errc::not_enough_memory, errc::no_buffer_space})
    EXPECT_TRUE(is_local_resource_error(errc::make_error_code(local)));
  for (auto remote : {errc::timed_out, errc::connection_refused, errc::operation_canceled})
    EXPECT_FALSE(is_local_resource_error(errc::make_error_code(remote)));

  Failover starved(DocumentKind::layer, "bafk1", 2);
  starved.failed(failure(FetchFault::timeout, "a did not answer within 1s"));
  starved.failed(failure(FetchFault::local_resources,
                         "ocipfsd is short of resources to reach b (Too many open files)"));
  auto error = starved.verdict();
  EXPECT_EQ(error.status, 503u);
  EXPECT_EQ(error.code, ErrorCode::unavailable);
  EXPECT_THAT(error.message, HasSubstr("Too many open files"));
  EXPECT_EQ(fault_label(FetchFault::local_resources), "local_resources");
}

TEST(Failover, ALieIsRefusedEvenWithOneGateway) {
  Failover lied(DocumentKind::layer, "bafk1", 1);
  lied.failed(failure(FetchFault::mismatch, "a: the gateway returned content that does not match"));
  auto error = lied.verdict();
  EXPECT_EQ(error.status, 502u);
  EXPECT_THAT(error.message, HasSubstr("refusing layer manifest bafk1: a: the gateway returned"));
}

}  // namespace
}  // namespace ocipfs
