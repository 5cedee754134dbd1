// ocipfs inspect: what ocipfsd would serve for a reference (a layer or an image), with ocipfsd's
// own code.
#include <cstdio>

#include "cli.hpp"
#include "ocipfs/base/run_blocking.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/cache/caching_resolver.hpp"
#include "ocipfs/cache/resolver.hpp"
#include "ocipfs/gateway/client.hpp"
#include "ocipfs/gateway/fetcher.hpp"
#include "ocipfs/gateway/health.hpp"
#include "ocipfs/http/route.hpp"
#include "ocipfs/http/url.hpp"
#include "ocipfs/image/image_document.hpp"
#include "ocipfs/publish/layer_platforms.hpp"
#include "ocipfs/registry/redirect.hpp"
#include "ocipfs/server/config.hpp"
#include "registry_inspect.hpp"
#include "report.hpp"

namespace ocipfs::cli {

namespace {

struct Reference {
  std::string registry;   // as written, or --registry for a bare CID or a NAME without a host
  Repository repository;  // what the reference names
  std::string name;       // layer/<CID> or image/<CID> as written; empty for a bare CID
  std::string reference;  // a tag or a digest; empty when none was given
  bool bare = false;      // a bare CID: its document says whether it is a layer or an image
  bool host = false;      // the reference names a registry host: the registry is asked
};

Failure would_answer(const RegistryError& error) {
  return Failure{"ocipfsd would answer " + std::to_string(error.status) + " " +
                 std::string(code_name(error.code)) + ": " + error.message};
}

// HOST/NAME[:TAG|@DIGEST], NAME[:TAG|@DIGEST] when NAME starts with layer/ or image/, or a bare
// CID.
Reference parse_reference(const Args& args) {
  const std::string& text = args.positional.front();
  Reference out;
  auto slash = text.find('/');
  if (slash == std::string::npos) {
    auto cid = parse_cid(text);
    if (!cid)
      throw UsageError{
          in_quotes(text, 100) +
          " is neither HOST/layer/<CID>[:TAG], HOST/image/<CID>[:TAG] nor a CID: " + cid.error()};
    out.registry = registry_of(args);
    out.repository = {DocumentKind::layer, std::move(*cid), ""};
    out.bare = true;
    return out;
  }
  out.host = !text.starts_with("layer/") && !text.starts_with("image/");
  if (out.host && args.registry)
    throw UsageError{
        "--registry is for a CID or a NAME asked of the gateways; the reference "
        "names a host"};
  out.registry = out.host ? text.substr(0, slash) : registry_of(args);
  std::string rest = out.host ? text.substr(slash + 1) : text;
  std::string name = rest;
  if (auto at = rest.find('@'); at != std::string::npos) {
    name = rest.substr(0, at);
    out.reference = rest.substr(at + 1);
  } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    name = rest.substr(0, colon);
    out.reference = rest.substr(colon + 1);
  }
  // The same routing code as ocipfsd, on the request a client would send.
  auto route = parse_route("/v2/" + name + "/manifests/" +
                           (out.reference.empty() ? std::string("latest") : out.reference));
  if (!route) throw would_answer(route.error().error);
  out.repository = std::move(route->repository);
  out.name = name;
  if (out.host && (!args.gateways.empty() || args.verify))
    throw UsageError{
        "--gateway and --verify are for a CID or a NAME asked of the gateways; "
        "HOST/NAME asks the registry at HOST"};
  return out;
}

std::vector<HttpUrl> gateways_of(const Args& args) {
  std::vector<HttpUrl> gateways;
  std::vector<std::string> texts = args.gateways;
  if (texts.empty())
    texts.push_back(environment("IPFS_GATEWAY").value_or(std::string(default_gateway)));
  for (const auto& text : texts) {
    auto url = parse_http_url(text);
    if (!url) throw UsageError{"--gateway: " + url.error()};
    gateways.push_back(std::move(*url));
  }
  return gateways;
}

bool verify_of(const Args& args) {
  if (!args.verify) return true;
  if (*args.verify != "strict" && *args.verify != "off")
    throw UsageError{"--verify must be strict or off"};
  return *args.verify == "strict";
}

struct Inspection {
  Content content;  // the named document's bytes
  Resolution resolution;
};

// True when a document declares itself an image document, composed or verbatim.
bool is_image_text(const std::string& content) {
  std::string declared = declared_media_type(content);
  return declared == image_document_media_type || declared == verbatim_image_media_type;
}

// An image a resolver hands out gives its document memory back to the resolver's ResolverShared
// when it goes; one that outlives it goes out as a copy of its own.
Resolution own_copy(Resolution resolution) {
  if (!resolution) return resolution;
  return ImagePtr(std::make_shared<const Image>(**resolution));
}

// A source that has one document at hand: the one inspected, fetched already.
class KnownFirst final : public ContentSource {
 public:
  KnownFirst(ContentSource& source, const Cid& cid, const std::string& bytes)
      : source_(source), cid_(cid), bytes_(bytes) {}
  boost::asio::awaitable<Content> fetch(const Cid& cid, DocumentKind kind) override {
    if (cid.v1_bytes() == cid_.v1_bytes()) co_return bytes_;
    co_return co_await source_.fetch(cid, kind);
  }

 private:
  ContentSource& source_;
  const Cid& cid_;
  const std::string& bytes_;
};

// What ocipfsd would resolve, with its own fetcher and resolver. A bare CID is read as an image
// when its document says it is one.
boost::asio::awaitable<Inspection> resolve_reference(Reference& ref,
                                                     const std::vector<HttpUrl>& gateways,
                                                     bool verify, GatewayClientOptions options) {
  auto executor = co_await boost::asio::this_coro::executor;
  GatewayClient client(executor, options);
  GatewayHealth health(gateways.size());
  GatewayFetcher fetcher(client, gateways, health, verify);
  Content content = co_await fetcher.fetch(ref.repository.cid, ref.repository.kind);
  if (!content) co_return Inspection{content, Unexpected{content.error()}};
  if (ref.bare && is_image_text(*content)) ref.repository.kind = DocumentKind::image;
  KnownFirst source(fetcher, ref.repository.cid, *content);
  ResolverShared shared(64 << 20);
  CachingResolver resolver(executor, source, shared, options.timeout * 8);
  Resolution resolution = co_await resolver.resolve(ref.repository);
  co_return Inspection{std::move(content), own_copy(std::move(resolution))};
}

Inspection inspect(Reference& ref, const std::vector<HttpUrl>& gateways, bool verify,
                   std::chrono::milliseconds timeout) {
  GatewayClientOptions options;
  options.timeout = timeout;
  options.user_agent = "ocipfs/" OCIPFS_VERSION;
  return run_blocking([&] { return resolve_reference(ref, gateways, verify, options); });
}

// The document named: its kind, CID and size, whether it was verified, and where it was read.
void print_document(const Report& report, const std::string& reference, const std::string& tag,
                    DocumentKind kind, const Image& image, const std::string& content, bool verify,
                    const std::vector<HttpUrl>& gateways) {
  report.line("reference", reference, {{"reference", reference}, {"tag", tag}});
  std::vector<std::string> urls;
  for (const auto& gateway : gateways) urls.push_back(gateway.to_string());
  report.line("asked", (urls.size() == 1 ? "gateway " : "gateways ") + joined(urls),
              {{"asked", "gateway"}, {"gateways", urls}});
  report.line(document_noun(kind),
              std::string(image.cid()) + " (" + std::to_string(content.size()) + " bytes, " +
                  (verify ? "verified against the CID" : "NOT verified: --verify=off") + ")",
              {{"kind", kind == DocumentKind::image ? "image" : "layer"},
               {"cid", image.cid()},
               {"document_size", content.size()},
               {"verified", verify},
               {"gateway", gateways.front().to_string()}});
}

void print_layers(const Report& report, const Image& image, const HttpUrl& gateway) {
  for (std::size_t i = 0; i < image.layers().size(); ++i) {
    const LayerManifest layer = image.layer_manifest(i);
    const std::string manifest(image.layer_manifest_cid(i));  // empty for a kept image's layer
    std::string url = layer_location(RedirectGateway{gateway, false, {}}, layer.path);
    report.json_item("layers", {{"layer_manifest", manifest},
                                {"ipfs_path", layer.ipfs_path},
                                {"media_type", layer.media_type},
                                {"digest", layer.digest},
                                {"size", layer.size},
                                {"diff_id", layer.diff_id},
                                {"url", url}});
    if (image.layers().size() > 1 || manifest != image.cid())
      report.line("layer " + std::to_string(i + 1), manifest.empty() ? layer.digest : manifest);
    report.line("ipfs path", layer.ipfs_path);
    report.line("layer", layer.media_type);
    report.line("layer digest", layer.digest + " (" + std::to_string(layer.size) + " bytes)");
    // An imported image's layers have none here: its config, kept as it is, holds its diff_ids.
    if (!layer.diff_id.empty()) report.line("diff_id", layer.diff_id);
    report.line("layer URL", url + " (the 302 for the layer blob)");
  }
}

void print_platforms(const Report& report, const Image& image) {
  if (const Document* index = image.index()) {
    std::string digest = sha256_digest_text(index->digest);
    report.line("index", digest, {{"index", digest}});
  }
  std::span<const Platform> all = image.platforms();
  std::size_t amd64 = 0;
  for (std::size_t i = 0; i < all.size(); ++i)
    if (all[i].os == "linux" && all[i].architecture == "amd64") amd64 = i;
  std::string which = " (" + platform_text(all[amd64]) + ")";
  std::string manifest = sha256_digest_text(image.manifest_of(amd64).digest);
  std::string config = sha256_digest_text(image.config_of(amd64).digest);
  report.line("manifest", manifest + which,
              {{"manifest", manifest}, {"manifest_platform", platform_text(all[amd64])}});
  report.line("config", config + which, {{"config", config}});
  report.line("tags", joined(image.tags()), {{"tags", image.tags()}});
  std::vector<std::string> platforms;
  nlohmann::json manifests = nlohmann::json::array();
  for (std::size_t i = 0; i < all.size(); ++i) {
    platforms.push_back(platform_text(all[i]));
    manifests.push_back({{"platform", platforms.back()},
                         {"manifest", sha256_digest_text(image.manifest_of(i).digest)},
                         {"config", sha256_digest_text(image.config_of(i).digest)}});
  }
  report.line("platforms", joined(platforms), {{"platforms", platforms}, {"manifests", manifests}});
}

// The platform the image declares, and, for one that `ocipfs compose` read from an executable,
// which file: "linux/amd64 (read from layer 1: bin/busybox)".
std::string platform_line(const Image& image, const std::string& content) {
  if (image.platforms().size() != 1) return "none declared: every default platform is offered";
  std::string line = platform_text(image.platforms().front());
  if (!declares_image_document(content)) return line;
  auto document = parse_image_document(content);
  if (!document) return line;
  auto source = document->annotations.find(std::string(platform_source_annotation));
  if (source == document->annotations.end()) return line + " (declared)";
  return line + " (read from " + printable(source->second, 200) + ")";
}

// The tag to print: the one asked for, else the image's own (the document's tag or the layer's
// file name), else latest.
std::string tag_of(const Reference& ref, const Image& image) {
  if (!ref.reference.empty()) return ref.reference;
  return std::string(image.own_tag());
}

// The reference must name something ocipfsd serves: a tag of the image, or one of its manifests.
void check_served(const Reference& ref, const Image& image) {
  if (ref.reference.empty()) return;
  bool served = ref.reference.starts_with("sha256:") ? image.find_manifest(ref.reference) != nullptr
                                                     : image.has_tag(ref.reference);
  if (!served)
    throw Failure{"ocipfsd would answer 404 MANIFEST_UNKNOWN for " + in_quotes(ref.reference) +
                  ": the image has the tags " + joined(image.tags()) +
                  " and the manifests of the index"};
}

}  // namespace

int run_inspect(const Args& args) {
  Reference ref = parse_reference(args);
  if (ref.host)
    return inspect_registry(
        {ref.registry, ref.name, ref.reference.empty() ? "latest" : ref.reference},
        timeout_of(args, std::chrono::seconds(30)), Report(args));
  std::vector<HttpUrl> gateways = gateways_of(args);
  bool verify = verify_of(args);
  if (args.gateways.empty() && !environment("IPFS_GATEWAY"))
    std::fprintf(stderr, "ocipfs inspect: asking %s (no --gateway=URL or $IPFS_GATEWAY)\n",
                 std::string(default_gateway).c_str());
  Inspection found = inspect(ref, gateways, verify, timeout_of(args, std::chrono::seconds(30)));
  if (!found.resolution) throw would_answer(found.resolution.error());
  const Image& image = **found.resolution;
  const bool is_image = ref.repository.kind == DocumentKind::image;

  std::string tag = tag_of(ref, image);
  std::string name = (is_image ? "image/" : "layer/") + std::string(image.cid());
  std::string reference = ref.registry + (ref.registry.empty() ? "" : "/") + name +
                          (tag.starts_with("sha256:") ? "@" : ":") + tag;
  Report report(args);
  print_document(report, reference, tag, ref.repository.kind, image, found.content.value(), verify,
                 gateways);
  print_layers(report, image, gateways.front());
  print_platforms(report, image);
  nlohmann::json declared = nullptr;
  if (image.platforms().size() == 1) declared = platform_text(image.platforms().front());
  report.line("platform", platform_line(image, found.content.value()), {{"platform", declared}});
  check_served(ref, image);
  if (!ref.registry.empty() && !is_image)
    report.paste("copy_from", "COPY --from=" + reference + " / /");
  if (!ref.registry.empty() && is_image) {
    report.paste("from", "FROM " + reference);
    report.paste("docker_run", "docker run " + reference);
  }
  report.finish();
  return 0;
}

}  // namespace ocipfs::cli
