// Text for messages and pages: HTML escaping, lists of words.
#include "ocipfs/base/text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace ocipfs {
namespace {

TEST(HtmlEscape, EscapesTheFiveCharactersThatEndTextOrAnAttribute) {
  EXPECT_EQ(html_escape("&"), "&amp;");
  EXPECT_EQ(html_escape("<"), "&lt;");
  EXPECT_EQ(html_escape(">"), "&gt;");
  EXPECT_EQ(html_escape("\""), "&quot;");
  EXPECT_EQ(html_escape("'"), "&#39;");
  EXPECT_EQ(html_escape("<img src=x onerror=alert(1)>.tar.gz"),
            "&lt;img src=x onerror=alert(1)&gt;.tar.gz");
  EXPECT_EQ(html_escape("a\"b'c&amp;"), "a&quot;b&#39;c&amp;amp;");
}

TEST(HtmlEscape, KeepsEverythingElse) {
  EXPECT_EQ(html_escape(""), "");
  EXPECT_EQ(html_escape("hello.tar.gz /ipfs/bafy é\t"), "hello.tar.gz /ipfs/bafy é\t");
}

TEST(Joined, SeparatesWordsWithACommaAndASpace) {
  using Words = std::vector<std::string>;
  EXPECT_EQ(joined(Words{}), "");
  EXPECT_EQ(joined(Words{"latest"}), "latest");
  EXPECT_EQ(joined(Words{"latest", "hello.tar.gz", "v1"}), "latest, hello.tar.gz, v1");
  const std::string_view views[] = {"latest", "v1"};
  EXPECT_EQ(joined(views), "latest, v1");
}

TEST(DecimalNumber, TakesOnlyARunOfDigitsThatFits) {
  EXPECT_EQ(decimal_number("0"), 0u);
  EXPECT_EQ(decimal_number("18446744073709551615"), 18446744073709551615u);
  for (std::string_view bad : {"", "18446744073709551616", "+1", "-1", " 1", "1 ", "1a", "0x1"})
    EXPECT_EQ(decimal_number(bad), std::nullopt) << bad;
}

TEST(HexDigitValue, EitherCaseElseMinusOne) {
  EXPECT_EQ(hex_digit_value('0'), 0);
  EXPECT_EQ(hex_digit_value('9'), 9);
  EXPECT_EQ(hex_digit_value('a'), 10);
  EXPECT_EQ(hex_digit_value('F'), 15);
  for (char bad : {'g', 'G', '/', ':', '@', '`', ' ', '\0'}) EXPECT_EQ(hex_digit_value(bad), -1);
}

}  // namespace
}  // namespace ocipfs
