// Layer manifests shared by the tests.
#pragma once

#include <string>

namespace ocipfs::testing {

// A CIDv1 raw (hello world) and a CIDv0 directory, valid as CIDs.
inline const std::string manifest_cid =
    "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4";
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
         layer_digest +
         R"(","size":1234,"annotations":{)"
         R"("io.ocipfs.layer.ipfs.cid":")" +
         layer_dir_cid + "/" + file +
         R"(",)"
         R"("io.ocipfs.layer.fs.digest":")" +
         layer_diff_id + R"("}}})";
}

}  // namespace ocipfs::testing
