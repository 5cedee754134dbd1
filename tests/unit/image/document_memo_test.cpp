// The memo of large rendered documents: the bytes it gives are the document's, and it keeps only
// what it may, as many as it may.
#include "ocipfs/image/document_memo.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ocipfs/image/image_document.hpp"
#include "ocipfs/image/layer_manifest.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

// An image of `layers` layers whose manifest is large: each layer a distinct file.
Image large_image(int layers, const std::string& title) {
  ImageDocument document;
  document.annotations["org.opencontainers.image.title"] = title;
  std::vector<LayerManifest> manifests;
  for (int i = 0; i < layers; ++i) {
    manifests.push_back(*parse_layer_manifest(
        testing::layer_manifest_json("layer-" + std::to_string(i) + ".tar.gz")));
    document.layers.push_back(*parse_cid(testing::raw_cid_of(std::to_string(i))));
  }
  return *compose_image(testing::raw_cid_of(title), document, std::move(manifests));
}

TEST(DocumentMemo, GivesTheRenderedBytesAndKeepsTheLargeOnes) {
  const Image image = large_image(40, "memo");
  DocumentMemo memo;
  for (const Document& document : image.documents()) {
    const std::string expected = image.rendered(document);
    for (int time = 0; time < 2; ++time) {
      std::string out = "before";
      memo.render(image, document, out);
      ASSERT_EQ(out, "before" + expected);
    }
    const bool large = document.size >= DocumentMemo::min_size;
    EXPECT_EQ(memo.holds(document.digest), large) << document.size;
  }
}

TEST(DocumentMemo, KeepsTheMostRecentlyUsedSlots) {
  std::vector<Image> images;
  for (std::size_t i = 0; i <= DocumentMemo::slots; ++i)
    images.push_back(large_image(40, "image " + std::to_string(i)));
  DocumentMemo memo;
  std::string out;
  auto render = [&](const Image& image) {
    out.clear();
    memo.render(image, image.default_manifest(), out);
    ASSERT_EQ(out, image.rendered(image.default_manifest()));
  };
  for (std::size_t i = 0; i < DocumentMemo::slots; ++i) render(images[i]);
  render(images[0]);                    // used again: the oldest is now images[1]
  render(images[DocumentMemo::slots]);  // takes images[1]'s slot
  EXPECT_TRUE(memo.holds(images[0].default_manifest().digest));
  EXPECT_FALSE(memo.holds(images[1].default_manifest().digest));
  EXPECT_TRUE(memo.holds(images[DocumentMemo::slots].default_manifest().digest));
}

}  // namespace
}  // namespace ocipfs
