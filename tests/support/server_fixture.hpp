// The server on 127.0.0.1:0, run on its own thread, against an in-process fake gateway.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "ocipfs/image/image.hpp"
#include "ocipfs/image/layer_manifest.hpp"
#include "ocipfs/server/config.hpp"
#include "ocipfs/server/server.hpp"
#include "support/fake_gateway.hpp"
#include "support/http_client.hpp"
#include "support/rendered_image.hpp"
#include "support/test_data.hpp"

namespace ocipfs {

inline constexpr const char* accept_all =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

class ServerTest : public ::testing::Test {
 protected:
  testing::FakeGateway gateway;
  std::unique_ptr<Server> server;
  std::thread thread;
  std::string cid = testing::manifest_cid;
  std::string repo = "/v2/layer/" + testing::manifest_cid;
  testing::RenderedImage image{synthesize_image(
      testing::manifest_cid, *parse_layer_manifest(testing::layer_manifest_json()))};

  void SetUp() override {
    gateway.serve_cid(cid, testing::layer_manifest_json());
    start({});
  }

  void start(std::vector<std::string> extra) {
    stop();
    // Failures are not shared between requests here, so that each test sees the gateway's
    // answer of the moment; ServerTest.ARecentFailureIsShared turns it on.
    std::vector<std::string> args = {"--listen=127.0.0.1:0", "--threads=2", "--gateway-timeout=1s",
                                     "--redirect-gateway=https://public.example/base",
                                     "--failure-ttl=0"};
    bool own_gateway = std::any_of(extra.begin(), extra.end(), [](const std::string& arg) {
      return arg.starts_with("--gateway=");
    });
    if (!own_gateway) args.push_back("--gateway=" + gateway.url());
    args.insert(args.end(), extra.begin(), extra.end());
    auto parsed = parse_command_line(args, [](std::string_view) { return std::nullopt; });
    ASSERT_TRUE(parsed) << parsed.error();
    server = std::make_unique<Server>(parsed->config);
    thread = std::thread([this] { server->run(); });
  }

  void stop() {
    if (!server) return;
    server->stop();
    thread.join();
    server.reset();
  }

  void TearDown() override { stop(); }

  testing::HttpResult get(const std::string& target, const std::string& method = "GET",
                          const testing::Headers& headers = {}) {
    return testing::http_request(server->port(), method, target, headers);
  }

  // Serves a faulty gateway answer for the manifest CID and returns the registry's answer.
  testing::HttpResult with_gateway_reply(testing::FakeReply reply) {
    gateway.set("/ipfs/" + cid, std::move(reply));
    return get(repo + "/manifests/latest");
  }

  // Serves `content` at /ipfs/<its raw CID> and returns the CID.
  std::string publish(const std::string& content) {
    std::string content_cid = testing::raw_cid_of(content);
    gateway.serve_cid(content_cid, content);
    return content_cid;
  }

  static std::string error_code(const testing::HttpResult& result) {
    return nlohmann::json::parse(result.body)["errors"][0]["code"];
  }
  static std::string error_message(const testing::HttpResult& result) {
    return nlohmann::json::parse(result.body)["errors"][0]["message"];
  }
};

}  // namespace ocipfs
