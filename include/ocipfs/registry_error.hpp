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

RegistryError blob_unknown(std::string message);
RegistryError digest_invalid(std::string message);
RegistryError manifest_unknown(std::string message);
RegistryError name_invalid(std::string message);
RegistryError name_unknown(std::string message);
RegistryError unsupported(std::string message);
RegistryError internal_error();

}  // namespace ocipfs
