// Layer manifests shared by the tests.
#pragma once

#include <string>

#include "ocipfs/cid.hpp"
#include "ocipfs/digest.hpp"

namespace ocipfs::testing {

// The CIDv1 (raw codec, sha2-256) that names `bytes`.
inline std::string raw_cid_of(const std::string& bytes) {
  auto hash = sha256(bytes);
  return Cid{1, multicodec::raw, multihash::sha2_256,
             std::string(reinterpret_cast<const char*>(hash.data()), hash.size())}
      .to_string();
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

}  // namespace ocipfs::testing
