// Tests for the multibase codecs, against published vectors:
// - multiformats/multibase tests/basic.csv, tests/leading_zero.csv, tests/two_leading_zeros.csv,
//   tests/case_insensitivity.csv, rfcs/Base36.md; older tests/test1.csv and tests/test3.csv
// - bitcoin/bitcoin src/test/data/base58_encode_decode.json
// - RFC 4648 section 10 (base32 test vectors)
#include "ocipfs/formats/multibase.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using ::testing::HasSubstr;

using testing::from_hex;

// The error of a failed decode, or a marker that makes assertions on it fail.
template <class T>
std::string error_of(const Expected<T>& result) {
  return result ? std::string("<unexpected success>") : result.error();
}

std::string upper(std::string text) {
  for (char& c : text)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return text;
}

// ---------------------------------------------------------------------------------------------
// Multibase vectors (multiformats/multibase tests/*.csv), without the multibase prefix.

struct MultibaseVector {
  std::string bytes;
  std::string base32;  // "b" vectors; "B" is the same in upper case
  std::string base36;  // "k" vectors; empty when the file has none
  std::string base58btc;
};

std::vector<MultibaseVector> multibase_vectors() {
  return {
      // tests/basic.csv
      {"yes mani !", "pfsxgidnmfxgsibb", "2lcpzo5yikidynfl", "7paNL19xttacUY"},
      // tests/leading_zero.csv
      {std::string("\0yes mani !", 11), "ab4wk4zanvqw42jaee", "02lcpzo5yikidynfl",
       "17paNL19xttacUY"},
      // tests/two_leading_zeros.csv
      {std::string("\0\0yes mani !", 12), "aaahszltebwwc3tjeaqq", "002lcpzo5yikidynfl",
       "117paNL19xttacUY"},
      // tests/test1.csv (older revision)
      {"Decentralize everything!!", "irswgzloorzgc3djpjssazlwmvzhs5dinfxgoijb",
       "343ixo7d49hqj1ium15pgy1wzww5fxrid21td7l", "UXE7GvtEk8XTXs1GF8HSGbVA9FCX9SEBPe"},
      // tests/test3.csv (older revision)
      {"hello world", "nbswy3dpeb3w64tmmq", "", "StV1DL6CwTryKyV"},
  };
}

TEST(Base32, MultibaseVectors) {
  for (const auto& v : multibase_vectors()) {
    EXPECT_EQ(base32_lower_encode(v.bytes), v.base32);
    auto lower = base32_decode(v.base32);
    ASSERT_TRUE(lower) << v.base32 << ": " << lower.error();
    EXPECT_EQ(*lower, v.bytes);
    auto upper_case = base32_decode(upper(v.base32));
    ASSERT_TRUE(upper_case) << upper_case.error();
    EXPECT_EQ(*upper_case, v.bytes);
  }
}

TEST(Base32, Rfc4648Vectors) {
  // RFC 4648 section 10, without the padding.
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"f", "MY"},
      {"fo", "MZXQ"},
      {"foo", "MZXW6"},
      {"foob", "MZXW6YQ"},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI"},
  };
  for (const auto& [bytes, text] : vectors) {
    EXPECT_EQ(upper(base32_lower_encode(bytes)), text);
    auto decoded = base32_decode(text);
    ASSERT_TRUE(decoded) << text;
    EXPECT_EQ(*decoded, bytes);
  }
}

TEST(Base32, RejectsMixedCase) {
  // tests/case_insensitivity.csv says multibase decoders accept this; we refuse mixed case.
  EXPECT_THAT(error_of(base32_decode("nbswy3dpeB3W64TMMQ")), HasSubstr("mixed-case base32"));
}

TEST(Base32, RejectsPadding) {
  // tests/leading_zero.csv, base32pad, without its 'c' prefix.
  EXPECT_THAT(error_of(base32_decode("ab4wk4zanvqw42jaee======")), HasSubstr("padding"));
  EXPECT_THAT(error_of(base32_decode("my======")), HasSubstr("padding"));
}

TEST(Base32, RejectsImpossibleLengths) {
  for (std::string_view text : {"a", "aaa", "aaaaaa", "aaaaaaaaa", "aaaaaaaaaaa"}) {
    EXPECT_THAT(error_of(base32_decode(text)), HasSubstr("invalid base32 length")) << text;
  }
  for (std::string_view text : {"", "aa", "aaaa", "aaaaa", "aaaaaaa", "aaaaaaaa"}) {
    EXPECT_TRUE(base32_decode(text)) << text;
  }
}

TEST(Base32, RejectsCharactersOutsideTheAlphabet) {
  EXPECT_EQ(error_of(base32_decode("ma1a")), "invalid base32 character '1' at position 2");
  EXPECT_THAT(error_of(base32_decode("m8")), HasSubstr("'8'"));
  EXPECT_THAT(error_of(base32_decode("m0")), HasSubstr("'0'"));
  EXPECT_THAT(error_of(base32_decode("m ")), HasSubstr("byte 0x20"));
  EXPECT_THAT(error_of(base32_decode(std::string("m\x01", 2))), HasSubstr("byte 0x01"));
  EXPECT_THAT(error_of(base32_decode("m\xff")), HasSubstr("byte 0xff"));
}

TEST(Base32, IgnoresNonZeroTrailingBits) {
  // "MY" is the canonical encoding of "f"; "MZ" only differs in the two unused trailing bits.
  auto decoded = base32_decode("mz");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, "f");
}

TEST(Base58btc, MultibaseVectors) {
  for (const auto& v : multibase_vectors()) {
    EXPECT_EQ(base58btc_encode(v.bytes), v.base58btc);
    auto decoded = base58btc_decode(v.base58btc);
    ASSERT_TRUE(decoded) << v.base58btc << ": " << decoded.error();
    EXPECT_EQ(*decoded, v.bytes);
  }
}

TEST(Base58btc, BitcoinVectors) {
  // bitcoin/bitcoin src/test/data/base58_encode_decode.json
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"61", "2g"},
      {"626262", "a3gV"},
      {"636363", "aPEr"},
      {"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
      {"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
      {"516b6fcd0f", "ABnLTmg"},
      {"bf4f89001e670274dd", "3SEo3LWLoPntC"},
      {"572e4794", "3EFU7m"},
      {"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
      {"10c8511e", "Rt5zm"},
      {"00000000000000000000", "1111111111"},
      {std::string(80, '0'), std::string(40, '1')},
      {std::string(78, '0') + "01", std::string(39, '1') + "2"},
      {std::string(172, '0') + "ec39d04c37e71e5d591881f6",
       std::string(86, '1') + "5TYzLYH1udmLdzCLM"},
      {"000111d38e5fc9071ffcd20b4a763cc9ae4f252bb4e48fd66a835e252ada93ff480d6dd43dc62a641155a5",
       "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"},
      {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c"
       "2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f50515253545556575859"
       "5a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f80818283848586"
       "8788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3"
       "b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0"
       "e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
       "1cWB5HCBdLjAuqGGReWE3R3CguuwSjw6RHn39s2yuDRTS5NsBgNiFpWgAnEx6VQi8csexkgYw3mdYrMHr8x9i7aEwP"
       "8kZ7vccXWqKDvGv3u1GxFKPuAkn8JCPPGDMf3vMMnbzm6Nh9zh1gcNsMvH3ZNLmP5fSG6DGbbi2tuwMWPthr4boWwC"
       "xf7ewSgNQeacyozhKDDQQ1qL5fQFUW52QKUZDZ5fw3KXNQJMcNTcaB723LchjeKun7MuGW5qyCBZYzA1KjofN1gYBV"
       "3NqyhQJ3Ns746GNuf9N2pQPmHz4xpnSrrfCvy6TVVz5d4PdrjeshsWQwpZsZGzvbdAdN8MKV5QsBDY"},
      {"271F359E", "zzzzy"},
      {"271F359F", "zzzzz"},
      {"271F35A0", "211111"},
      {"271F35A1", "211112"},
  };
  for (const auto& [hex, text] : vectors) {
    const std::string bytes = from_hex(hex);
    EXPECT_EQ(base58btc_encode(bytes), text) << hex;
    auto decoded = base58btc_decode(text);
    ASSERT_TRUE(decoded) << text << ": " << decoded.error();
    EXPECT_EQ(*decoded, bytes) << text;
  }
}

TEST(Base58btc, RejectsCharactersOutsideTheAlphabet) {
  EXPECT_EQ(error_of(base58btc_decode("2g0")), "invalid base58btc character '0' at position 2");
  for (std::string_view text : {"O", "I", "l", "+", "/", "=", " "}) {
    EXPECT_THAT(error_of(base58btc_decode(text)), HasSubstr("invalid base58btc character")) << text;
  }
}

TEST(Base58btc, RejectsTooLongText) {
  EXPECT_THAT(error_of(base58btc_decode(std::string(5000, 'z'))), HasSubstr("too long"));
  EXPECT_TRUE(base58btc_decode(std::string(4096, 'z')));
}

TEST(Base36, MultibaseVectors) {
  for (const auto& v : multibase_vectors()) {
    if (v.base36.empty()) continue;
    EXPECT_EQ(base36_lower_encode(v.bytes), v.base36);
    auto decoded = base36_decode(v.base36);
    ASSERT_TRUE(decoded) << v.base36 << ": " << decoded.error();
    EXPECT_EQ(*decoded, v.bytes);
    auto upper_case = base36_decode(upper(v.base36));  // base36upper ("K") vectors
    ASSERT_TRUE(upper_case);
    EXPECT_EQ(*upper_case, v.bytes);
  }
}

TEST(Base36, RfcExamples) {
  // multiformats/multibase rfcs/Base36.md
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"0001", "01"}, {"0000ff", "0073"}, {"0100", "74"}, {"000100", "074"}};
  for (const auto& [hex, text] : vectors) {
    EXPECT_EQ(base36_lower_encode(from_hex(hex)), text);
    auto decoded = base36_decode(text);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, from_hex(hex));
  }
}

TEST(Base36, RejectsMixedCaseAndBadCharacters) {
  // tests/case_insensitivity.csv, base36, without its prefix: we refuse mixed case.
  EXPECT_THAT(error_of(base36_decode("fUvrsIvVnfRbjWaJo")), HasSubstr("mixed-case base36"));
  EXPECT_EQ(error_of(base36_decode("ab-c")), "invalid base36 character '-' at position 2");
  EXPECT_THAT(error_of(base36_decode("\x80")), HasSubstr("byte 0x80"));
  EXPECT_THAT(error_of(base36_decode(std::string(5000, '1'))), HasSubstr("too long"));
}

TEST(Codecs, RoundTripRandomBinaryWithLeadingZeros) {
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> zeros(0, 4);
  std::uniform_int_distribution<int> length(0, 80);
  for (int round = 0; round < 500; ++round) {
    std::string bytes(static_cast<std::size_t>(zeros(rng)), '\0');
    const int n = length(rng);
    for (int i = 0; i < n; ++i) bytes.push_back(static_cast<char>(byte(rng)));

    const std::string b32_text = base32_lower_encode(bytes);
    auto b32_back = base32_decode(b32_text);
    ASSERT_TRUE(b32_back) << b32_back.error();
    EXPECT_EQ(*b32_back, bytes);
    auto b32_upper_back = base32_decode(upper(b32_text));
    ASSERT_TRUE(b32_upper_back);
    EXPECT_EQ(*b32_upper_back, bytes);

    const std::string b58_text = base58btc_encode(bytes);
    auto b58_back = base58btc_decode(b58_text);
    ASSERT_TRUE(b58_back) << b58_back.error();
    EXPECT_EQ(*b58_back, bytes);

    const std::string b36_text = base36_lower_encode(bytes);
    auto b36_back = base36_decode(b36_text);
    ASSERT_TRUE(b36_back) << b36_back.error();
    EXPECT_EQ(*b36_back, bytes);
    auto b36_upper_back = base36_decode(upper(b36_text));
    ASSERT_TRUE(b36_upper_back);
    EXPECT_EQ(*b36_upper_back, bytes);
  }
}

TEST(Codecs, AllZeroBytes) {
  for (std::size_t n = 0; n <= 10; ++n) {
    const std::string zeros(n, '\0');
    EXPECT_EQ(base58btc_encode(zeros), std::string(n, '1'));
    EXPECT_EQ(base36_lower_encode(zeros), std::string(n, '0'));
    EXPECT_EQ(*base58btc_decode(std::string(n, '1')), zeros);
    EXPECT_EQ(*base36_decode(std::string(n, '0')), zeros);
    EXPECT_EQ(*base32_decode(base32_lower_encode(zeros)), zeros);
  }
}

// ---------------------------------------------------------------------------------------------
// Prefixes (multiformats/multibase multibase.csv).

TEST(MultibaseOf, NamesTheBasesItReads) {
  EXPECT_EQ(*multibase_of("bafy"), Multibase::base32);
  EXPECT_EQ(*multibase_of("BAFY"), Multibase::base32upper);
  EXPECT_EQ(*multibase_of("k51q"), Multibase::base36);
  EXPECT_EQ(*multibase_of("zb2r"), Multibase::base58btc);
}

TEST(MultibaseOf, NamesTheBasesItDoesNotRead) {
  EXPECT_EQ(error_of(multibase_of("f0155")), "unsupported multibase 'f' (base16)");
  EXPECT_EQ(error_of(multibase_of("Kabc")), "unsupported multibase 'K' (base36upper)");
  EXPECT_EQ(error_of(multibase_of("\xF0\x9F\x9A\x80x")), "unsupported multibase base256emoji");
  EXPECT_EQ(error_of(multibase_of("xyz")), "unknown multibase prefix 'x'");
  EXPECT_EQ(error_of(multibase_of(std::string("\x01", 1))), "unknown multibase prefix byte 0x01");
}

TEST(Base32LowerWriter, WritesWhatBase32LowerEncodeDoes) {
  for (std::string bytes : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    std::string out = "prefix:";
    Base32LowerWriter writer(out);
    for (char c : bytes) writer.put(static_cast<unsigned char>(c));
    writer.finish();
    EXPECT_EQ(out, "prefix:" + base32_lower_encode(bytes)) << bytes;
  }
}

}  // namespace
}  // namespace ocipfs
