#include "ocipfs/base/registry_error.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

namespace ocipfs {

namespace {

// Every row of the table, to look a code's spelling up.
constexpr std::array kAllKinds = {blob_unknown,      digest_invalid, manifest_invalid,
                                  manifest_unknown,  not_a_manifest, listed_as_not_a_manifest,
                                  name_invalid,      name_unknown,   unsupported,
                                  too_many_requests, bad_gateway,    service_unavailable,
                                  gateway_timeout,   unknown_error};

constexpr const ErrorKind* first_kind_of(ErrorCode code) {
  for (const auto& kind : kAllKinds)
    if (kind.code == code) return &kind;
  return nullptr;
}

// Each code has a row, and every row of a code spells it as the first one does.
constexpr bool table_is_whole() {
  for (int code = 0; code <= static_cast<int>(ErrorCode::unknown); ++code)
    if (!first_kind_of(static_cast<ErrorCode>(code))) return false;
  return std::all_of(kAllKinds.begin(), kAllKinds.end(), [](const ErrorKind& kind) {
    return first_kind_of(kind.code)->name == kind.name;
  });
}
static_assert(table_is_whole(),
              "every ErrorCode needs a row, spelled the same in each of its rows");

}  // namespace

RegistryError internal_error() { return unknown_error("internal server error"); }

std::string_view code_name(ErrorCode code) {
  const ErrorKind* kind = first_kind_of(code);
  return kind ? kind->name : unknown_error.name;
}

std::string error_body(const RegistryError& error) {
  nlohmann::json entry = {{"code", code_name(error.code)}, {"message", error.message}};
  nlohmann::json body = {{"errors", nlohmann::json::array({entry})}};
  // Messages may quote bytes from the network; never let invalid UTF-8 throw.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ocipfs
