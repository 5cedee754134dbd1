// The registry's error answers: each row's code, spelling and status, and the OCI error body
// they make, byte for byte.
#include "ocipfs/base/registry_error.hpp"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

namespace ocipfs {
namespace {

TEST(RegistryError, EachKindMakesItsStatusCodeAndMessage) {
  const std::vector<std::tuple<RegistryError, unsigned, ErrorCode, std::string>> cases = {
      {blob_unknown("a"), 404, ErrorCode::blob_unknown, "BLOB_UNKNOWN"},
      {digest_invalid("a"), 400, ErrorCode::digest_invalid, "DIGEST_INVALID"},
      {manifest_invalid("a"), 404, ErrorCode::manifest_invalid, "MANIFEST_INVALID"},
      {manifest_unknown("a"), 404, ErrorCode::manifest_unknown, "MANIFEST_UNKNOWN"},
      {name_invalid("a"), 400, ErrorCode::name_invalid, "NAME_INVALID"},
      {name_unknown("a"), 404, ErrorCode::name_unknown, "NAME_UNKNOWN"},
      {unsupported("a"), 405, ErrorCode::unsupported, "UNSUPPORTED"},
      {too_many_requests("a"), 429, ErrorCode::too_many_requests, "TOOMANYREQUESTS"},
      {bad_gateway("a"), 502, ErrorCode::unavailable, "UNAVAILABLE"},
      {service_unavailable("a"), 503, ErrorCode::unavailable, "UNAVAILABLE"},
      {gateway_timeout("a"), 504, ErrorCode::unavailable, "UNAVAILABLE"},
      {unknown_error("a"), 500, ErrorCode::unknown, "UNKNOWN"},
  };
  for (const auto& [error, status, code, name] : cases) {
    EXPECT_EQ(error.status, status) << name;
    EXPECT_EQ(error.code, code) << name;
    EXPECT_EQ(error.message, "a") << name;
    EXPECT_EQ(code_name(error.code), name);
    EXPECT_EQ(error_body(error), R"({"errors":[{"code":")" + name + R"(","message":"a"}]})");
  }
}

TEST(RegistryError, InternalErrorRevealsNothing) {
  EXPECT_EQ(internal_error(), (RegistryError{500, ErrorCode::unknown, "internal server error"}));
  EXPECT_EQ(error_body(internal_error()),
            R"({"errors":[{"code":"UNKNOWN","message":"internal server error"}]})");
}

TEST(RegistryError, BodyEscapesTheMessageAndReplacesInvalidUtf8) {
  EXPECT_EQ(error_body(name_unknown("a \"b\"\n\\")),
            R"({"errors":[{"code":"NAME_UNKNOWN","message":"a \"b\"\n\\"}]})");
  EXPECT_EQ(error_body(bad_gateway("x\xff")),
            "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"x\xef\xbf\xbd\"}]}");
}

TEST(RegistryError, AnErrorBuiltByHandKeepsItsStatus) {
  // The session answers header problems as UNSUPPORTED with 400, 414 or 431.
  RegistryError error{431, ErrorCode::unsupported, "request header too large"};
  EXPECT_EQ(error.status, 431u);
  EXPECT_EQ(error_body(error),
            R"({"errors":[{"code":"UNSUPPORTED","message":"request header too large"}]})");
}

}  // namespace
}  // namespace ocipfs
