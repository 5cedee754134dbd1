// The canonical JSON writer against nlohmann's dump(), and the binary digest helpers.
#include "ocipfs/base/canonical_json.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "ocipfs/base/digest.hpp"

namespace ocipfs {
namespace {

std::string as_json_string(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

TEST(CanonicalJson, EscapesAsDumpDoes) {
  EXPECT_EQ(as_json_string(""), "\"\"");
  EXPECT_EQ(as_json_string("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
  EXPECT_EQ(as_json_string("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
  EXPECT_EQ(as_json_string(std::string("\0\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
  EXPECT_EQ(as_json_string("é/日本"), "\"é/日本\"");
}

// Random valid UTF-8 of every class: controls, escapes, ASCII, 2, 3 and 4 byte sequences.
std::string random_utf8(std::mt19937& random) {
  static const std::vector<std::string> pieces = {"\"",
                                                  "\\",
                                                  "\b",
                                                  "\f",
                                                  "\n",
                                                  "\r",
                                                  "\t",
                                                  std::string(1, '\0'),
                                                  "\x01",
                                                  "\x1b",
                                                  "\x1f",
                                                  "\x7f",
                                                  "a",
                                                  "Z",
                                                  "/",
                                                  " ",
                                                  "é",
                                                  "ß",
                                                  "日",
                                                  "本",
                                                  "\xf0\x9f\x90\xb3",
                                                  "\u2028"};
  std::string out;
  for (auto n = random() % 12; n > 0; --n) out += pieces[random() % pieces.size()];
  return out;
}

TEST(CanonicalJson, StringsAreWhatDumpWrites) {
  std::mt19937 random(31);
  for (int i = 0; i < 5000; ++i) {
    std::string text = random_utf8(random);
    ASSERT_EQ(as_json_string(text), nlohmann::json(text).dump()) << nlohmann::json(text).dump();
  }
}

// Every ASCII byte, at every position of a text long enough to be read eight bytes at a time, in
// a run of plain bytes and beside another byte that needs escaping.
TEST(CanonicalJson, EveryByteAtEveryPositionOfALongText) {
  for (int c = 0; c < 0x80; ++c)
    for (std::size_t at = 0; at < 20; ++at) {
      std::string text(20, 'a');
      text[at] = static_cast<char>(c);
      ASSERT_EQ(as_json_string(text), nlohmann::json(text).dump()) << c << " at " << at;
      text[19 - at] = '"';
      ASSERT_EQ(as_json_string(text), nlohmann::json(text).dump()) << c << " at " << at;
    }
}

TEST(CanonicalJson, NumbersAreDecimal) {
  for (std::uint64_t number : {std::uint64_t{0}, std::uint64_t{7}, std::uint64_t{628},
                               std::uint64_t{1} << 53, std::numeric_limits<std::uint64_t>::max()}) {
    std::string out = "x";
    append_json_number(out, number);
    EXPECT_EQ(out, "x" + nlohmann::json(number).dump());
  }
}

TEST(Sha256Digest, AppendsAndParsesTheTextForm) {
  const Sha256 hash = sha256("hello");
  std::string out = "<";
  append_sha256_digest(out, hash);
  EXPECT_EQ(out, "<" + sha256_digest("hello"));
  EXPECT_EQ(sha256_of_digest(sha256_digest("hello")), hash);
  EXPECT_FALSE(sha256_of_digest("sha256:" + std::string(64, 'A')));
  EXPECT_FALSE(sha256_of_digest("sha512:" + to_hex(hash)));
  EXPECT_FALSE(sha256_of_digest(sha256_digest("hello") + "0"));
  EXPECT_FALSE(sha256_of_digest(""));
}

}  // namespace
}  // namespace ocipfs
