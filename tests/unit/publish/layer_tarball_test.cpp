// What a layer tarball may be called, and which entry names are unsafe to extract.
#include "ocipfs/publish/layer_tarball.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace ocipfs {
namespace {

using ::testing::HasSubstr;

TEST(LayerTarball, MediaTypeByFileName) {
  EXPECT_EQ(*layer_media_type_for("a.tar"), oci_layer_tar);
  EXPECT_EQ(*layer_media_type_for("a.tar.gz"), oci_layer_tar_gzip);
  EXPECT_EQ(*layer_media_type_for("a.tar.zst"), oci_layer_tar_zstd);
  auto other = layer_media_type_for("a.tgz");
  ASSERT_FALSE(other);
  EXPECT_THAT(other.error(), HasSubstr("does not end in .tar, .tar.gz or .tar.zst"));
}

TEST(LayerTarball, UnsafeEntryNames) {
  EXPECT_EQ(unsafe_tar_name_problem("a/b/c"), "");
  EXPECT_EQ(unsafe_tar_name_problem("./a/..b"), "");
  EXPECT_EQ(unsafe_tar_name_problem(""), "has an empty name");
  EXPECT_EQ(unsafe_tar_name_problem("/etc/passwd"), "has an absolute path");
  EXPECT_EQ(unsafe_tar_name_problem("a/../../b"), "has a \"..\" component");
  EXPECT_EQ(unsafe_tar_name_problem(".."), "has a \"..\" component");
  EXPECT_EQ(unsafe_tar_name_problem("a/.."), "has a \"..\" component");
}

}  // namespace
}  // namespace ocipfs
