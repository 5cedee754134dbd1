#include "ocipfs/publish/path_relation.hpp"

#include <gtest/gtest.h>

#include "support/files.hpp"

namespace fs = std::filesystem;
using ocipfs::is_same_path;
using ocipfs::is_within;
using ocipfs::resolves_within;
using ocipfs::testing::TempDir;

TEST(PathRelation, SamePathSeesThroughDotsAndSymlinks) {
  TempDir dir;
  fs::create_directory(dir / "real");
  fs::create_directory_symlink(dir / "real", dir / "link");
  EXPECT_TRUE(is_same_path(dir / "real" / "out.car", dir / "link" / "out.car"));
  EXPECT_TRUE(is_same_path(dir / "real" / ".." / "a", dir / "a"));
  EXPECT_FALSE(is_same_path(dir / "real" / "a", dir / "real" / "b"));
}

TEST(PathRelation, ResolvesWithinIsTheDirectoryItselfOrBelowIt) {
  TempDir dir;
  fs::create_directories(dir / "layer" / "etc");
  fs::create_directory_symlink(dir / "layer" / "etc", dir / "etc-link");
  EXPECT_TRUE(resolves_within(dir / "layer", dir / "layer"));
  EXPECT_TRUE(resolves_within(dir / "layer" / "etc" / "new.car", dir / "layer"));
  EXPECT_TRUE(resolves_within(dir / "etc-link" / "new.car", dir / "layer"));
  EXPECT_FALSE(resolves_within(dir / "layer-2" / "x", dir / "layer"));
  EXPECT_FALSE(resolves_within(dir / "x", dir / "layer"));
}

TEST(PathRelation, WithinIsComponentByComponent) {
  EXPECT_TRUE(is_within("/w/app/rootfs", "/w/app"));
  EXPECT_TRUE(is_within("/w/app", "/w/app"));
  EXPECT_TRUE(is_within("/w/app/rootfs", "/w/app/"));
  EXPECT_TRUE(is_within("/etc/ssl", "/"));
  EXPECT_FALSE(is_within("/w/application", "/w/app"));
  EXPECT_FALSE(is_within("/w", "/w/app"));
  EXPECT_FALSE(is_within("/etc/ssl", "/w/app"));
}
