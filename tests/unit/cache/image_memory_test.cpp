// What a cached layer image holds on the heap, measured by glibc, against what the cache is
// charged for it: the cache's budget is only as good as that figure, and it is at most 1.5 KB.
#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdio>
#include <vector>

#include "ocipfs/cache/caching_resolver.hpp"
#include "ocipfs/cache/resolver.hpp"
#include "support/sanitizers.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

std::size_t heap_in_use() { return mallinfo2().uordblks; }

// The content of a distinct layer manifest for each `i`, as a gateway would give it.
std::string layer_content(std::size_t i) {
  return testing::layer_manifest_json("layer-" + std::to_string(i) + ".tar.gz");
}

// The cache, images and all: what the heap grows by per layer image kept is what the cache is
// charged for it, or a little less.
TEST(ImageMemory, CacheCostCoversWhatACachedLayerImageHolds) {
  if (testing::sanitized) GTEST_SKIP() << "a sanitizer's allocator keeps its own bookkeeping";
  constexpr std::size_t count = 20'000;
  std::vector<std::string> contents;
  std::vector<Cid> cids;
  for (std::size_t i = 0; i < count; ++i) {
    contents.push_back(layer_content(i));
    cids.push_back(*parse_cid(testing::raw_cid_of(contents.back())));
  }
  ResolverShared shared(std::size_t{1} << 30);
  const std::size_t before = heap_in_use();
  for (std::size_t i = 0; i < count; ++i)
    shared.keep(ImageKey(DocumentKind::layer, cids[i].v1()).view(),
                build_image(DocumentKind::layer, cids[i], Content(contents[i])));
  const std::size_t held = (heap_in_use() - before) / count;
  ASSERT_EQ(shared.images.stats().entries, count);
  const std::size_t costed = shared.images.stats().bytes / count;
  std::printf("a cached layer image holds %zu bytes of heap; the cache is charged %zu\n", held,
              costed);
  EXPECT_GE(costed, held);
  EXPECT_LE(costed, held + held / 10);  // an honest figure, not a padded one
  // An image is its facts: the default 128 MiB cache holds at least 80,000 layer images.
  EXPECT_LE(costed, 1536u);
}

}  // namespace
}  // namespace ocipfs
