// Invariant checks for the fuzz targets: a broken invariant aborts, so libFuzzer reports it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "ocipfs/base/digest.hpp"

#define FUZZ_CHECK(condition)                                                                      \
  do {                                                                                             \
    if (!(condition)) {                                                                            \
      std::fprintf(stderr, "fuzz invariant broken: %s (%s:%d)\n", #condition, __FILE__, __LINE__); \
      std::abort();                                                                                \
    }                                                                                              \
  } while (0)

namespace ocipfs::fuzz {

// True when $OCIPFS_FUZZ_VERBOSE is set: the targets then print what they got, to check seeds.
inline bool verbose() {
  static const bool on = std::getenv("OCIPFS_FUZZ_VERBOSE") != nullptr;
  return on;
}

// True for bytes that are printable ASCII only (what ocipfs::printable lets through).
inline bool is_printable(std::string_view text) {
  for (unsigned char c : text)
    if (c < 0x20 || c >= 0x7f) return false;
  return true;
}

// True for an OCI error body, {"errors":[{"code":"...","message":"..."}]}, whose code fits
// `status`, and whose message is not empty.
inline bool is_oci_error(std::string_view body, unsigned status) {
  auto document = nlohmann::json::parse(body, nullptr, false);
  if (document.is_discarded() || !document.is_object() || document.size() != 1) return false;
  auto errors = document.find("errors");
  if (errors == document.end() || !errors->is_array() || errors->size() != 1) return false;
  const auto& error = (*errors)[0];
  if (!error.is_object() || !error.contains("code") || !error["code"].is_string() ||
      !error.contains("message") || !error["message"].is_string() ||
      error["message"].get_ref<const std::string&>().empty())
    return false;
  const std::string& code = error["code"].get_ref<const std::string&>();
  switch (status) {
    case 400:
      // MANIFEST_*: a CID that names a directory or a tarball where a document belongs.
      return code == "DIGEST_INVALID" || code == "NAME_INVALID" || code == "UNSUPPORTED" ||
             code == "MANIFEST_INVALID" || code == "MANIFEST_UNKNOWN";
    case 404:
      return code == "BLOB_UNKNOWN" || code == "MANIFEST_INVALID" || code == "MANIFEST_UNKNOWN" ||
             code == "NAME_UNKNOWN";
    case 405:
      return code == "UNSUPPORTED";
    case 414:
    case 431:
      return code == "UNSUPPORTED";
    case 429:
      return code == "TOOMANYREQUESTS";
    case 500:
      return code == "UNKNOWN";
    case 502:
    case 503:
    case 504:
      return code == "UNAVAILABLE";
    default:
      return false;
  }
}

// True when `bytes` is JSON in canonical form: parsing and serializing it again gives the same
// bytes (keys sorted, no whitespace).
inline bool is_canonical_json(std::string_view bytes) {
  auto document = nlohmann::json::parse(bytes, nullptr, false);
  return !document.is_discarded() && document.dump() == bytes;
}

// True when `digest` is the sha256 digest of `bytes`.
inline bool digest_matches(std::string_view digest, std::string_view bytes) {
  return digest == sha256_digest(bytes);
}

}  // namespace ocipfs::fuzz
