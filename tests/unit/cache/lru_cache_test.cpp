#include "ocipfs/cache/lru_cache.hpp"

#include <gtest/gtest.h>

#include <utility>

#include "ocipfs/cache/resolver.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

ImagePtr make_image(const std::string& file) {
  auto layer = parse_layer_manifest(testing::layer_manifest_json(file));
  return std::make_shared<const Image>(synthesize_image(testing::raw_cid_of(file), *layer));
}

// Inserts with the cost the resolver gives an image.
void insert(LruCache<Resolution>& cache, const std::string& key, const ImagePtr& image) {
  cache.insert(key, image, cache_cost(key, image));
}

TEST(ImageCache, HitsAndMisses) {
  LruCache<Resolution> cache(1 << 20);
  EXPECT_FALSE(cache.find("a"));
  insert(cache, "a", make_image("a.tar"));
  auto hit = cache.find("a");
  ASSERT_TRUE(hit);
  EXPECT_EQ((*hit).value()->layers.front().path.file_name(), "a.tar");
  auto stats = cache.stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.entries, 1u);
  EXPECT_EQ(stats.bytes, cache_cost("a", make_image("a.tar")));
}

TEST(ImageCache, EvictsLeastRecentlyUsedByBytes) {
  std::size_t one = cache_cost("k0", make_image("0.tar"));
  LruCache<Resolution> cache(one * 3 + one / 2);  // room for three
  for (int i = 0; i < 3; ++i)
    insert(cache, "k" + std::to_string(i), make_image(std::to_string(i) + ".tar"));
  EXPECT_TRUE(cache.find("k0"));  // k0 is now the most recently used; k1 the least
  insert(cache, "k3", make_image("3.tar"));
  EXPECT_FALSE(cache.find("k1"));
  EXPECT_TRUE(cache.find("k0"));
  EXPECT_TRUE(cache.find("k2"));
  EXPECT_TRUE(cache.find("k3"));
  EXPECT_EQ(cache.stats().entries, 3u);
  EXPECT_LE(cache.stats().bytes, one * 3 + one / 2);
}

TEST(ImageCache, NothingLargerThanTheCache) {
  LruCache<Resolution> cache(100);
  insert(cache, "a", make_image("a.tar"));
  EXPECT_FALSE(cache.find("a"));
  EXPECT_EQ(cache.stats().bytes, 0u);
}

TEST(ImageCache, ReplacingKeepsTheAccountsRight) {
  LruCache<Resolution> cache(1 << 20);
  insert(cache, "a", make_image("a.tar"));
  insert(cache, "a", make_image("a-longer-name.tar"));
  EXPECT_EQ(cache.stats().entries, 1u);
  EXPECT_EQ(cache.stats().bytes, cache_cost("a", make_image("a-longer-name.tar")));
}

// A value marked as used by a reader that does not call find is spared once, then evicted.
TEST(StringCache, AMarkedEntryGetsASecondChance) {
  static bool keep_b = true;
  LruCache<std::string> cache(3 * 100, [](const std::string& value) {
    return value == "b" && std::exchange(keep_b, false);
  });
  cache.insert("a", "a", 100);
  cache.insert("b", "b", 100);
  cache.insert("c", "c", 100);
  cache.insert("d", "d", 100);  // evicts a: the least recently used
  EXPECT_FALSE(cache.find("a"));
  cache.insert("e", "e", 100);  // b is next, but marked: c goes instead
  EXPECT_TRUE(cache.find("b"));
  EXPECT_FALSE(cache.find("c"));
  cache.insert("f", "f", 100);  // d, then e: b was found, so it is the most recent
  cache.insert("g", "g", 100);
  EXPECT_TRUE(cache.find("b"));
  EXPECT_FALSE(cache.find("d"));
  EXPECT_FALSE(cache.find("e"));
}

// Every entry marked: each is spared once, then the least recent goes all the same.
TEST(StringCache, SparingEndsAfterOnePass) {
  LruCache<std::string> cache(2 * 100, [](const std::string&) { return true; });
  cache.insert("a", "a", 100);
  cache.insert("b", "b", 100);
  cache.insert("c", "c", 100);
  EXPECT_EQ(cache.stats().entries, 2u);
}

TEST(ImageCache, OnlyImmutableAnswersAreCacheable) {
  EXPECT_TRUE(is_cacheable(make_image("a.tar")));
  EXPECT_TRUE(is_cacheable(Unexpected{RegistryError{404, ErrorCode::manifest_invalid, "bad"}}));
  EXPECT_FALSE(is_cacheable(Unexpected{RegistryError{404, ErrorCode::manifest_unknown, "gone"}}));
  EXPECT_FALSE(is_cacheable(Unexpected{RegistryError{502, ErrorCode::unavailable, "down"}}));
  EXPECT_FALSE(is_cacheable(Unexpected{RegistryError{504, ErrorCode::unavailable, "slow"}}));
}

}  // namespace
}  // namespace ocipfs
