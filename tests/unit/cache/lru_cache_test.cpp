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
void insert(LruCache<ImagePtr>& cache, const std::string& key, const ImagePtr& image) {
  cache.insert(key, image, cache_cost(key, *image));
}

TEST(ImageCache, HitsAndMisses) {
  LruCache<ImagePtr> cache(1 << 20);
  EXPECT_FALSE(cache.find("a"));
  insert(cache, "a", make_image("a.tar"));
  auto hit = cache.find("a");
  ASSERT_TRUE(hit);
  EXPECT_EQ((*hit)->layer_manifest(0).path.file_name(), "a.tar");
  auto stats = cache.stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.entries, 1u);
  EXPECT_EQ(stats.bytes, cache_cost("a", *make_image("a.tar")));
}

TEST(ImageCache, EvictsLeastRecentlyUsedByBytes) {
  std::size_t one = cache_cost("k0", *make_image("0.tar"));
  LruCache<ImagePtr> cache(one * 3 + one / 2);  // room for three
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
  LruCache<ImagePtr> cache(100);
  insert(cache, "a", make_image("a.tar"));
  EXPECT_FALSE(cache.find("a"));
  EXPECT_EQ(cache.stats().bytes, 0u);
}

TEST(ImageCache, ReplacingKeepsTheAccountsRight) {
  LruCache<ImagePtr> cache(1 << 20);
  insert(cache, "a", make_image("a.tar"));
  insert(cache, "a", make_image("a-longer-name.tar"));
  EXPECT_EQ(cache.stats().entries, 1u);
  EXPECT_EQ(cache.stats().bytes, cache_cost("a", *make_image("a-longer-name.tar")));
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

// Every entry found since it was queued gets a second chance, once: when all were found, the
// oldest goes, and the others must be found again to stay.
TEST(StringCache, WhenEveryEntryWasFoundTheOldestGoes) {
  LruCache<std::string> cache(3 * 100);
  for (std::string key : {"a", "b", "c"}) cache.insert(key, key, 100);
  for (std::string key : {"a", "b", "c"}) EXPECT_TRUE(cache.find(key));
  cache.insert("d", "d", 100);
  EXPECT_FALSE(cache.find("a"));
  EXPECT_TRUE(cache.find("c"));
  cache.insert("e", "e", 100);  // b's second chance was taken; c was found again
  EXPECT_FALSE(cache.find("b"));
  for (std::string key : {"c", "d", "e"}) EXPECT_TRUE(cache.find(key));
}

// Past the first table's size, every entry is still found by its key, and the accounts hold
// through replacements and evictions.
TEST(StringCache, ManyEntriesAreFoundAndEvictedInTurn) {
  constexpr int count = 10'000;
  LruCache<std::string> cache(count * 10);
  for (int i = 0; i < count; ++i) cache.insert("key-" + std::to_string(i), std::to_string(i), 10);
  EXPECT_EQ(cache.stats().entries, static_cast<std::size_t>(count));
  for (int i = 0; i < count; i += 7) {
    auto found = cache.find("key-" + std::to_string(i));
    ASSERT_TRUE(found);
    EXPECT_EQ(*found, std::to_string(i));
  }
  cache.insert("key-3", "three", 10);  // replaced: one entry, the same bytes
  EXPECT_EQ(cache.stats().entries, static_cast<std::size_t>(count));
  EXPECT_EQ(*cache.find("key-3"), "three");
  for (int i = 0; i < count / 2; ++i) cache.insert("new-" + std::to_string(i), "n", 10);
  EXPECT_EQ(cache.stats().entries, static_cast<std::size_t>(count));
  EXPECT_EQ(cache.stats().bytes, static_cast<std::size_t>(count) * 10);
  EXPECT_TRUE(cache.find("key-0"));  // found above: kept
  EXPECT_FALSE(cache.find("key-1"));
  EXPECT_TRUE(cache.find("new-0"));
}

TEST(StringCache, AKeyLongerThanTheLimitIsNotKept) {
  LruCache<std::string> cache(1 << 20);
  const std::string key(LruCache<std::string>::max_key_size + 1, 'k');
  cache.insert(key, "v", 10);
  EXPECT_FALSE(cache.find(key));
  EXPECT_EQ(cache.stats().entries, 0u);
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
