#include "ocipfs/server/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace ocipfs {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Expected<CommandLine> parse(std::vector<std::string> args,
                            std::map<std::string, std::string> env = {}) {
  return parse_command_line(args, [env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

TEST(Config, Defaults) {
  auto parsed = parse({});
  ASSERT_TRUE(parsed);
  const Config& config = parsed->config;
  EXPECT_EQ(parsed->command, Command::run);
  EXPECT_EQ(config.listen.host, "0.0.0.0");
  EXPECT_EQ(config.listen.port, 8080);
  EXPECT_GE(config.listen.threads, 1u);
  ASSERT_EQ(config.gateway.urls.size(), 1u);
  EXPECT_EQ(config.gateway.urls[0].to_string(), "https://ipfs.io/");
  EXPECT_EQ(config.gateway.redirect.to_string(), "https://ipfs.io/");
  EXPECT_EQ(config.gateway.client.timeout, std::chrono::seconds(30));
  EXPECT_EQ(config.limits.max_connections, 16384u);
  EXPECT_EQ(config.gateway.client.ca_file, "");
}

TEST(Config, PortFromTheEnvironment) {
  EXPECT_EQ(parse({}, {{"PORT", "9090"}})->config.listen.port, 9090);
  EXPECT_EQ(parse({"--listen=127.0.0.1:0"}, {{"PORT", "9090"}})->config.listen.port, 0);
  EXPECT_THAT(parse({}, {{"PORT", "http"}}).error(), HasSubstr("$PORT"));
}

TEST(Config, Flags) {
  auto parsed = parse({"--gateway=http://127.0.0.1:5001/prefix/", "--listen=[::1]:7000",
                       "--threads=3", "--gateway-timeout=500ms", "--log-level=debug",
                       "--redirect-gateway=https://dweb.example"});
  ASSERT_TRUE(parsed) << parsed.error();
  const Config& config = parsed->config;
  EXPECT_EQ(config.gateway.urls[0].origin(), "http://127.0.0.1:5001");
  EXPECT_EQ(config.gateway.urls[0].base_path(), "/prefix");
  EXPECT_EQ(config.gateway.redirect.url.origin(), "https://dweb.example");
  EXPECT_EQ(config.listen.host, "::1");
  EXPECT_EQ(config.listen.port, 7000);
  EXPECT_EQ(config.listen.threads, 3u);
  EXPECT_EQ(config.gateway.client.timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(config.log.level, "debug");
  auto limits = parse({"--max-connections=100", "--gateway-ca-file=/etc/private-ca.pem"});
  ASSERT_TRUE(limits) << limits.error();
  EXPECT_EQ(limits->config.limits.max_connections, 100u);
  EXPECT_EQ(limits->config.gateway.client.ca_file, "/etc/private-ca.pem");
  EXPECT_EQ(parse({"--gateway=http://a.example"})->config.gateway.redirect.url.origin(),
            "http://a.example");
}

TEST(Config, SeveralGatewaysAndVerification) {
  auto parsed =
      parse({"--gateway=http://a.example", "--gateway=https://b.example/x", "--verify=off"});
  ASSERT_TRUE(parsed) << parsed.error();
  ASSERT_EQ(parsed->config.gateway.urls.size(), 2u);
  EXPECT_EQ(parsed->config.gateway.urls[1].to_string(), "https://b.example/x");
  EXPECT_FALSE(parsed->config.gateway.verify);
  EXPECT_TRUE(parse({})->config.gateway.verify);
  EXPECT_THAT(parse({"--verify=maybe"}).error(), HasSubstr("--verify: must be strict or off"));
}

TEST(Config, RedirectTemplates) {
  auto parsed = parse({"--redirect-gateway=https://{cid}.ipfs.dweb.link"});
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_TRUE(parsed->config.gateway.redirect.subdomain);
  EXPECT_EQ(parsed->config.gateway.redirect.host_suffix, "ipfs.dweb.link");
  EXPECT_EQ(parsed->config.gateway.redirect.to_string(), "https://{cid}.ipfs.dweb.link");
  for (const char* bad : {"https://ipfs.io/{cid}", "https://x.{cid}.link", "https://{cid}.a/{cid}",
                          "https://{cid}.ipfs.dweb.link/path", "https://{cid}"}) {
    EXPECT_FALSE(parse({std::string("--redirect-gateway=") + bad})) << bad;
  }
}

TEST(Config, HelpAndVersion) {
  EXPECT_EQ(parse({"--help"})->command, Command::help);
  EXPECT_EQ(parse({"--version"})->command, Command::version);
  EXPECT_THAT(usage(), HasSubstr("--gateway=URL"));
  // What it serves: layers, and images of several layers or imported ones.
  EXPECT_THAT(usage(), HasSubstr("  COPY --from=HOST/layer/<cid>:<file> / /"));
  EXPECT_THAT(usage(), HasSubstr("  FROM HOST/image/<cid>"));
  EXPECT_THAT(usage(), Not(HasSubstr("one-layer")));
  // Every flag from the table, with its help beside it, wrapped lines indented.
  for (const char* line :
       {"  --gateway=URL            IPFS HTTP gateway", "  --ready-check            /readyz",
        "\n                           503 and closed.", "  --version                print"})
    EXPECT_THAT(usage(), HasSubstr(line)) << line;
}

TEST(Config, BadFlagsSayWhatIsWrong) {
  EXPECT_THAT(parse({"--nope=1"}).error(), HasSubstr("unknown flag --nope"));
  EXPECT_THAT(parse({"stray"}).error(), HasSubstr("unknown argument \"stray\""));
  EXPECT_THAT(parse({"--threads"}).error(), HasSubstr("unknown argument"));
  EXPECT_THAT(parse({"--threads=0"}).error(), HasSubstr("--threads: must be a whole number"));
  EXPECT_THAT(parse({"--threads=x"}).error(), HasSubstr("--threads"));
  EXPECT_THAT(parse({"--gateway=ftp://x"}).error(), HasSubstr("not http or https"));
  EXPECT_THAT(parse({"--gateway=http://user:pw@x"}).error(), HasSubstr("credentials"));
  EXPECT_THAT(parse({"--gateway=not a url"}).error(), HasSubstr("--gateway: invalid URL"));
  EXPECT_THAT(parse({"--listen=8080"}).error(), HasSubstr("HOST:PORT"));
  EXPECT_THAT(parse({"--listen=x:99999"}).error(), HasSubstr("HOST:PORT"));
  EXPECT_THAT(parse({"--gateway-timeout=soon"}).error(), HasSubstr("not a duration"));
  EXPECT_THAT(parse({"--log-level=loud"}).error(), HasSubstr("--log-level"));
  for (const char* bad : {"--max-connections=0", "--max-connections=-1",
                          "--max-connections=1000001", "--max-connections=lots"})
    EXPECT_THAT(parse({bad}).error(), HasSubstr("--max-connections: must be a whole number"))
        << bad;
  EXPECT_THAT(parse({"--gateway-ca-file="}).error(), HasSubstr("--gateway-ca-file: must name"));
}

TEST(Config, TlsFlagsGoTogether) {
  EXPECT_FALSE(parse({})->config.tls.enabled());
  auto parsed = parse({"--tls-cert=/etc/ocipfs/chain.pem", "--tls-key=/etc/ocipfs/key.pem"});
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_TRUE(parsed->config.tls.enabled());
  EXPECT_EQ(parsed->config.tls.cert_file, "/etc/ocipfs/chain.pem");
  EXPECT_EQ(parsed->config.tls.key_file, "/etc/ocipfs/key.pem");
  for (const char* alone : {"--tls-cert=chain.pem", "--tls-key=key.pem"})
    EXPECT_THAT(parse({alone}).error(), HasSubstr("--tls-cert and --tls-key go together")) << alone;
  EXPECT_THAT(parse({"--tls-cert=", "--tls-key=k"}).error(), HasSubstr("--tls-cert: must name"));
  EXPECT_THAT(usage(), HasSubstr("--tls-cert=PEM"));
}

TEST(Config, Durations) {
  EXPECT_EQ(*parse_duration("30s"), std::chrono::seconds(30));
  EXPECT_EQ(*parse_duration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(*parse_duration("2m"), std::chrono::minutes(2));
  EXPECT_EQ(*parse_duration("5"), std::chrono::seconds(5));
  EXPECT_FALSE(parse_duration("0s"));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_FALSE(parse_duration("1h"));
  EXPECT_FALSE(parse_duration("99999999999999999999s"));
}

TEST(HttpUrl, ParsesAndResolves) {
  auto url = parse_http_url("HTTP://Example.COM:8080/a/b?c=d");
  ASSERT_TRUE(url) << url.error();
  EXPECT_EQ(url->host, "example.com");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->path, "/a/b?c=d");
  EXPECT_EQ(url->origin(), "http://example.com:8080");
  EXPECT_EQ(resolve_location(*url, "/x")->to_string(), "http://example.com:8080/x");
  EXPECT_EQ(resolve_location(*url, "https://other.example/y")->to_string(),
            "https://other.example/y");
  EXPECT_EQ(resolve_location(*url, "z")->to_string(), "http://example.com:8080/a/z");
  EXPECT_FALSE(resolve_location(*url, "file:///etc/passwd"));
  EXPECT_FALSE(parse_http_url("http://x#frag"));
  EXPECT_FALSE(parse_http_url("http:///path"));
  EXPECT_EQ(parse_http_url("http://[::1]:80/")->host, "::1");
}

TEST(HttpUrl, LocalHostsAreLoopbackLinkLocalOrUnspecified) {
  for (const char* local :
       {"localhost", "LocalHost.", "a.localhost", "127.0.0.1", "127.255.0.9", "::1",
        "169.254.169.254", "fe80::1", "0.0.0.0", "::", "::ffff:127.0.0.1", "::ffff:169.254.1.1"})
    EXPECT_TRUE(is_local_host(local)) << local;
  for (const char* remote : {"ipfs.io", "8.8.8.8", "10.0.0.1", "192.168.1.1", "2001:db8::1",
                             "::ffff:8.8.8.8", "localhost.example", "128.0.0.1", "169.255.0.1"})
    EXPECT_FALSE(is_local_host(remote)) << remote;
}

}  // namespace
}  // namespace ocipfs

namespace ocipfs {
namespace {
TEST(Config, FailureTtl) {
  using std::chrono::milliseconds;
  EXPECT_EQ(parse({})->config.cache.failure_ttl, std::chrono::seconds(5));
  EXPECT_EQ(parse({"--failure-ttl=0"})->config.cache.failure_ttl, milliseconds(0));
  EXPECT_EQ(parse({"--failure-ttl=1500ms"})->config.cache.failure_ttl, milliseconds(1500));
  EXPECT_EQ(parse({"--failure-ttl=5m"})->config.cache.failure_ttl, std::chrono::minutes(5));
  EXPECT_THAT(parse({"--failure-ttl=6m"}).error(), HasSubstr("at most 5m"));
  EXPECT_THAT(parse({"--failure-ttl=soon"}).error(), HasSubstr("--failure-ttl"));
}
}  // namespace
}  // namespace ocipfs

namespace ocipfs {
namespace {
TEST(Config, HedgeAfter) {
  using std::chrono::milliseconds;
  using Mode = HedgePolicy::Mode;
  auto hedge = [](std::vector<std::string> args) {
    return parse(std::move(args))->config.gateway.hedge;
  };
  EXPECT_EQ(hedge({}).mode, Mode::automatic);
  EXPECT_EQ(hedge({}).floor, milliseconds(100));
  EXPECT_EQ(hedge({}).ceiling, milliseconds(15'000));  // half the default 30s timeout
  EXPECT_EQ(hedge({"--gateway-timeout=2s"}).ceiling, milliseconds(1000));
  EXPECT_EQ(hedge({"--hedge-after=auto"}).mode, Mode::automatic);
  for (std::string off : {"off", "0", "0s", "0ms"})
    EXPECT_EQ(hedge({"--hedge-after=" + off}).mode, Mode::off) << off;
  auto fixed = hedge({"--hedge-after=250ms"});
  EXPECT_EQ(fixed.mode, Mode::fixed);
  EXPECT_EQ(fixed.after, milliseconds(250));
  EXPECT_EQ(hedge({"--hedge-after=2s"}).after, milliseconds(2000));
  for (std::string bad : {"-1s", "-100ms", "soon", "", "1h", "auto2"}) {
    auto parsed = parse({"--hedge-after=" + bad});
    ASSERT_FALSE(parsed) << bad;
    EXPECT_THAT(parsed.error(), HasSubstr("--hedge-after: "));
    EXPECT_THAT(parsed.error(), HasSubstr("is not auto, off (or 0) or a duration"));
  }
  auto too_late = parse({"--gateway-timeout=5s", "--hedge-after=5s"});
  ASSERT_FALSE(too_late);
  EXPECT_EQ(too_late.error(), "--hedge-after=5s must be shorter than --gateway-timeout (5s)");
  EXPECT_TRUE(parse({"--hedge-after=4999ms", "--gateway-timeout=5s"}));  // flags in any order
  EXPECT_THAT(usage(), HasSubstr("--hedge-after=DUR        with several gateways"));
}
}  // namespace
}  // namespace ocipfs
