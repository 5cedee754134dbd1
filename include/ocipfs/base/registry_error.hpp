// Registry errors: an HTTP status, an OCI error code and a message, rendered as an OCI error body.
#pragma once

#include <string>
#include <string_view>

namespace ocipfs {

enum class ErrorCode {
  blob_unknown,
  digest_invalid,
  manifest_invalid,
  manifest_unknown,
  name_invalid,
  name_unknown,
  unsupported,
  too_many_requests,
  unavailable,  // the gateway failed us: 502 or 504
  unknown,      // an internal error: 500, with a message that reveals nothing
};

struct RegistryError {
  unsigned status = 500;
  ErrorCode code = ErrorCode::unknown;
  std::string message;

  friend bool operator==(const RegistryError&, const RegistryError&) = default;
};

// The OCI spelling of a code, e.g. "MANIFEST_UNKNOWN".
std::string_view code_name(ErrorCode code);

// {"errors":[{"code":"...","message":"..."}]}
std::string error_body(const RegistryError& error);

// Named constructors: the status and code are the function's name.
RegistryError blob_unknown(std::string message);
RegistryError digest_invalid(std::string message);
RegistryError manifest_unknown(std::string message);
RegistryError name_invalid(std::string message);
RegistryError name_unknown(std::string message);
RegistryError manifest_invalid(std::string message);     // 404: proven content that is no document
RegistryError unsupported(std::string message);          // 405
RegistryError bad_gateway(std::string message);          // 502 UNAVAILABLE: the gateway failed us
RegistryError service_unavailable(std::string message);  // 503 UNAVAILABLE: we are out of room
RegistryError gateway_timeout(std::string message);  // 504 UNAVAILABLE: the gateway was too slow
RegistryError internal_error();                      // 500, revealing nothing

}  // namespace ocipfs
