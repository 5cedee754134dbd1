// Fuzzes the layer manifest parser and validator (image/layer_manifest.hpp), the image synthesized
// from it (image/image.hpp, build_image in cache/resolver.hpp), layer redirects
// (registry/redirect.hpp) and the proofs that bytes are what a CID names (formats/verify.hpp). The
// input is the layer manifest's bytes.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "ocipfs/base/digest.hpp"
#include "ocipfs/cache/resolver.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/formats/dag_pb.hpp"
#include "ocipfs/formats/recognize.hpp"
#include "ocipfs/formats/verify.hpp"
#include "ocipfs/http/url.hpp"
#include "ocipfs/image/image.hpp"
#include "ocipfs/image/layer_manifest.hpp"
#include "ocipfs/registry/redirect.hpp"
#include "support/rendered_image.hpp"

namespace {

using namespace ocipfs;
using nlohmann::json;

Cid sha256_cid(std::uint64_t codec, std::string_view bytes) {
  auto hash = sha256(bytes);
  return {1, codec, multihash::sha2_256,
          std::string(reinterpret_cast<const char*>(hash.data()), hash.size())};
}

// The platform grammar restated independently of the validator: 1 to 32 of [a-z0-9_.-].
bool is_platform_word(std::string_view word) {
  return !word.empty() && word.size() <= 32 &&
         word.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_.-") ==
             std::string_view::npos;
}

// Every byte of a Location is one a URL may carry as it is.
bool is_url_safe(std::string_view text) {
  for (unsigned char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("-._~%/:").find(static_cast<char>(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

void check_layer(const LayerManifest& layer) {
  FUZZ_CHECK(is_layer_media_type(layer.media_type));
  FUZZ_CHECK(is_sha256_digest(layer.digest));
  FUZZ_CHECK(is_sha256_digest(layer.diff_id));
  FUZZ_CHECK(layer.size < (std::uint64_t{1} << 53));
  auto path = parse_ipfs_path(layer.ipfs_path);
  FUZZ_CHECK(path);
  FUZZ_CHECK(path->root == layer.path.root && path->segments == layer.path.segments);
  FUZZ_CHECK(parse_cid(layer.path.root) && *parse_cid(layer.path.root) == layer.path.root_cid);
  for (const auto& segment : layer.path.segments) {
    FUZZ_CHECK(!segment.empty() && segment != "." && segment != "..");
    FUZZ_CHECK(segment.find_first_of("/\\?#") == std::string::npos);
  }
  if (layer.platform) {
    FUZZ_CHECK(is_platform_word(layer.platform->os));
    FUZZ_CHECK(is_platform_word(layer.platform->architecture));
    FUZZ_CHECK(layer.platform->variant.empty() || is_platform_word(layer.platform->variant));
  }
}

// Where clients are sent for the layer: always the configured host, with a URL-safe path.
void check_locations(const LayerManifest& layer) {
  static const RedirectGateway path_gateway =
      *parse_redirect_gateway("https://gateway.example:8443/prefix/");
  static const RedirectGateway subdomain_gateway =
      *parse_redirect_gateway("https://{cid}.ipfs.dweb.link");

  std::string location = layer_location(path_gateway, layer.path);
  FUZZ_CHECK(location.starts_with("https://gateway.example:8443/prefix/ipfs/" + layer.path.root));
  FUZZ_CHECK(is_url_safe(location));
  auto url = parse_http_url(location);
  FUZZ_CHECK(url && url->host == "gateway.example" && url->port == 8443);

  location = layer_location(subdomain_gateway, layer.path);
  FUZZ_CHECK(
      location.starts_with("https://" + layer.path.root_cid.to_string() + ".ipfs.dweb.link/"));
  FUZZ_CHECK(is_url_safe(location));
  url = parse_http_url(location);
  FUZZ_CHECK(url && url->host == layer.path.root_cid.to_string() + ".ipfs.dweb.link");
}

// The synthesized documents: canonical JSON, digests of their bytes, pointing at each other.
void check_image(const Image& facts, const std::string& cid) {
  const testing::RenderedImage image(facts);  // every document rendered from the facts
  FUZZ_CHECK(image.cid == cid);
  for (const auto& document : facts.documents()) {
    std::string bytes = facts.rendered(document);
    FUZZ_CHECK(bytes.size() == document.size && sha256(bytes) == document.digest);
    FUZZ_CHECK(facts.find_document(document.digest) == &document);
  }
  FUZZ_CHECK(!image.platforms.empty());
  if (image.layers.front().platform) {
    FUZZ_CHECK(image.platforms.size() == 1 &&
               image.platforms[0].platform == *image.layers.front().platform);
  } else {
    FUZZ_CHECK(image.platforms.size() == default_platforms().size());
    FUZZ_CHECK(image.default_platform().platform == (Platform{"linux", "amd64", ""}));
  }

  FUZZ_CHECK(fuzz::is_canonical_json(image.index.bytes));
  FUZZ_CHECK(fuzz::digest_matches(image.index.digest, image.index.bytes));
  FUZZ_CHECK(image.manifest_by_digest(image.index.digest) == &image.index);
  json index = json::parse(image.index.bytes);
  FUZZ_CHECK(index["mediaType"] == oci_index_media_type && index["schemaVersion"] == 2);
  FUZZ_CHECK(index["manifests"].size() == image.platforms.size());

  for (std::size_t i = 0; i < image.platforms.size(); ++i) {
    const testing::RenderedPlatform& platform = image.platforms[i];
    FUZZ_CHECK(fuzz::is_canonical_json(platform.config.bytes));
    FUZZ_CHECK(fuzz::is_canonical_json(platform.manifest.bytes));
    FUZZ_CHECK(fuzz::digest_matches(platform.config.digest, platform.config.bytes));
    FUZZ_CHECK(fuzz::digest_matches(platform.manifest.digest, platform.manifest.bytes));
    FUZZ_CHECK(image.config_by_digest(platform.config.digest) == &platform.config);
    FUZZ_CHECK(image.manifest_by_digest(platform.manifest.digest) == &platform.manifest);

    const json& entry = index["manifests"][i];
    FUZZ_CHECK(entry["digest"] == platform.manifest.digest);
    FUZZ_CHECK(entry["size"] == platform.manifest.bytes.size());
    FUZZ_CHECK(entry["mediaType"] == oci_manifest_media_type);
    FUZZ_CHECK(entry["platform"]["os"] == platform.platform.os);
    FUZZ_CHECK(entry["platform"]["architecture"] == platform.platform.architecture);

    json manifest = json::parse(platform.manifest.bytes);
    FUZZ_CHECK(manifest["mediaType"] == oci_manifest_media_type);
    FUZZ_CHECK(manifest["config"]["digest"] == platform.config.digest);
    FUZZ_CHECK(manifest["config"]["size"] == platform.config.bytes.size());
    FUZZ_CHECK(manifest["layers"].size() == 1);
    const json& layer = manifest["layers"][0];
    FUZZ_CHECK(layer["digest"] == image.layers.front().digest);
    FUZZ_CHECK(layer["size"] == image.layers.front().size);
    FUZZ_CHECK(layer["mediaType"] == image.layers.front().media_type);
    FUZZ_CHECK(layer["annotations"][std::string(ipfs_cid_annotation)] ==
               image.layers.front().ipfs_path);

    json config = json::parse(platform.config.bytes);
    FUZZ_CHECK(config["os"] == platform.platform.os);
    FUZZ_CHECK(config["architecture"] == platform.platform.architecture);
    FUZZ_CHECK(config["rootfs"]["diff_ids"] == json::array({image.layers.front().diff_id}));
    FUZZ_CHECK(config.contains("config") && config.contains("history"));
  }

  FUZZ_CHECK(facts.has_tag("latest"));
  FUZZ_CHECK(std::is_sorted(image.tags.begin(), image.tags.end()));
  for (const auto& tag : image.tags) FUZZ_CHECK(is_tag(tag));
  std::string_view file_name = image.layers.front().path.file_name();
  FUZZ_CHECK(facts.has_tag(file_name) == (file_name == "latest" || is_tag(file_name)));
}

// The proofs: the bytes as a raw block, as a UnixFS file, and as a dag-pb block of their own.
void check_verify(std::string_view bytes) {
  auto raw = verify_content(sha256_cid(multicodec::raw, bytes), bytes, Payload::file);
  FUZZ_CHECK(raw && *raw == bytes);

  std::string block = encode_unixfs_file_block(bytes);
  FUZZ_CHECK(*decode_unixfs_file_block(block) == bytes);
  Cid file_cid = sha256_cid(multicodec::dag_pb, block);
  auto as_file = verify_content(file_cid, bytes, Payload::file);
  FUZZ_CHECK(as_file && *as_file == bytes);
  auto as_block = verify_content(file_cid, block, Payload::block);
  FUZZ_CHECK(as_block && *as_block == bytes);

  Cid block_cid = sha256_cid(multicodec::dag_pb, bytes);
  auto decoded = decode_unixfs_file_block(bytes);
  auto verified = verify_content(block_cid, bytes, Payload::block);
  FUZZ_CHECK(static_cast<bool>(decoded) == static_cast<bool>(verified));
  if (decoded) FUZZ_CHECK(*decoded == *verified);
  if (!verified) {
    // One block of several is incomplete (another gateway may send the rest); all else unusable.
    auto node = decode_unixfs_file_node(bytes, max_proven_size);
    FUZZ_CHECK(verified.error().kind == (node && !node->node.links.empty()
                                             ? VerifyFailure::Kind::incomplete
                                             : VerifyFailure::Kind::unusable));
  }

  // Identity CIDs carry their block.
  if (bytes.size() <= 128) {
    Cid inline_raw{1, multicodec::raw, multihash::identity, std::string(bytes)};
    FUZZ_CHECK(*verify_content(inline_raw, bytes, Payload::file) == bytes);
  }
  if (block.size() <= 128) {
    Cid inline_file{1, multicodec::dag_pb, multihash::identity, block};
    FUZZ_CHECK(*verify_content(inline_file, bytes, Payload::file) == bytes);
    FUZZ_CHECK(*verify_content(inline_file, block, Payload::block) == bytes);
  }

  // Bytes that are not what a CID names never pass.
  Cid other = sha256_cid(multicodec::raw, std::string(bytes) + "x");
  FUZZ_CHECK(!verify_content(other, bytes, Payload::file));
  FUZZ_CHECK(verify_content(other, bytes, Payload::file).error().kind ==
             VerifyFailure::Kind::mismatch);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  check_verify(input);

  const Cid cid = sha256_cid(multicodec::raw, input);
  const std::string cid_text = cid.to_string();
  auto layer = parse_layer_manifest(input);
  Resolution built = build_image(DocumentKind::layer, cid, Content(input));
  FUZZ_CHECK(static_cast<bool>(layer) == static_cast<bool>(built));
  if (!layer) {
    FUZZ_CHECK(!layer.error().empty());
    const RegistryError& error = built.error();
    FUZZ_CHECK(error.code == ErrorCode::manifest_invalid);
    if (auto archive = recognize_archive(input)) {
      // A tarball's CID where a layer manifest belongs: 400, saying what it is.
      FUZZ_CHECK(error.status == 400);
      FUZZ_CHECK(error.message == not_a_document_message(DocumentKind::layer, cid_text, *archive));
    } else {
      FUZZ_CHECK(error.status == 404);
      FUZZ_CHECK(error.message == "layer manifest " + cid_text + " is invalid: " + layer.error());
    }
    FUZZ_CHECK(fuzz::is_oci_error(error_body(error), error.status));
    return 0;
  }
  check_layer(*layer);
  check_locations(*layer);

  const Image image = synthesize_image(cid_text, *layer);
  check_image(image, cid_text);
  // Deterministic: the same manifest gives the same bytes.
  const testing::RenderedImage again(**built), first(image);
  FUZZ_CHECK(again.index.bytes == first.index.bytes && again.index.digest == first.index.digest);
  FUZZ_CHECK(again.tags == first.tags);
  return 0;
}
