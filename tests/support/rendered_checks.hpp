// Checks (gtest) on an image's rendered documents.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/image/image.hpp"

namespace ocipfs::testing {

// Every document of `image` renders, appended, to its stored size and digest and is the one found
// by that digest.
inline void expect_rendered_as_stored(const Image& image) {
  ASSERT_FALSE(image.documents().empty());
  for (const auto& document : image.documents()) {
    std::string bytes = "before";
    image.render(document, bytes);
    ASSERT_EQ(bytes.substr(0, 6), "before");
    bytes.erase(0, 6);
    ASSERT_EQ(bytes.size(), document.size);
    ASSERT_EQ(sha256(bytes), document.digest);
    ASSERT_EQ(image.rendered(document), bytes);
    const Document* found = image.find_document(sha256_digest_text(document.digest));
    ASSERT_NE(found, nullptr);
    ASSERT_EQ(found->digest, document.digest);
  }
}

}  // namespace ocipfs::testing
