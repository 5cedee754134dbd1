// Layer manifests and image documents shared by the tests.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/image/image_document.hpp"

namespace ocipfs::testing {

// The bytes that pairs of hex digits (either case) spell; a bad digit throws.
inline std::string from_hex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::invalid_argument(std::string("bad hex digit ") + c);
  };
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  return out;
}

// The CIDv1 with `codec` and sha2-256 that names `block`.
inline Cid sha256_cid(std::uint64_t codec, std::string_view block) {
  auto hash = sha256(block);
  return Cid{1, codec, multihash::sha2_256,
             std::string(reinterpret_cast<const char*>(hash.data()), hash.size())};
}

// The CIDv1 (raw codec, sha2-256) that names `bytes`.
inline std::string raw_cid_of(const std::string& bytes) {
  return sha256_cid(multicodec::raw, bytes).to_string();
}

// A CIDv0 directory (the empty one), valid as a CID.
inline const std::string layer_dir_cid = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn";
inline const std::string layer_digest =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";
inline const std::string layer_diff_id =
    "sha256:2222222222222222222222222222222222222222222222222222222222222222";

inline std::string layer_manifest_json(const std::string& file = "hello.tar.gz",
                                       const std::string& extra = "") {
  return R"({"mediaType":"application/vnd.ocipfs.layer.manifest.v1+json",)" + extra +
         R"("layer":{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",)"
         R"("digest":")" +
         layer_digest + R"(","size":1234,"annotations":{"io.ocipfs.layer.ipfs.cid":")" +
         layer_dir_cid + "/" + file + R"(","io.ocipfs.layer.fs.digest":")" + layer_diff_id +
         R"("}}})";
}

// The CID of the default layer manifest above: what a gateway must prove it serves.
inline const std::string manifest_cid = raw_cid_of(layer_manifest_json());

// An image document of just under 1 MiB, as the outside probe sent: the layer above and 15,500
// annotations "org.example.k<tag>.<i>" (a distinct tag gives a distinct document).
inline std::string annotated_image_document(const std::string& tag = "") {
  nlohmann::json annotations = nlohmann::json::object();
  for (int i = 0; i < 15'500; ++i)
    annotations["org.example.k" + tag + "." + std::to_string(i)] =
        std::string(40, static_cast<char>('a' + i % 26));
  return nlohmann::json{{"mediaType", image_document_media_type},
                        {"layers", {manifest_cid}},
                        {"annotations", annotations}}
      .dump();
}

}  // namespace ocipfs::testing
