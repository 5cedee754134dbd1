// Fuzzes the image document parser (image/image_document.hpp), its canonical text, the compose file
// parser, and the image composed of it (compose_image in image/image.hpp, compose_resolution in
// cache/resolver.hpp); and the verbatim document, and a kept index or manifest
// (image/verbatim_image.hpp). The input is a document's bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "ocipfs/base/digest.hpp"
#include "ocipfs/cache/resolver.hpp"
#include "ocipfs/formats/recognize.hpp"
#include "ocipfs/image/image.hpp"
#include "ocipfs/image/image_document.hpp"
#include "ocipfs/image/verbatim_image.hpp"
#include "support/rendered_image.hpp"

namespace {

using namespace ocipfs;
using nlohmann::json;

Cid sha256_cid(std::string_view bytes) {
  auto hash = sha256(bytes);
  return {1, multicodec::raw, multihash::sha2_256,
          std::string(reinterpret_cast<const char*>(hash.data()), hash.size())};
}

// The rules restated independently of the validator.
void check_document(const ImageDocument& document) {
  FUZZ_CHECK(!document.layers.empty() && document.layers.size() <= max_image_layers);
  for (const auto& entry : document.config.env) {
    auto eq = entry.find('=');
    FUZZ_CHECK(eq != std::string::npos && eq > 0);
  }
  const auto& ports = document.config.exposed_ports;
  FUZZ_CHECK(std::is_sorted(ports.begin(), ports.end()));
  for (const auto& port : ports) {
    auto slash = port.find('/');
    FUZZ_CHECK(slash != std::string::npos);
    std::string protocol = port.substr(slash + 1);
    FUZZ_CHECK(protocol == "tcp" || protocol == "udp" || protocol == "sctp");
    long number = std::stol(port.substr(0, slash));
    FUZZ_CHECK(number >= 1 && number <= 65535);
  }
  for (const auto& volume : document.config.volumes) FUZZ_CHECK(volume.starts_with('/'));
  FUZZ_CHECK(document.config.working_dir.empty() || document.config.working_dir.starts_with('/'));
  FUZZ_CHECK(document.tag.empty() || is_tag(document.tag));
}

// The canonical text gives the same document back, and is its own canonical text.
void check_round_trip(const ImageDocument& document) {
  std::string text = image_document_json(document);
  FUZZ_CHECK(declares_image_document(text));
  auto again = parse_image_document(text);
  FUZZ_CHECK(again);
  FUZZ_CHECK(again->config == document.config);
  FUZZ_CHECK(again->layers.size() == document.layers.size());
  for (std::size_t i = 0; i < document.layers.size(); ++i)
    FUZZ_CHECK(again->layers[i].v1_bytes() == document.layers[i].v1_bytes());
  FUZZ_CHECK(again->platform == document.platform);
  FUZZ_CHECK(again->annotations == document.annotations);
  FUZZ_CHECK(again->tag == document.tag);
  FUZZ_CHECK(image_document_json(*again) == text);
}

void check_rendered(const Image& facts) {
  for (const auto& document : facts.documents()) {
    std::string bytes = facts.rendered(document);
    FUZZ_CHECK(bytes.size() == document.size && sha256(bytes) == document.digest);
  }
}

void check_image(const Image& facts, const ImageDocument& document) {
  check_rendered(facts);
  const testing::RenderedImage image(facts);
  FUZZ_CHECK(image.layers.size() == document.layers.size());
  FUZZ_CHECK(facts.has_tag("latest") && (document.tag.empty() || facts.has_tag(document.tag)));
  FUZZ_CHECK(fuzz::is_canonical_json(image.index.bytes));
  for (const auto& platform : image.platforms) {
    FUZZ_CHECK(fuzz::is_canonical_json(platform.config.bytes));
    FUZZ_CHECK(fuzz::is_canonical_json(platform.manifest.bytes));
    FUZZ_CHECK(fuzz::digest_matches(platform.config.digest, platform.config.bytes));
    json config = json::parse(platform.config.bytes);
    FUZZ_CHECK(config["rootfs"]["diff_ids"].size() == document.layers.size());
    FUZZ_CHECK(config["history"].size() == document.layers.size());
    if (document.config.env.empty()) FUZZ_CHECK(!config["config"].contains("Env"));
    if (!document.config.env.empty()) FUZZ_CHECK(config["config"]["Env"] == document.config.env);
    json manifest = json::parse(platform.manifest.bytes);
    FUZZ_CHECK(manifest["layers"].size() == document.layers.size());
    FUZZ_CHECK(manifest.contains("annotations") == !document.annotations.empty());
  }
  if (document.platform)
    FUZZ_CHECK(image.platforms.size() == 1 && image.platforms[0].platform == *document.platform);
}

// The same document resolved, with every layer the same one-layer image.
void check_resolution(const Cid& cid, const ImageDocument& document) {
  static const std::string manifest =
      R"({"mediaType":"application/vnd.ocipfs.layer.manifest.v1+json","layer":{"mediaType":)"
      R"("application/vnd.oci.image.layer.v1.tar","digest":"sha256:)" +
      std::string(64, '1') +
      R"(","size":1,"annotations":{"io.ocipfs.layer.ipfs.cid":)"
      R"("bafkqaaa/a.tar","io.ocipfs.layer.fs.digest":"sha256:)" +
      std::string(64, '2') + R"("}}})";
  Resolution layer = build_image(DocumentKind::layer, sha256_cid(manifest), Content(manifest));
  FUZZ_CHECK(layer);
  std::vector<Resolution> layers(document.layers.size(), layer);
  Resolution resolved = compose_resolution(cid, document, layers);
  FUZZ_CHECK(resolved);
  check_image(**resolved, document);
  layers.back() = Unexpected{gateway_timeout("slow")};
  Resolution failed = compose_resolution(cid, document, layers);
  FUZZ_CHECK(!failed && failed.error().status == 504);
  FUZZ_CHECK(failed.error().message.starts_with("layer " + std::to_string(layers.size()) +
                                                " of image " + cid.to_string() + " ("));
}

// The input as a verbatim document, and as the index or manifest such a document keeps.
void check_verbatim(const std::string& input) {
  if (auto document = parse_verbatim_document(input)) {
    auto again = parse_verbatim_document(verbatim_document_json(*document));
    FUZZ_CHECK(again && again->manifest == document->manifest &&
               again->layers == document->layers && again->tag == document->tag);
  }
  const std::string digest = sha256_digest(input);
  for (std::string_view type : {oci_index_media_type, oci_manifest_media_type}) {
    VerbatimDescriptor top{std::string(type), digest, input.size()};
    auto links = linked_documents(top, input);
    VerbatimDocument document{top, {}, {}};
    std::map<std::string, std::string> blobs = {{digest, input}};
    if (links)
      for (const auto& link : *links) blobs.emplace(link.digest, "{}");
    auto image = verbatim_image("bafyfuzz", document, blobs);
    if (!image) continue;
    // The blobs here are not proven against their digests ("{}" stands for every linked one), so
    // what holds is that each document is served as the bytes it was kept from.
    for (const auto& kept : image->documents()) {
      auto blob = blobs.find(sha256_digest_text(kept.digest));
      FUZZ_CHECK(blob != blobs.end() && image->rendered(kept) == blob->second &&
                 kept.size == blob->second.size());
    }
    const testing::RenderedImage kept(*image);
    for (const auto& platform : kept.platforms)
      FUZZ_CHECK(blobs.count(platform.manifest.digest) && blobs.count(platform.config.digest));
    FUZZ_CHECK(!kept.has_index() || kept.index.bytes == input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const Cid cid = sha256_cid(input);
  auto document = parse_image_document(input);
  auto compose = parse_compose_file(input);
  check_verbatim(input);
  auto read = read_image_document(cid, Content(input));
  FUZZ_CHECK(static_cast<bool>(document) == static_cast<bool>(read));
  if (!document) {
    FUZZ_CHECK(!document.error().empty());
    const RegistryError& error = read.error();
    FUZZ_CHECK(error.code == ErrorCode::manifest_invalid);
    if (auto archive = recognize_archive(input)) {
      // A tarball's CID where an image document belongs: 400, saying what it is.
      FUZZ_CHECK(error.status == 400);
      FUZZ_CHECK(error.message ==
                 not_a_document_message(DocumentKind::image, cid.to_string(), *archive));
    } else {
      FUZZ_CHECK(error.status == 404);
      FUZZ_CHECK(error.message ==
                 "image document " + cid.to_string() + " is invalid: " + document.error());
    }
    FUZZ_CHECK(fuzz::is_oci_error(error_body(error), error.status));
    return 0;
  }
  // Every valid image document is a valid compose file, with the same layers as written.
  FUZZ_CHECK(compose && compose->layers.size() == document->layers.size());
  FUZZ_CHECK(declares_image_document(input));
  check_document(*document);
  check_round_trip(*document);
  check_resolution(cid, *document);
  return 0;
}
