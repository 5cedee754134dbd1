#include "ocipfs/server/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
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
  EXPECT_FALSE(config.gateway.client.only_if_cached);
}

TEST(Config, PublicHost) {
  EXPECT_EQ(parse({})->config.pages.public_host, "");
  EXPECT_EQ(parse({"--public-host=ocipfs.io"})->config.pages.public_host, "ocipfs.io");
  EXPECT_EQ(parse({"--public-host=[::1]:5000"})->config.pages.public_host, "[::1]:5000");
  EXPECT_EQ(parse({}, {{"OCIPFSD_PUBLIC_HOST", "ocipfs.io"}})->config.pages.public_host,
            "ocipfs.io");
  EXPECT_FALSE(parse({}, {{"OCIPFSD_PUBLIC_HOST", "<b>"}}));
  for (std::string bad : {"--public-host=", "--public-host=a b", "--public-host=<b>",
                          "--public-host=https://ocipfs.io", "--public-host=host:99999999"}) {
    auto parsed = parse({bad});
    ASSERT_FALSE(parsed) << bad;
    EXPECT_THAT(parsed.error(), HasSubstr("--public-host")) << bad;
  }
  EXPECT_THAT(usage(), HasSubstr("--public-host=HOST "));
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
  EXPECT_TRUE(parse({"--only-if-cached"})->config.gateway.client.only_if_cached);
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

namespace ocipfs {
namespace {
// Every flag but --help and --version, set only by its twin, each to a value other than its
// default.
TEST(Config, EveryFlagHasAnEnvironmentTwin) {
  auto parsed = parse({}, {{"OCIPFSD_GATEWAY", "http://a.example, https://b.example/x"},
                           {"OCIPFSD_REDIRECT_GATEWAY", "https://{cid}.ipfs.dweb.link"},
                           {"OCIPFSD_VERIFY", "off"},
                           {"OCIPFSD_LISTEN", "127.0.0.1:7001"},
                           {"OCIPFSD_TLS_CERT", "/etc/ocipfs/chain.pem"},
                           {"OCIPFSD_TLS_KEY", "/etc/ocipfs/key.pem"},
                           {"OCIPFSD_THREADS", "3"},
                           {"OCIPFSD_GATEWAY_TIMEOUT", "20s"},
                           {"OCIPFSD_HEDGE_AFTER", "250ms"},
                           {"OCIPFSD_IDLE_TIMEOUT", "61s"},
                           {"OCIPFSD_REQUEST_TIMEOUT", "31s"},
                           {"OCIPFSD_SHUTDOWN_GRACE", "8s"},
                           {"OCIPFSD_CACHE_SIZE", "192MiB"},
                           {"OCIPFSD_DOCUMENT_MEMORY", "64MiB"},
                           {"OCIPFSD_FAILURE_TTL", "0"},
                           {"OCIPFSD_MAX_CONNECTIONS", "100"},
                           {"OCIPFSD_MAX_GATEWAY_FETCHES", "7"},
                           {"OCIPFSD_GATEWAY_CA_FILE", "/etc/private-ca.pem"},
                           {"OCIPFSD_ONLY_IF_CACHED", "1"},
                           {"OCIPFSD_READY_CHECK", "true"},
                           {"OCIPFSD_LOG_FORMAT", "json"},
                           {"OCIPFSD_LOG_LEVEL", "debug"}});
  ASSERT_TRUE(parsed) << parsed.error();
  const Config& config = parsed->config;
  EXPECT_EQ(parsed->command, Command::run);
  ASSERT_EQ(config.gateway.urls.size(), 2u);
  EXPECT_EQ(config.gateway.urls[0].to_string(), "http://a.example/");
  EXPECT_EQ(config.gateway.urls[1].to_string(), "https://b.example/x");
  EXPECT_EQ(config.gateway.redirect.to_string(), "https://{cid}.ipfs.dweb.link");
  EXPECT_FALSE(config.gateway.verify);
  EXPECT_EQ(config.listen.host, "127.0.0.1");
  EXPECT_EQ(config.listen.port, 7001);
  EXPECT_EQ(config.tls.cert_file, "/etc/ocipfs/chain.pem");
  EXPECT_EQ(config.tls.key_file, "/etc/ocipfs/key.pem");
  EXPECT_EQ(config.listen.threads, 3u);
  EXPECT_EQ(config.gateway.client.timeout, std::chrono::seconds(20));
  EXPECT_EQ(config.gateway.hedge.mode, HedgePolicy::Mode::fixed);
  EXPECT_EQ(config.gateway.hedge.after, std::chrono::milliseconds(250));
  EXPECT_EQ(config.gateway.hedge.ceiling, std::chrono::seconds(10));
  EXPECT_EQ(config.limits.idle_timeout, std::chrono::seconds(61));
  EXPECT_EQ(config.limits.request_timeout, std::chrono::seconds(31));
  EXPECT_EQ(config.limits.shutdown_grace, std::chrono::seconds(8));
  EXPECT_EQ(config.cache.bytes, 192u << 20);
  EXPECT_EQ(config.cache.document_memory, 64u << 20);
  EXPECT_EQ(config.cache.failure_ttl, std::chrono::milliseconds(0));
  EXPECT_EQ(config.limits.max_connections, 100u);
  EXPECT_EQ(config.gateway.max_fetches, 7u);
  EXPECT_EQ(config.gateway.client.ca_file, "/etc/private-ca.pem");
  EXPECT_TRUE(config.gateway.client.only_if_cached);
  EXPECT_TRUE(config.ready.check);
  EXPECT_TRUE(config.log.json);
  EXPECT_EQ(config.log.level, "debug");
}

TEST(Config, TheCommandLineWinsOverTheEnvironment) {
  std::map<std::string, std::string> env = {
      {"OCIPFSD_GATEWAY", "http://a.example,http://b.example"},
      {"OCIPFSD_THREADS", "3"},
      {"OCIPFSD_LISTEN", "127.0.0.1:7001"},
      {"PORT", "9090"}};
  auto parsed = parse({"--gateway=http://c.example", "--threads=5"}, env);
  ASSERT_TRUE(parsed) << parsed.error();
  // A list from the command line replaces the twin's, it is not added to it.
  ASSERT_EQ(parsed->config.gateway.urls.size(), 1u);
  EXPECT_EQ(parsed->config.gateway.urls[0].origin(), "http://c.example");
  EXPECT_EQ(parsed->config.gateway.redirect.url.origin(), "http://c.example");
  EXPECT_EQ(parsed->config.listen.threads, 5u);
  EXPECT_EQ(parsed->config.listen.port, 7001);  // OCIPFSD_LISTEN wins over $PORT
  EXPECT_EQ(parse({"--listen=127.0.0.1:0"}, env)->config.listen.port, 0);
  // The redirect gateway follows the first gateway of the twin's list too.
  EXPECT_EQ(parse({}, env)->config.gateway.redirect.url.origin(), "http://a.example");
  EXPECT_EQ(parse({}, {{"OCIPFSD_REDIRECT_GATEWAY", "https://r.example"}})
                ->config.gateway.redirect.url.origin(),
            "https://r.example");
  // Twins combine with each other and with flags in any order.
  EXPECT_TRUE(parse({"--hedge-after=4s"}, {{"OCIPFSD_GATEWAY_TIMEOUT", "5s"}}));
  EXPECT_EQ(parse({"--hedge-after=5s"}, {{"OCIPFSD_GATEWAY_TIMEOUT", "5s"}}).error(),
            "--hedge-after=5s must be shorter than --gateway-timeout (5s)");
}

TEST(Config, SwitchesListsAndEmptyTwins) {
  for (const char* on : {"true", "1"})
    EXPECT_TRUE(parse({}, {{"OCIPFSD_READY_CHECK", on}})->config.ready.check) << on;
  for (const char* off : {"false", "0", ""})
    EXPECT_FALSE(parse({}, {{"OCIPFSD_READY_CHECK", off}})->config.ready.check) << off;
  EXPECT_TRUE(parse({"--ready-check"}, {{"OCIPFSD_READY_CHECK", "false"}})->config.ready.check);
  // An empty variable counts as unset.
  EXPECT_EQ(parse({}, {{"OCIPFSD_GATEWAY", ""}})->config.gateway.urls[0].to_string(),
            "https://ipfs.io/");
  EXPECT_EQ(parse({}, {{"OCIPFSD_GATEWAY", "http://one.example"}})->config.gateway.urls.size(), 1u);
  std::string seventeen;
  for (int i = 0; i < 17; ++i) seventeen += "http://g" + std::to_string(i) + ".example,";
  seventeen.pop_back();
  EXPECT_EQ(parse({}, {{"OCIPFSD_GATEWAY", seventeen}}).error(),
            "OCIPFSD_GATEWAY: at most 16 gateways");
  // --help and --version have no twins, and a bad twin does not stop --help.
  EXPECT_EQ(parse({}, {{"OCIPFSD_HELP", "true"}, {"OCIPFSD_VERSION", "1"}})->command, Command::run);
  EXPECT_EQ(parse({"--help"}, {{"OCIPFSD_THREADS", "none"}})->command, Command::help);
}

TEST(Config, AMalformedTwinNamesTheVariable) {
  auto error = [](std::string name, std::string value) {
    auto parsed = parse({}, {{name, value}});
    return parsed ? std::string("accepted") : parsed.error();
  };
  EXPECT_EQ(error("OCIPFSD_GATEWAY_TIMEOUT", "soon"),
            "OCIPFSD_GATEWAY_TIMEOUT: \"soon\" is not a duration like 30s, 500ms or 2m (at most a "
            "day)");
  EXPECT_EQ(parse({"--gateway-timeout=soon"}).error(),
            "--gateway-timeout: \"soon\" is not a duration like 30s, 500ms or 2m (at most a day)");
  EXPECT_EQ(error("OCIPFSD_THREADS", "0"), "OCIPFSD_THREADS: must be a whole number from 1 to 256");
  EXPECT_EQ(error("OCIPFSD_READY_CHECK", "yes"),
            "OCIPFSD_READY_CHECK: must be true, false, 1 or 0");
  EXPECT_EQ(error("OCIPFSD_VERIFY", "maybe"), "OCIPFSD_VERIFY: must be strict or off");
  EXPECT_THAT(error("OCIPFSD_LISTEN", "8080"), HasSubstr("OCIPFSD_LISTEN: must be HOST:PORT"));
  EXPECT_THAT(error("OCIPFSD_GATEWAY", "http://a.example,ftp://b"), HasSubstr("OCIPFSD_GATEWAY: "));
  EXPECT_THAT(error("OCIPFSD_GATEWAY", "http://a.example,"), HasSubstr("OCIPFSD_GATEWAY: "));
  EXPECT_THAT(error("OCIPFSD_LOG_LEVEL", "loud"), HasSubstr("OCIPFSD_LOG_LEVEL: must be one of"));
}

// Each flag's twin is shown under it in --help.
TEST(Config, HelpShowsEachTwin) {
  std::string help = usage();
  for (const char* twin :
       {"  --gateway=URL            IPFS HTTP gateway",
        "Default: https://ipfs.io\n                           $OCIPFSD_GATEWAY, a comma-separated "
        "list\n",
        "Default: 30s\n                           $OCIPFSD_GATEWAY_TIMEOUT\n",
        "in the last 5 min\n                           $OCIPFSD_READY_CHECK=true|false (or 1|0)\n",
        "open-file limit is low\n                           $OCIPFSD_MAX_GATEWAY_FETCHES\n",
        "$OCIPFSD_LISTEN over $PORT"})
    EXPECT_THAT(help, HasSubstr(twin)) << twin;
  EXPECT_THAT(help, Not(HasSubstr("OCIPFSD_HELP")));
  EXPECT_THAT(help, Not(HasSubstr("OCIPFSD_VERSION")));
  // Every flag line that takes a value is followed by its twin, after its wrapped help lines.
  std::size_t flags_seen = 0;
  for (std::size_t at = help.find("\n  --"); at != std::string::npos;
       at = help.find("\n  --", at + 1)) {
    std::string name = help.substr(at + 5, help.find_first_of("= ", at + 5) - at - 5);
    if (name == "help" || name == "version") continue;
    std::string twin = "OCIPFSD_" + name;
    std::transform(twin.begin(), twin.end(), twin.begin(),
                   [](char c) { return c == '-' ? '_' : static_cast<char>(std::toupper(c)); });
    auto next = help.find("\n  --", at + 1);
    EXPECT_NE(help.substr(at, next - at).find("$" + twin), std::string::npos) << name;
    ++flags_seen;
  }
  EXPECT_GE(flags_seen, 19u);
}
TEST(Config, TrustlessGatewayMarker) {
  auto flags = parse({"--gateway=http://a.example,trustless", "--gateway=http://b.example"});
  ASSERT_TRUE(flags) << flags.error();
  ASSERT_EQ(flags->config.gateway.urls.size(), 2u);
  EXPECT_EQ(flags->config.gateway.urls[0].to_string(), "http://a.example/");
  EXPECT_EQ(flags->config.gateway.trustless, (std::vector<bool>{true, false}));
  auto twin = parse({}, {{"OCIPFSD_GATEWAY", "http://a.example, http://b.example,trustless"}});
  ASSERT_TRUE(twin) << twin.error();
  EXPECT_EQ(twin->config.gateway.urls[1].to_string(), "http://b.example/");
  EXPECT_EQ(twin->config.gateway.trustless, (std::vector<bool>{false, true}));
  EXPECT_EQ(parse({})->config.gateway.trustless, (std::vector<bool>{false}));
  auto first = parse({}, {{"OCIPFSD_GATEWAY", "trustless,http://a.example"}});
  ASSERT_FALSE(first);
  EXPECT_THAT(first.error(), HasSubstr("OCIPFSD_GATEWAY: trustless marks the gateway before it"));
  auto unknown = parse({}, {{"OCIPFSD_GATEWAY", "http://a.example,trusted"}});
  ASSERT_FALSE(unknown);
  EXPECT_THAT(unknown.error(), HasSubstr("\"trusted\" is neither a URL nor a marker (trustless"));
  EXPECT_THAT(parse({"--gateway=http://a.example,fast"}).error(),
              HasSubstr("--gateway: \"fast\" is neither a URL nor a marker"));
  EXPECT_THAT(usage(), HasSubstr("URL,trustless"));
}

TEST(Config, TrustlessFirstGatewayIsNoRedirectTarget) {
  // Clients cannot be sent to it: layers go through ocipfsd by default.
  auto proxied = parse({"--gateway=http://a.example,trustless", "--gateway=http://b.example"});
  ASSERT_TRUE(proxied) << proxied.error();
  EXPECT_EQ(proxied->config.gateway.blobs, BlobMode::proxy);
  auto second = parse({"--gateway=http://a.example", "--gateway=http://b.example,trustless"});
  EXPECT_EQ(second->config.gateway.blobs, BlobMode::redirect);
  auto elsewhere = parse({"--gateway=http://a.example,trustless", "--blobs=redirect",
                          "--redirect-gateway=https://dweb.example"});
  ASSERT_TRUE(elsewhere) << elsewhere.error();
  EXPECT_EQ(elsewhere->config.gateway.blobs, BlobMode::redirect);
  EXPECT_EQ(elsewhere->config.gateway.redirect.url.origin(), "https://dweb.example");
  auto refused = parse({"--gateway=http://a.example,trustless", "--blobs=redirect"});
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error(), HasSubstr("http://a.example, which is trustless"));
  EXPECT_THAT(refused.error(), HasSubstr("set --redirect-gateway"));
  EXPECT_THAT(refused.error(), HasSubstr("or --blobs=proxy"));
  EXPECT_FALSE(parse(
      {}, {{"OCIPFSD_GATEWAY", "http://a.example,trustless"}, {"OCIPFSD_BLOBS", "redirect"}}));
}
}  // namespace
}  // namespace ocipfs
