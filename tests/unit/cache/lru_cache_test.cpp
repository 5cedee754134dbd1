#include "ocipfs/cache/lru_cache.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

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
  EXPECT_EQ((*hit).value()->layer_manifest(0).path.file_name(), "a.tar");
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

// Keys are bytes (an ImageKey holds NULs), found by any view of the same bytes: a buffer on the
// stack, a part of a longer string. The cache keeps its own copy of each key.
TEST(StringCache, FindsByAnyViewOfTheKeyBytes) {
  LruCache<std::string> cache(1 << 10);
  {
    const std::string key("\x01\x00\x70\x12", 4);
    cache.insert(key, "value", 100);
  }  // the inserted key's storage is gone
  const char on_stack[] = {'\x01', '\x00', '\x70', '\x12'};
  auto found = cache.find(std::string_view(on_stack, sizeof on_stack));
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, "value");
  const std::string longer("xx\x01\x00\x70\x12yy", 8);
  EXPECT_TRUE(cache.find(std::string_view(longer).substr(2, 4)));
  EXPECT_FALSE(cache.find(std::string_view(longer).substr(2, 3)));  // a prefix is another key
  EXPECT_FALSE(cache.find(std::string_view(on_stack, 2)));
  EXPECT_EQ(cache.stats().hits, 2u);
  EXPECT_EQ(cache.stats().misses, 2u);
}

// A find moves its entry up: the one not found since goes first.
TEST(StringCache, AFoundEntryIsTheLastToGo) {
  LruCache<std::string> cache(3 * 100);
  cache.insert("a", "a", 100);
  cache.insert("b", "b", 100);
  cache.insert("c", "c", 100);
  const char a[] = {'a'};
  EXPECT_TRUE(cache.find(std::string_view(a, 1)));
  cache.insert("d", "d", 100);  // b, the least recently used
  EXPECT_FALSE(cache.find("b"));
  EXPECT_TRUE(cache.find("a"));
  EXPECT_EQ(cache.stats().entries, 3u);
  EXPECT_EQ(cache.stats().bytes, 300u);
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
