// Registry errors: an HTTP status, an OCI error code and a message, rendered as an OCI error body.
// Every error the registry answers is a row below, which holds its code, the code's spelling and
// its status, and is called to make the error: name_unknown("no image named x").
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace ocipfs {

// The OCI error codes the registry answers with. Their spellings are in the rows below.
enum class ErrorCode {
  blob_unknown,
  digest_invalid,
  manifest_invalid,
  manifest_unknown,
  name_invalid,
  name_unknown,
  unsupported,
  too_many_requests,
  unavailable,  // the gateway failed us, or we are out of room: 502, 503 or 504
  unknown,      // an internal error: 500, with a message that reveals nothing
};

struct RegistryError {
  unsigned status = 500;
  ErrorCode code = ErrorCode::unknown;
  std::string message;

  friend bool operator==(const RegistryError&, const RegistryError&) = default;
};

// One kind of error answer: the OCI code its body carries, the code as the body spells it, and
// the HTTP status it is sent with. Calling it makes an error of that kind with `message`.
struct ErrorKind {
  ErrorCode code;
  std::string_view name;
  unsigned status;

  RegistryError operator()(std::string message) const { return {status, code, std::move(message)}; }
};

// The table of error answers: the one place that pairs a code with its spelling and a status.
// A code that has several rows (UNAVAILABLE) is spelled the same in each.
inline constexpr ErrorKind blob_unknown{ErrorCode::blob_unknown, "BLOB_UNKNOWN", 404};
inline constexpr ErrorKind digest_invalid{ErrorCode::digest_invalid, "DIGEST_INVALID", 400};
// Proven content that is no document.
inline constexpr ErrorKind manifest_invalid{ErrorCode::manifest_invalid, "MANIFEST_INVALID", 404};
inline constexpr ErrorKind manifest_unknown{ErrorCode::manifest_unknown, "MANIFEST_UNKNOWN", 404};
// A CID that names something else where a document belongs (a directory, a tarball): 400, as
// clients that print only the status line of a HEAD answer (BuildKit, containerd) print it for a
// 400 and say only "not found" for a 404. Proven: MANIFEST_INVALID, immutable like the content;
// said by a gateway, not proven: MANIFEST_UNKNOWN.
inline constexpr ErrorKind not_a_manifest{ErrorCode::manifest_invalid, "MANIFEST_INVALID", 400};
inline constexpr ErrorKind listed_as_not_a_manifest{ErrorCode::manifest_unknown, "MANIFEST_UNKNOWN",
                                                    400};
inline constexpr ErrorKind name_invalid{ErrorCode::name_invalid, "NAME_INVALID", 400};
inline constexpr ErrorKind name_unknown{ErrorCode::name_unknown, "NAME_UNKNOWN", 404};
inline constexpr ErrorKind unsupported{ErrorCode::unsupported, "UNSUPPORTED", 405};
// A Range no byte of the blob satisfies.
inline constexpr ErrorKind range_not_satisfiable{ErrorCode::unsupported, "UNSUPPORTED", 416};
inline constexpr ErrorKind too_many_requests{ErrorCode::too_many_requests, "TOOMANYREQUESTS", 429};
// The gateway failed us; we are out of room; the gateway was too slow.
inline constexpr ErrorKind bad_gateway{ErrorCode::unavailable, "UNAVAILABLE", 502};
inline constexpr ErrorKind service_unavailable{ErrorCode::unavailable, "UNAVAILABLE", 503};
inline constexpr ErrorKind gateway_timeout{ErrorCode::unavailable, "UNAVAILABLE", 504};
// Made by internal_error, revealing nothing.
inline constexpr ErrorKind unknown_error{ErrorCode::unknown, "UNKNOWN", 500};

// unknown_error("internal server error"): a 500 that reveals nothing.
RegistryError internal_error();

// The OCI spelling of a code, as its rows above have it, e.g. "MANIFEST_UNKNOWN".
std::string_view code_name(ErrorCode code);

// {"errors":[{"code":"...","message":"..."}]}, the code spelled by code_name. Invalid UTF-8 in
// the message is replaced, never thrown on.
std::string error_body(const RegistryError& error);

}  // namespace ocipfs
