#include "ocipfs/cache/hot_images.hpp"

#include <gtest/gtest.h>

namespace ocipfs {
namespace {

std::shared_ptr<const Image> image_named(const std::string& cid) {
  auto image = std::make_shared<Image>();
  image->cid = cid;
  return image;
}

TEST(HotImages, FindsAnImageByTheNameItWasAskedBy) {
  HotImages hot;
  auto image = image_named("a");
  hot.remember("layer/a", image, nullptr);
  EXPECT_EQ(hot.find("layer/a"), image);
  EXPECT_EQ(hot.find("image/a"), nullptr);
  auto newer = image_named("a");
  hot.remember("layer/a", newer, nullptr);
  EXPECT_EQ(hot.find("layer/a"), newer);
}

// The cache decides what lives: an image nobody else holds is not found.
TEST(HotImages, HoldsNoImageAlive) {
  HotImages hot;
  hot.remember("layer/a", image_named("a"), nullptr);
  EXPECT_EQ(hot.find("layer/a"), nullptr);
}

TEST(HotImages, ForgetsTheGoneFirstWhenFull) {
  HotImages hot(2);
  auto a = image_named("a"), c = image_named("c");
  hot.remember("layer/a", a, nullptr);
  hot.remember("layer/b", image_named("b"), nullptr);  // gone at once
  hot.remember("layer/c", c, nullptr);
  EXPECT_EQ(hot.size(), 2u);
  EXPECT_EQ(hot.find("layer/a"), a);
  EXPECT_EQ(hot.find("layer/c"), c);
  auto d = image_named("d");
  hot.remember("layer/d", d, nullptr);  // none gone: one is forgotten all the same
  EXPECT_EQ(hot.size(), 2u);
  EXPECT_EQ(hot.find("layer/d"), d);
}

// Finding an image marks its cache entry as used, for the cache to spare it once.
TEST(HotImages, FindingMarksTheEntryAsUsed) {
  HotImages hot;
  auto image = image_named("a");
  auto use = std::make_shared<const UseMark>();
  hot.remember("layer/a", image, use);
  EXPECT_FALSE(use->take());
  EXPECT_EQ(hot.find("layer/a"), image);
  EXPECT_TRUE(use->take());
  EXPECT_FALSE(use->take());
  EXPECT_EQ(hot.find("image/a"), nullptr);
  EXPECT_FALSE(use->take());
}

}  // namespace
}  // namespace ocipfs
