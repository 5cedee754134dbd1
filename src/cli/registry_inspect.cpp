#include "registry_inspect.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <vector>

#include "cli.hpp"
#include "ocipfs/base/digest.hpp"
#include "ocipfs/base/run_blocking.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/http/client.hpp"
#include "ocipfs/image/image.hpp"
#include "ocipfs/image/json_fields.hpp"
#include "ocipfs/image/verbatim_image.hpp"

namespace ocipfs::cli {

namespace {

namespace asio = boost::asio;
using nlohmann::json;

constexpr std::size_t max_manifest_size = 4 * 1024 * 1024;
constexpr std::size_t max_config_size = 8 * 1024 * 1024;
constexpr std::size_t max_other_size = 64 * 1024;  // /v2/, a HEAD, an error
constexpr std::string_view manifest_accept =
    "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

bool is_index_type(std::string_view type) {
  return type == oci_index_media_type || type == docker_manifest_list_media_type;
}

bool is_manifest_type(std::string_view type) {
  return type == oci_manifest_media_type || type == docker_manifest_media_type;
}

// "404 MANIFEST_UNKNOWN: message" from an OCI error body, else the status and the body's start.
std::string answer_text(const HttpResponse& answer) {
  try {
    const json body = json_fields::parse_json(answer.body).value();
    const json& error = body.at("errors").at(0);
    return std::to_string(answer.status) + " " +
           printable(error.at("code").get<std::string>(), 60) + ": " +
           printable(error.value("message", std::string()), 300);
  } catch (const std::exception&) {  // no JSON (bad_expected_access), or not an error body
  }
  return std::to_string(answer.status) +
         (answer.body.empty() ? "" : ": " + printable(answer.body, 200));
}

// The registry at one origin, asked one request at a time on one client, so that the walk
// reuses its connection (and, over https, the trust store loaded once).
class Registry {
 public:
  Registry(HttpUrl origin, std::string name, std::chrono::milliseconds timeout)
      : origin_(std::move(origin)),
        name_(std::move(name)),
        timeout_(timeout),
        http_(context_.get_executor(), client_options()) {}

  const HttpUrl& origin() const { return origin_; }
  std::string target(const std::string& what) const { return "/v2/" + name_ + "/" + what; }

  // One request, within the timeout, its body within `limit`; no answer is a Failure.
  HttpResponse ask(std::string_view method, const std::string& target, std::string_view accept,
                   std::size_t limit) {
    HttpRequest request;
    request.method = method;
    request.target = target;
    request.accept = accept;
    request.deadline = std::chrono::steady_clock::now() + timeout_;
    request.step_timeout = timeout_;
    auto answer = run_blocking(context_, [&]() { return http_.request(origin_, request); });
    std::string what = std::string(method) + " " + origin_.origin() + target;
    if (answer) {
      if (answer->body.size() > limit) throw too_large(what, limit);
      return std::move(*answer);
    }
    const HttpError& error = answer.error();
    if (error.timed_out()) throw Failure{what + ": no answer within " + duration_text(timeout_)};
    if (error.too_large()) throw too_large(what, limit);
    throw Failure{what + ": " + (error.code ? error.code.message() : error.detail)};
  }

  // GET of a manifest; an answer other than 200 is a Failure with its code and message.
  HttpResponse manifest(const std::string& reference) {
    std::string path = target("manifests/" + reference);
    HttpResponse answer = ask("GET", path, manifest_accept, max_manifest_size);
    if (answer.status != 200)
      throw Failure{"registry " + origin_.origin() + " answered " + answer_text(answer) +
                    " to GET " + path};
    return answer;
  }

 private:
  // Bodies up to the largest limit are read; ask() holds each answer to its own.
  static HttpClientOptions client_options() {
    HttpClientOptions options;
    options.max_body_size = std::max({max_manifest_size, max_config_size, max_other_size});
    options.max_idle_per_origin = 1;
    options.user_agent = "ocipfs/" OCIPFS_VERSION;
    return options;
  }
  static Failure too_large(const std::string& what, std::size_t limit) {
    return Failure{what + ": the answer is over " + std::to_string(limit) + " bytes"};
  }

  HttpUrl origin_;
  std::string name_;
  std::chrono::milliseconds timeout_;
  asio::io_context context_;
  HttpClient http_;
};

// What inspecting found: the checks that failed, what was printed once.
struct Walk {
  Registry& registry;
  const Report& report;
  std::vector<std::string> problems;
  std::set<std::string> layers_seen;
  std::vector<std::string> platforms;

  void expect(bool ok, std::string problem) {
    if (!ok) problems.push_back(std::move(problem));
  }
};

// A manifest answer's body: its sha256 is its Docker-Content-Digest, and its media type the
// Content-Type; nullopt (a problem noted) when it is no JSON object.
std::optional<json> checked_manifest(Walk& walk, const HttpResponse& answer,
                                     const std::string& what) {
  std::string digest = sha256_digest(answer.body);
  std::string_view header = answer.field("Docker-Content-Digest");
  walk.expect(header == digest, what + ": Docker-Content-Digest is " + in_quotes(header, 80) +
                                    ", but the body's sha256 is " + digest);
  auto body = json_fields::parse_json(answer.body);
  if (!body || !body->is_object()) {
    walk.expect(false,
                what + ": the body is not a JSON object" + (body ? "" : ": " + body.error()));
    return std::nullopt;
  }
  std::string type = body->value("mediaType", std::string());
  std::string_view content_type = answer.field("Content-Type");
  walk.expect(type == content_type, what + ": its mediaType is " + in_quotes(type, 100) +
                                        " but its Content-Type " + in_quotes(content_type, 100));
  return std::move(*body);
}

// A descriptor's digest and size, as the answer has them.
void check_descriptor(Walk& walk, const json& descriptor, const HttpResponse& answer,
                      const std::string& what) {
  std::string digest = descriptor.value("digest", std::string());
  walk.expect(sha256_digest(answer.body) == digest,
              what + ": the body's sha256 is " + sha256_digest(answer.body) + ", not " + digest);
  walk.expect(descriptor.value("size", std::uint64_t{0}) == answer.body.size(),
              what + ": " + std::to_string(answer.body.size()) + " bytes, not the " +
                  std::to_string(descriptor.value("size", std::uint64_t{0})) +
                  " of its descriptor");
}

void check_config(Walk& walk, const json& manifest, const std::string& platform) {
  const json& descriptor = manifest.at("config");
  std::string digest = descriptor.at("digest").get<std::string>();
  std::string type = descriptor.value("mediaType", std::string());
  walk.expect(type == oci_config_media_type || type == docker_config_media_type,
              "the config of " + platform + " has the media type " + in_quotes(type, 100));
  std::string path = walk.registry.target("blobs/" + digest);
  HttpResponse answer = walk.registry.ask("GET", path, "", max_config_size);
  walk.report.item("config", digest + " (" + platform + ")", "configs",
                   {{"digest", digest}, {"platform", platform}});
  if (answer.status != 200) {
    walk.expect(false, "GET " + path + ": " + answer_text(answer));
    return;
  }
  check_descriptor(walk, descriptor, answer, "the config of " + platform);
  auto config = json_fields::parse_json(answer.body);
  std::size_t diff_ids = config && config->is_object() && config->contains("rootfs")
                             ? (*config)["rootfs"].value("diff_ids", json::array()).size()
                             : 0;
  walk.expect(diff_ids == manifest.at("layers").size(),
              "the config of " + platform + " has " + std::to_string(diff_ids) + " diff_ids for " +
                  std::to_string(manifest.at("layers").size()) + " layers");
}

// A layer blob: HEAD gives its size and digest, GET a redirect to where it is (not followed:
// no layer is downloaded).
void check_layer(Walk& walk, const json& descriptor, std::size_t number) {
  std::string digest = descriptor.at("digest").get<std::string>();
  std::uint64_t size = descriptor.value("size", std::uint64_t{0});
  walk.report.line("layer " + std::to_string(number),
                   digest + " (" + std::to_string(size) + " bytes)");
  json item = {{"digest", digest}, {"size", size}, {"location", nullptr}};
  std::string path = walk.registry.target("blobs/" + digest);
  HttpResponse head = walk.registry.ask("HEAD", path, "", max_other_size);
  walk.expect(head.status == 200 && head.field("Content-Length") == std::to_string(size) &&
                  head.field("Docker-Content-Digest") == digest,
              "HEAD " + path + " answered " + std::to_string(head.status) + " with " +
                  in_quotes(head.field("Content-Length"), 30) + " bytes and the digest " +
                  in_quotes(head.field("Docker-Content-Digest"), 80) + ", not 200 with " +
                  std::to_string(size) + " bytes and that digest");
  HttpResponse get = walk.registry.ask("GET", path, "", max_other_size);
  std::string_view location = get.field("Location");
  bool redirect = (get.status == 302 || get.status == 307) && !location.empty();
  walk.expect(redirect, "GET " + path + " answered " + std::to_string(get.status) +
                            ", not a redirect to the layer");
  if (redirect) {
    walk.report.line("layer URL", printable(location, 300) + " (the 302 for the layer blob)");
    item["location"] = printable(location, 300);
  }
  walk.report.json_item("layers", std::move(item));
}

// Each layer blob not seen yet.
void check_layers(Walk& walk, const json& manifest) {
  const json& layers = manifest.at("layers");
  for (std::size_t i = 0; i < layers.size(); ++i)
    if (walk.layers_seen.insert(layers[i].at("digest").get<std::string>()).second)
      check_layer(walk, layers[i], i + 1);
}

void inspect_manifest(Walk& walk, const HttpResponse& answer, const std::string& what,
                      const std::string& platform) {
  auto manifest = checked_manifest(walk, answer, what);
  if (!manifest) return;
  walk.expect(is_manifest_type(answer.field("Content-Type")),
              what + ": the Content-Type " + in_quotes(answer.field("Content-Type"), 100) +
                  " is no manifest's");
  walk.report.item("manifest", sha256_digest(answer.body) + " (" + platform + ")", "manifests",
                   {{"digest", sha256_digest(answer.body)}, {"platform", platform}});
  try {
    check_config(walk, *manifest, platform);
    check_layers(walk, *manifest);
  } catch (const json::exception&) {
    walk.expect(false, what + ": a config or a layer descriptor without a digest");
  }
}

std::string platform_of(const json& descriptor) {
  const json platform = descriptor.value("platform", json::object());
  std::string text = platform.value("os", std::string("?")) + "/" +
                     platform.value("architecture", std::string("?"));
  std::string variant = platform.value("variant", std::string());
  return variant.empty() ? text : text + "/" + variant;
}

void inspect_index(Walk& walk, const HttpResponse& answer, const std::string& what) {
  auto index = checked_manifest(walk, answer, what);
  if (!index) return;
  walk.report.line("index", sha256_digest(answer.body), {{"index", sha256_digest(answer.body)}});
  const json manifests = index->value("manifests", json::array());
  walk.expect(!manifests.empty(), what + ": the index names no manifest");
  for (const json& descriptor : manifests) {
    std::string digest = descriptor.value("digest", std::string());
    std::string platform = platform_of(descriptor);
    walk.platforms.push_back(platform);
    HttpResponse manifest = walk.registry.manifest(digest);
    std::string named = "the manifest of " + platform;
    check_descriptor(walk, descriptor, manifest, named);
    walk.expect(descriptor.value("mediaType", std::string()) == manifest.field("Content-Type"),
                named + ": the index gives it the media type " +
                    in_quotes(descriptor.value("mediaType", std::string()), 100) +
                    ", the registry " + in_quotes(manifest.field("Content-Type"), 100));
    inspect_manifest(walk, manifest, named, platform);
  }
}

}  // namespace

HttpUrl registry_origin(const std::string& host) {
  auto url = parse_http_url("http://" + host + "/");
  if (!url || url->path != "/" || host.find('/') != std::string::npos)
    throw UsageError{in_quotes(host, 100) + " is not a registry host (HOST or HOST:PORT)"};
  if (is_local_host(url->host)) return *url;
  auto secure = parse_http_url("https://" + host + "/");
  if (!secure) throw UsageError{in_quotes(host, 100) + ": " + secure.error()};
  return *secure;
}

int inspect_registry(const RegistryReference& ref, std::chrono::milliseconds timeout,
                     const Report& report) {
  Registry registry(registry_origin(ref.host), ref.name, timeout);
  bool by_digest = ref.reference.starts_with("sha256:");
  std::string reference = ref.host + "/" + ref.name + (by_digest ? "@" : ":") + ref.reference;
  report.line("reference", reference, {{"reference", reference}});
  report.line("asked", "registry " + registry.origin().origin(),
              {{"asked", "registry"}, {"registry", registry.origin().origin()}});
  HttpResponse base = registry.ask("GET", "/v2/", "", max_other_size);
  if (base.status != 200)
    throw Failure{"registry " + registry.origin().origin() + " answered " + answer_text(base) +
                  " to GET /v2/"};
  Walk walk{registry, report, {}, {}, {}};
  HttpResponse top = registry.manifest(ref.reference);
  std::string what = "the manifest " + ref.reference;
  if (by_digest)
    walk.expect(sha256_digest(top.body) == ref.reference,
                what + ": the body's sha256 is " + sha256_digest(top.body));
  try {
    if (is_index_type(top.field("Content-Type"))) {
      inspect_index(walk, top, what);
    } else {
      inspect_manifest(walk, top, what, "no index");
    }
  } catch (const json::exception& error) {
    walk.expect(false, what + ": a descriptor of the wrong shape (" + error.what() + ")");
  }
  if (!walk.platforms.empty())
    report.line("platforms", joined(walk.platforms), {{"platforms", walk.platforms}});
  for (const auto& problem : walk.problems) report.line("PROBLEM", problem);
  report.line("checks",
              walk.problems.empty() ? std::string("every answer is what a client expects")
                                    : std::to_string(walk.problems.size()) + " failed",
              {{"problems", walk.problems}});
  report.finish();
  return walk.problems.empty() ? 0 : 1;
}

}  // namespace ocipfs::cli
