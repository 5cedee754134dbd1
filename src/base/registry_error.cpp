#include "ocipfs/base/registry_error.hpp"

#include <nlohmann/json.hpp>

namespace ocipfs {

std::string_view code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::blob_unknown:
      return "BLOB_UNKNOWN";
    case ErrorCode::digest_invalid:
      return "DIGEST_INVALID";
    case ErrorCode::manifest_invalid:
      return "MANIFEST_INVALID";
    case ErrorCode::manifest_unknown:
      return "MANIFEST_UNKNOWN";
    case ErrorCode::name_invalid:
      return "NAME_INVALID";
    case ErrorCode::name_unknown:
      return "NAME_UNKNOWN";
    case ErrorCode::unsupported:
      return "UNSUPPORTED";
    case ErrorCode::too_many_requests:
      return "TOOMANYREQUESTS";
    case ErrorCode::unavailable:
      return "UNAVAILABLE";
    case ErrorCode::unknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

std::string error_body(const RegistryError& error) {
  nlohmann::json entry = {{"code", code_name(error.code)}, {"message", error.message}};
  nlohmann::json body = {{"errors", nlohmann::json::array({entry})}};
  // Messages may quote bytes from the network; never let invalid UTF-8 throw.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

RegistryError blob_unknown(std::string message) {
  return {404, ErrorCode::blob_unknown, std::move(message)};
}
RegistryError digest_invalid(std::string message) {
  return {400, ErrorCode::digest_invalid, std::move(message)};
}
RegistryError manifest_unknown(std::string message) {
  return {404, ErrorCode::manifest_unknown, std::move(message)};
}
RegistryError name_invalid(std::string message) {
  return {400, ErrorCode::name_invalid, std::move(message)};
}
RegistryError name_unknown(std::string message) {
  return {404, ErrorCode::name_unknown, std::move(message)};
}
RegistryError manifest_invalid(std::string message) {
  return {404, ErrorCode::manifest_invalid, std::move(message)};
}
RegistryError unsupported(std::string message) {
  return {405, ErrorCode::unsupported, std::move(message)};
}
RegistryError bad_gateway(std::string message) {
  return {502, ErrorCode::unavailable, std::move(message)};
}
RegistryError service_unavailable(std::string message) {
  return {503, ErrorCode::unavailable, std::move(message)};
}
RegistryError gateway_timeout(std::string message) {
  return {504, ErrorCode::unavailable, std::move(message)};
}
RegistryError internal_error() { return {500, ErrorCode::unknown, "internal server error"}; }

}  // namespace ocipfs
