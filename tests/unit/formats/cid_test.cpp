// Tests for CIDs, against published vectors (the multibase codecs and varints they are written
// in are tested in multibase_test.cpp and varint_test.cpp):
// - multiformats/cid README.md (zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA)
// - ipfs-inactive/blog content/post/61-js-ipfs-0.34.md (QmT78... in base32 and base64url)
// - ipfs/ipfs-docs docs/how-to/address-ipfs-on-web.md (ipfs cid base32, libp2p-key CIDs)
// - ipld/ipld specs/codecs/dag-cbor/fixtures/cross-codec/index.md (a dag-cbor CID)
#include "ocipfs/formats/cid.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/formats/multibase.hpp"
#include "support/test_data.hpp"

namespace ocipfs {
namespace {

using ::testing::HasSubstr;

using testing::from_hex;

std::string sha256_bytes(std::string_view data) {
  const Sha256 hash = sha256(data);
  return std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
}

std::string upper(std::string text) {
  for (char& c : text)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return text;
}

// The error of a failed parse, or a marker that makes assertions on it fail.
template <class T>
std::string error_of(const Expected<T>& result) {
  return result ? std::string("<unexpected success>") : result.error();
}

std::string cid_error(std::string_view text) { return error_of(parse_cid(text)); }

// "b" + base32 of a binary CID.
std::string b32(std::string_view binary) { return "b" + base32_lower_encode(binary); }

// ---------------------------------------------------------------------------------------------
// CIDs.

// "hello world\n" added with `ipfs add` (CIDv0, a dag-pb UnixFS file) and its CIDv1 form
// (ipfs-inactive/blog content/post/61-js-ipfs-0.34.md).
constexpr std::string_view kHelloV0 = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o";
constexpr std::string_view kHelloV1 = "bafybeicg2rebjoofv4kbyovkw7af3rpiitvnl6i7ckcywaq6xjcxnc2mby";
// The same file as a raw block (CIDv1, raw codec): its digest is sha256("hello world\n").
constexpr std::string_view kHelloRaw =
    "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4";
// The empty UnixFS directory.
constexpr std::string_view kEmptyDirV0 = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn";
constexpr std::string_view kEmptyDirV1 =
    "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354";

TEST(Cid, ParsesCidv0) {
  auto cid = parse_cid(kHelloV0);
  ASSERT_TRUE(cid) << cid.error();
  EXPECT_EQ(cid->version, 0);
  EXPECT_EQ(cid->codec, multicodec::dag_pb);
  EXPECT_EQ(cid->hash, multihash::sha2_256);
  // The dag-pb block of a one-chunk UnixFS file: PBNode{Data: UnixFS{Type: File, Data, filesize}}.
  const std::string block = from_hex("0a120802120c") + "hello world\n" + from_hex("180c");
  EXPECT_EQ(cid->digest, sha256_bytes(block));
  EXPECT_EQ(cid->to_string(), kHelloV1);
  EXPECT_EQ(cid->v1_bytes(), from_hex("01701220") + cid->digest);
}

TEST(Cid, Cidv0ToCidv1) {
  // ipfs/ipfs-docs docs/how-to/address-ipfs-on-web.md: `ipfs cid base32` and the subdomain
  // gateway redirect.
  const std::vector<std::pair<std::string_view, std::string_view>> pairs = {
      {kHelloV0, kHelloV1},
      {kEmptyDirV0, kEmptyDirV1},
      {"QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR",
       "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"},
      {"QmT5NvUtoM5nWFfrQdVrFtvGfKFmG7AHE8P34isapyhCxX",
       "bafybeicgmdpvw4duutrmdxl4a7gc52sxyuk7nz5gby77afwdteh3jc5bqa"},
  };
  for (const auto& [v0, v1] : pairs) {
    auto old_cid = parse_cid(v0);
    auto new_cid = parse_cid(v1);
    ASSERT_TRUE(old_cid) << v0 << ": " << old_cid.error();
    ASSERT_TRUE(new_cid) << v1 << ": " << new_cid.error();
    EXPECT_EQ(old_cid->to_string(), v1);
    EXPECT_EQ(new_cid->to_string(), v1);
    EXPECT_EQ(new_cid->version, 1);
    EXPECT_EQ(new_cid->codec, multicodec::dag_pb);
    EXPECT_EQ(old_cid->digest, new_cid->digest);
    EXPECT_EQ(old_cid->v1_bytes(), new_cid->v1_bytes());
    EXPECT_EQ("Qm" + std::string(v0.substr(2)), base58btc_encode("\x12\x20" + new_cid->digest));
  }
}

TEST(Cid, EmptyDirectoryDigestIsItsBlock) {
  auto cid = parse_cid(kEmptyDirV1);
  ASSERT_TRUE(cid);
  // The empty directory is the dag-pb block PBNode{Data: UnixFS{Type: Directory}} = 0a 02 08 01.
  EXPECT_EQ(cid->digest, sha256_bytes(from_hex("0a020801")));
}

TEST(Cid, ParsesRawCidv1) {
  auto cid = parse_cid(kHelloRaw);
  ASSERT_TRUE(cid) << cid.error();
  EXPECT_EQ(cid->version, 1);
  EXPECT_EQ(cid->codec, multicodec::raw);
  EXPECT_EQ(cid->hash, multihash::sha2_256);
  EXPECT_EQ(cid->digest, sha256_bytes("hello world\n"));
  EXPECT_EQ(to_hex(cid->digest),
            "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447");
  EXPECT_EQ(cid->to_string(), kHelloRaw);
  EXPECT_EQ(cid->v1_bytes(), from_hex("01551220") + cid->digest);
}

TEST(Cid, SpecExampleInBase58btc) {
  // multiformats/cid README.md: base58btc - cidv1 - raw - sha2-256-256-6e6ff795...
  auto cid = parse_cid("zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA");
  ASSERT_TRUE(cid) << cid.error();
  EXPECT_EQ(cid->version, 1);
  EXPECT_EQ(cid->codec, multicodec::raw);
  EXPECT_EQ(cid->hash, multihash::sha2_256);
  EXPECT_EQ(to_hex(cid->digest),
            "6e6ff7950a36187a801613426e858dce686cd7d7e3c0fc42ee0330072d245c95");
  EXPECT_EQ(cid->to_string(), b32(from_hex("01551220") + cid->digest));
  EXPECT_FALSE(is_lowercase_cid("zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA"));
  EXPECT_TRUE(is_lowercase_cid(cid->to_string()));
}

TEST(Cid, SameCidInEveryMultibase) {
  for (std::string_view canonical : {kHelloV1, kEmptyDirV1, kHelloRaw}) {
    auto reference = parse_cid(canonical);
    ASSERT_TRUE(reference) << reference.error();
    const std::string binary = reference->v1_bytes();
    const std::vector<std::string> forms = {
        std::string(canonical),
        "B" + upper(std::string(canonical.substr(1))),
        "k" + base36_lower_encode(binary),
        "z" + base58btc_encode(binary),
    };
    for (const auto& form : forms) {
      auto cid = parse_cid(form);
      ASSERT_TRUE(cid) << form << ": " << cid.error();
      EXPECT_EQ(*cid, *reference) << form;
      EXPECT_EQ(cid->to_string(), canonical) << form;
    }
  }
  // The CIDv0 form is the same content; only the version differs.
  auto v0 = parse_cid(kHelloV0);
  auto v1 = parse_cid(kHelloV1);
  ASSERT_TRUE(v0 && v1);
  EXPECT_EQ(v0->version, 0);
  EXPECT_EQ(v0->codec, v1->codec);
  EXPECT_EQ(v0->hash, v1->hash);
  EXPECT_EQ(v0->digest, v1->digest);
  EXPECT_EQ(v0->to_string(), v1->to_string());
}

TEST(Cid, IdentityMultihash) {
  // "bafkqaaa": CIDv1, raw, identity multihash of no bytes (used by boxo as its ping CID).
  auto empty = parse_cid("bafkqaaa");
  ASSERT_TRUE(empty) << empty.error();
  EXPECT_EQ(empty->codec, multicodec::raw);
  EXPECT_EQ(empty->hash, multihash::identity);
  EXPECT_EQ(empty->digest, "");
  EXPECT_EQ(empty->v1_bytes(), from_hex("01550000"));
  EXPECT_EQ(empty->to_string(), "bafkqaaa");

  const std::string max_digest(128, 'x');
  auto largest = parse_cid(b32(from_hex("0155008001") + max_digest));
  ASSERT_TRUE(largest) << largest.error();
  EXPECT_EQ(largest->digest, max_digest);
  EXPECT_EQ(parse_cid(largest->to_string())->digest, max_digest);

  EXPECT_EQ(cid_error(b32(from_hex("0155008101") + std::string(129, 'x'))),
            "identity digest too long (129 bytes, at most 128)");
}

TEST(Cid, IsLowercaseCid) {
  auto hello = parse_cid(kHelloV1);
  ASSERT_TRUE(hello);
  const std::string base36_form = "k" + base36_lower_encode(hello->v1_bytes());
  EXPECT_TRUE(is_lowercase_cid(kHelloV1));
  EXPECT_TRUE(is_lowercase_cid(kHelloRaw));
  EXPECT_TRUE(is_lowercase_cid(base36_form));
  EXPECT_FALSE(is_lowercase_cid(kHelloV0));
  EXPECT_FALSE(is_lowercase_cid("B" + upper(std::string(kHelloV1.substr(1)))));
  EXPECT_FALSE(is_lowercase_cid("z" + base58btc_encode(hello->v1_bytes())));
  EXPECT_FALSE(is_lowercase_cid("b" + upper(std::string(kHelloV1.substr(1)))));
  EXPECT_FALSE(is_lowercase_cid(upper(base36_form)));
  EXPECT_FALSE(is_lowercase_cid(""));
  EXPECT_FALSE(is_lowercase_cid("b"));
  EXPECT_FALSE(is_lowercase_cid("bafyreihdb57fdysx5h35urvxz64ros7zvywshber7id6t6c6fek37jgyfe"));
}

// --- Rejections -------------------------------------------------------------------------------

TEST(CidRejects, EmptyAndOverlongText) {
  EXPECT_EQ(cid_error(""), "empty cid");
  EXPECT_EQ(cid_error("b" + std::string(600, 'a')), "cid too long (601 characters, at most 512)");
  EXPECT_EQ(cid_error("b"), "cid has no content after the multibase prefix");
}

TEST(CidRejects, UnknownAndUnsupportedMultibases) {
  EXPECT_EQ(cid_error("xyz"), "unknown multibase prefix 'x'");
  EXPECT_EQ(cid_error("/ipfs/" + std::string(kHelloV1)), "unknown multibase prefix '/'");
  EXPECT_EQ(cid_error(std::string("\x01rest", 5)), "unknown multibase prefix byte 0x01");
  EXPECT_EQ(cid_error(" " + std::string(kHelloV1)), "unknown multibase prefix byte 0x20");
  // ipfs-inactive/blog content/post/61-js-ipfs-0.34.md: QmT78... as base64url.
  EXPECT_EQ(cid_error("uAXASIEbUSBS5xa8UHDqqt8BdxehE6tX5HxKFiwIeukV2i0wO"),
            "unsupported multibase 'u' (base64url)");
  EXPECT_EQ(cid_error("f01701220" + to_hex(sha256_bytes("x"))),
            "unsupported multibase 'f' (base16)");
  EXPECT_EQ(cid_error("K" + upper(base36_lower_encode(from_hex("01551220") + sha256_bytes("x")))),
            "unsupported multibase 'K' (base36upper)");
  EXPECT_EQ(cid_error("\xF0\x9F\x9A\x80\xF0\x9F\x9A\x80"), "unsupported multibase base256emoji");
}

TEST(CidRejects, InvalidCharacters) {
  std::string text(kHelloV1);
  text[10] = '1';
  EXPECT_EQ(cid_error(text), "invalid base32 character '1' at position 9");
  text[10] = '\n';
  EXPECT_EQ(cid_error(text), "invalid base32 character byte 0x0a at position 9");

  std::string v0(kHelloV0);
  v0[20] = 'l';
  EXPECT_EQ(cid_error(v0), "invalid base58btc character 'l' at position 20");

  EXPECT_THAT(cid_error("k51qzi5uqu5d_vj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8"),
              HasSubstr("invalid base36 character '_'"));
  EXPECT_THAT(cid_error("zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93b0"),
              HasSubstr("invalid base58btc character '0'"));
  EXPECT_THAT(cid_error(std::string(kHelloV1) + "="), HasSubstr("padding"));
  EXPECT_THAT(cid_error(std::string(kHelloV1) + "a"), HasSubstr("invalid base32 length"));
}

TEST(CidRejects, MixedOrWrongCase) {
  std::string mixed(kHelloV1);
  mixed[5] = 'E';
  EXPECT_EQ(cid_error(mixed), "mixed-case base32");
  EXPECT_EQ(cid_error("b" + upper(std::string(kHelloV1.substr(1)))),
            "base32 cid with prefix 'b' must be lowercase");
  EXPECT_EQ(cid_error("B" + std::string(kHelloV1.substr(1))),
            "base32upper cid with prefix 'B' must be uppercase");
  auto hello = parse_cid(kHelloV1);
  ASSERT_TRUE(hello);
  const std::string base36_form = base36_lower_encode(hello->v1_bytes());
  EXPECT_EQ(cid_error("k" + upper(base36_form)), "base36 cid with prefix 'k' must be lowercase");
  std::string mixed36 = "k" + base36_form;
  for (char& c : mixed36) {
    if (c >= 'a' && c <= 'z' && &c != &mixed36[0]) {
      c = static_cast<char>(c - 'a' + 'A');
      break;
    }
  }
  EXPECT_EQ(cid_error(mixed36), "mixed-case base36");
}

TEST(CidRejects, MalformedCidv0) {
  EXPECT_EQ(cid_error(kHelloV0.substr(0, 45)), "cidv0 must be 46 characters, not 45");
  EXPECT_EQ(cid_error(std::string(kHelloV0) + "a"), "cidv0 must be 46 characters, not 47");
  EXPECT_EQ(cid_error("Qm"), "cidv0 must be 46 characters, not 2");
  // Decodes to 12 22 ...: not a 32-byte sha2-256 multihash.
  EXPECT_EQ(cid_error("Qm" + std::string(44, 'z')), "cidv0 is not a sha2-256 multihash");
  EXPECT_EQ(cid_error("Qm" + std::string(44, '1')), "cidv0 is not a sha2-256 multihash");
}

TEST(CidRejects, Cidv0InsideAMultibase) {
  const std::string v0_binary = *base58btc_decode(kHelloV0);
  ASSERT_EQ(v0_binary.substr(0, 2), from_hex("1220"));
  for (const std::string& text :
       {b32(v0_binary), "z" + std::string(kHelloV0), "k" + base36_lower_encode(v0_binary)}) {
    EXPECT_EQ(cid_error(text),
              "cidv0 must not be multibase-encoded; use its base58btc form or cidv1")
        << text;
  }
}

TEST(CidRejects, UnsupportedVersions) {
  const std::string rest = from_hex("701220") + sha256_bytes("x");
  EXPECT_EQ(cid_error(b32(from_hex("00") + rest)), "cid version 0 must not be multibase-encoded");
  EXPECT_EQ(cid_error(b32(from_hex("02") + rest)), "unsupported cid version 2");
  EXPECT_EQ(cid_error(b32(from_hex("03") + rest)), "unsupported cid version 3");
  EXPECT_EQ(cid_error(b32(from_hex("8001") + rest)), "unsupported cid version 128");
  EXPECT_EQ(cid_error(b32(from_hex("80"))), "invalid cid version: truncated varint");
  EXPECT_EQ(cid_error(b32(from_hex("8100") + rest)), "invalid cid version: non-minimal varint");
}

TEST(CidRejects, UnsupportedMulticodecs) {
  // ipld/ipld specs/codecs/dag-cbor/fixtures/cross-codec/index.md (array-2).
  EXPECT_EQ(cid_error("bafyreihdb57fdysx5h35urvxz64ros7zvywshber7id6t6c6fek37jgyfe"),
            "unsupported multicodec 0x71 (dag-cbor)");
  // ipfs/ipfs-docs docs/how-to/address-ipfs-on-web.md: an IPNS name and a PeerID as CIDs.
  EXPECT_EQ(cid_error("k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8"),
            "unsupported multicodec 0x72 (libp2p-key)");
  EXPECT_EQ(cid_error("k2k4r8jl0yz8qjgqbmc2cdu5hkqek5rj6flgnlkyywynci20j0iuyfuj"),
            "unsupported multicodec 0x72 (libp2p-key)");
  // That PeerID CID holds the multihash of QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN.
  EXPECT_EQ(*base36_decode("2k4r8jl0yz8qjgqbmc2cdu5hkqek5rj6flgnlkyywynci20j0iuyfuj"),
            from_hex("0172") + *base58btc_decode("QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN"));

  const std::string multihash = from_hex("1220") + sha256_bytes("x");
  const std::vector<std::pair<std::string, std::string>> codecs = {
      {"78", "unsupported multicodec 0x78 (git-raw)"},
      {"a902", "unsupported multicodec 0x0129 (dag-json)"},
      {"8004", "unsupported multicodec 0x0200 (json)"},
      {"51", "unsupported multicodec 0x51 (cbor)"},
      {"00", "unsupported multicodec 0x00 (identity)"},
      {"b424", "unsupported multicodec 0x1234"},
  };
  for (const auto& [codec_hex, message] : codecs) {
    EXPECT_EQ(cid_error(b32(from_hex("01") + from_hex(codec_hex) + multihash)), message);
  }
  EXPECT_EQ(cid_error(b32(from_hex("01d500") + multihash)),
            "invalid multicodec: non-minimal varint");
  EXPECT_EQ(cid_error(b32(from_hex("01"))), "invalid multicodec: truncated varint");
}

TEST(CidRejects, UnsupportedMultihashes) {
  const std::vector<std::pair<std::string, std::string>> hashes = {
      {"1340", "unsupported multihash 0x13 (sha2-512)"},
      {"1e20", "unsupported multihash 0x1e (blake3)"},
      {"a0e40220", "unsupported multihash 0xb220 (blake2b-256)"},
      {"1620", "unsupported multihash 0x16 (sha3-256)"},
      {"1b20", "unsupported multihash 0x1b (keccak-256)"},
      {"1114", "unsupported multihash 0x11 (sha1)"},
      {"7720", "unsupported multihash 0x77"},
  };
  for (const auto& [prefix_hex, message] : hashes) {
    EXPECT_EQ(cid_error(b32(from_hex("0155") + from_hex(prefix_hex) + std::string(32, 'x'))),
              message);
  }
  EXPECT_EQ(cid_error(b32(from_hex("0155"))), "invalid multihash code: truncated varint");
  EXPECT_EQ(cid_error(b32(from_hex("015512"))), "invalid multihash length: truncated varint");
}

TEST(CidRejects, DigestLengthProblems) {
  const std::string digest = sha256_bytes("hello world\n");
  EXPECT_EQ(cid_error(b32(from_hex("0155121f") + digest.substr(0, 31))),
            "sha2-256 digest length must be 32, not 31");
  EXPECT_EQ(cid_error(b32(from_hex("01551240") + digest + digest)),
            "sha2-256 digest length must be 32, not 64");
  EXPECT_EQ(cid_error(b32(from_hex("01551220") + digest.substr(0, 31))),
            "truncated digest (31 of 32 bytes)");
  EXPECT_EQ(cid_error(b32(from_hex("01551220"))), "truncated digest (0 of 32 bytes)");
  EXPECT_EQ(cid_error(b32(from_hex("01551220") + digest + "!")),
            "trailing data after the cid (1 bytes)");
  EXPECT_EQ(cid_error(b32(from_hex("01550003") + "ab")), "truncated digest (2 of 3 bytes)");
  EXPECT_EQ(cid_error(b32(from_hex("01550002") + "abc")), "trailing data after the cid (1 bytes)");
  // Sanity: the same bytes without the damage parse.
  EXPECT_TRUE(parse_cid(b32(from_hex("01551220") + digest)));
}

// Every error message is short, lowercase (apart from a quoted input character) and printable.
void expect_safe_message(std::string_view input) {
  auto result = parse_cid(input);
  if (result) return;
  const std::string& message = result.error();
  EXPECT_FALSE(message.empty());
  EXPECT_LE(message.size(), 100u) << message;
  for (std::size_t i = 0; i < message.size(); ++i) {
    const char c = message[i];
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "non-printable byte in: " << message;
    const bool quoted =
        i > 0 && i + 1 < message.size() && message[i - 1] == '\'' && message[i + 1] == '\'';
    if (!quoted) {
      EXPECT_FALSE(c >= 'A' && c <= 'Z') << "uppercase in: " << message;
    }
  }
}

TEST(CidRejects, MessagesAreSafeToShow) {
  std::vector<std::string> inputs = {
      "",
      std::string(513, 'A'),
      std::string("b\x00\x01\x02", 4),
      "bAFY" + std::string(400, '\x7f'),
      "Qm" + std::string(44, '\xff'),
      "\xe2\x82\xac" + std::string(kHelloV1),
      "z" + std::string(300, 'Z'),
      "k" + std::string(200, 'Z'),
      "B" + std::string(200, 'a'),
      "<script>alert(1)</script>",
  };
  for (const auto& input : inputs) expect_safe_message(input);
  EXPECT_EQ(cid_error(std::string("b\x00\x01\x02", 4)),
            "invalid base32 character byte 0x00 at position 0");
}

TEST(CidRejects, SurvivesMutationsOfValidCids) {
  // Every single-character change of a valid CID either fails cleanly or yields a CID that
  // round-trips through its canonical form.
  const std::string alphabet =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ=+/_-\x01\xff";
  auto hello = parse_cid(kHelloV1);
  ASSERT_TRUE(hello);
  const std::vector<std::string> seeds = {std::string(kHelloV0),
                                          std::string(kHelloV1),
                                          std::string(kHelloRaw),
                                          "bafkqaaa",
                                          "k" + base36_lower_encode(hello->v1_bytes()),
                                          "z" + base58btc_encode(hello->v1_bytes())};
  for (const auto& seed : seeds) {
    for (std::size_t i = 0; i < seed.size(); ++i) {
      for (char c : alphabet) {
        std::string text = seed;
        text[i] = c;
        auto cid = parse_cid(text);
        expect_safe_message(text);
        if (!cid) continue;
        auto again = parse_cid(cid->to_string());
        ASSERT_TRUE(again) << text;
        EXPECT_EQ(again->digest, cid->digest);
        EXPECT_EQ(again->codec, cid->codec);
        EXPECT_EQ(again->hash, cid->hash);
      }
      std::string shorter = seed;
      shorter.erase(i, 1);
      expect_safe_message(shorter);
    }
  }
}

TEST(CidRejects, SurvivesRandomText) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 120);
  const std::string prefixes = "bBkzQfmuK";
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    if (round % 2 == 0)
      text.push_back(prefixes[static_cast<std::size_t>(round / 2) % prefixes.size()]);
    const int n = length(rng);
    for (int i = 0; i < n; ++i) {
      // Mostly alphanumerics so that decoding gets past the alphabet check.
      const int b = byte(rng);
      text.push_back(b < 200 ? "abcdefghijklmnopqrstuvwxyz234567"[b % 32] : static_cast<char>(b));
    }
    expect_safe_message(text);
    auto cid = parse_cid(text);
    if (cid) {
      EXPECT_TRUE(parse_cid(cid->to_string()));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Binary CIDs at the front of a byte string (CAR sections and header links).

// The error of read_cid_bytes, checking that a failed read leaves its input where it was.
std::string read_error(std::string_view binary) {
  std::string_view view = binary;
  auto cid = read_cid_bytes(view);
  EXPECT_EQ(view.size(), binary.size());
  return error_of(cid);
}

TEST(ReadCidBytes, ReadsCidv1AndLeavesWhatFollows) {
  const std::string digest = sha256_bytes("hello world");
  const std::string binary = from_hex("01551220") + digest;
  const std::string input = binary + "rest";
  std::string_view view = input;
  auto cid = read_cid_bytes(view);
  ASSERT_TRUE(cid) << cid.error();
  EXPECT_EQ(*cid, (Cid{1, multicodec::raw, multihash::sha2_256, digest}));
  EXPECT_EQ(cid->to_string(), "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
  EXPECT_EQ(view, "rest");
  EXPECT_EQ(*parse_cid(cid->to_string()), *cid);
}

TEST(ReadCidBytes, ReadsCidv0AsItsMultihash) {
  // QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn, the empty UnixFS directory.
  const Cid v0 = *parse_cid("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
  const std::string input = from_hex("1220") + v0.digest + "\x0a\x02";
  std::string_view view = input;
  auto cid = read_cid_bytes(view);
  ASSERT_TRUE(cid) << cid.error();
  EXPECT_EQ(*cid, v0);
  EXPECT_EQ(cid->version, 0);
  EXPECT_EQ(cid->codec, multicodec::dag_pb);
  EXPECT_EQ(view, "\x0a\x02");
}

TEST(ReadCidBytes, ReadsIdentityCids) {
  const std::string input = from_hex("01550000") + "x";  // bafkqaaa, then a byte
  std::string_view view = input;
  auto cid = read_cid_bytes(view);
  ASSERT_TRUE(cid) << cid.error();
  EXPECT_EQ(cid->to_string(), "bafkqaaa");
  EXPECT_EQ(view, "x");

  const std::string longest = from_hex("0170008001") + std::string(128, 'a');
  std::string_view whole = longest;
  ASSERT_TRUE(read_cid_bytes(whole));
  EXPECT_TRUE(whole.empty());
}

TEST(ReadCidBytes, ReadsConsecutiveCids) {
  const Cid a{1, multicodec::raw, multihash::identity, "a"};
  const Cid b{0, multicodec::dag_pb, multihash::sha2_256, sha256_bytes("b")};
  const std::string input = a.v1_bytes() + from_hex("1220") + b.digest + a.v1_bytes();
  std::string_view view = input;
  for (const Cid& expected : {a, b, a}) {
    auto cid = read_cid_bytes(view);
    ASSERT_TRUE(cid) << cid.error();
    EXPECT_EQ(*cid, expected);
  }
  EXPECT_TRUE(view.empty());
}

TEST(ReadCidBytes, RefusesTruncatedCids) {
  const std::string v1 = from_hex("01551220") + sha256_bytes("x");
  EXPECT_EQ(read_error(""), "empty binary cid");
  EXPECT_EQ(read_error(v1.substr(0, 20)), "truncated digest (16 of 32 bytes)");
  EXPECT_EQ(read_error(v1.substr(0, 3)), "invalid multihash length: truncated varint");
  EXPECT_EQ(read_error(from_hex("12")), "cidv0 is not a sha2-256 multihash");
  EXPECT_EQ(read_error(from_hex("1220") + std::string(31, 'x')),
            "truncated cidv0 (33 of 34 bytes)");
  EXPECT_EQ(read_error(from_hex("81")), "invalid cid version: truncated varint");
}

TEST(ReadCidBytes, RefusesWhatParseCidRefuses) {
  EXPECT_EQ(read_error(from_hex("1214") + std::string(32, 'x')),
            "cidv0 is not a sha2-256 multihash");
  EXPECT_THAT(read_error(from_hex("00551220") + std::string(32, 'x')),
              HasSubstr("unsupported cid version 0"));
  EXPECT_EQ(read_error(from_hex("02551220") + std::string(32, 'x')), "unsupported cid version 2");
  EXPECT_EQ(read_error(from_hex("01711220") + std::string(32, 'x')),
            "unsupported multicodec 0x71 (dag-cbor)");
  EXPECT_EQ(read_error(from_hex("01551320") + std::string(64, 'x')),
            "unsupported multihash 0x13 (sha2-512)");
  EXPECT_EQ(read_error(from_hex("01551221") + std::string(33, 'x')),
            "sha2-256 digest length must be 32, not 33");
  EXPECT_EQ(read_error(from_hex("0155008101") + std::string(129, 'x')),
            "identity digest too long (129 bytes, at most 128)");
  EXPECT_EQ(read_error(from_hex("0180005512")), "invalid multicodec: non-minimal varint");
}

TEST(ReadCidBytes, AgreesWithParseCidOnMutations) {
  const std::string valid = from_hex("01701220") + sha256_bytes("agree");
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 2000; ++round) {
    std::string binary = valid;
    binary[static_cast<std::size_t>(round) % binary.size()] = static_cast<char>(byte(rng));
    if (round % 3 == 0) binary.resize(static_cast<std::size_t>(byte(rng)) % binary.size());
    std::string_view view = binary;
    auto read = read_cid_bytes(view);
    if (static_cast<unsigned char>(binary.empty() ? 0 : binary[0]) == 0x12) continue;  // cidv0
    auto parsed = parse_cid(b32(binary));
    // parse_cid also refuses trailing bytes, which read_cid_bytes leaves in `view`.
    EXPECT_EQ(static_cast<bool>(parsed), read && view.empty()) << to_hex(binary);
    if (parsed && read) {
      EXPECT_EQ(*parsed, *read);
    }
  }
}

}  // namespace
}  // namespace ocipfs

namespace ocipfs {
namespace {

// ---------------------------------------------------------------------------------------------
// decode_cid_text: parse_cid's decision, made in place.

// decode_cid_text agrees with parse_cid on `text`: the same binary CIDv1, or the same error.
void expect_decoded_as_parsed(std::string_view text) {
  auto parsed = parse_cid(text);
  auto decoded = decode_cid_text(text);
  ASSERT_EQ(decoded.has_value(), parsed.has_value()) << text;
  if (parsed)
    EXPECT_EQ(decoded->view(), parsed->v1_bytes()) << text;
  else
    EXPECT_EQ(decoded.error(), parsed.error()) << text;
}

TEST(DecodeCidText, EveryAcceptedFormIsItsBinaryCidv1) {
  for (std::string_view canonical : {kHelloV1, kEmptyDirV1, kHelloRaw}) {
    auto reference = parse_cid(canonical);
    ASSERT_TRUE(reference);
    const std::string binary = reference->v1_bytes();
    for (const std::string& form :
         {std::string(canonical), "B" + upper(std::string(canonical.substr(1))),
          "k" + base36_lower_encode(binary), "z" + base58btc_encode(binary)}) {
      auto decoded = decode_cid_text(form);
      ASSERT_TRUE(decoded) << form << ": " << decoded.error();
      EXPECT_EQ(decoded->view(), binary) << form;
      expect_decoded_as_parsed(form);
    }
  }
  for (std::string_view v0 : {kHelloV0, kEmptyDirV0}) {
    auto decoded = decode_cid_text(v0);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->view(), parse_cid(v0)->v1_bytes());
    EXPECT_EQ(from_hex("0170") + *base58btc_decode(v0), decoded->view());
  }
  // The longest: an identity digest of 128 bytes.
  const std::string longest = from_hex("0155008001") + std::string(128, 'x');
  ASSERT_EQ(longest.size(), max_cid_v1_size);
  auto decoded = decode_cid_text(b32(longest));
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(decoded->view(), longest);
}

TEST(DecodeCidText, RefusesWhatParseCidRefusesWithItsMessage) {
  const std::string digest = sha256_bytes("x");
  for (const std::string& text :
       std::vector<std::string>{"",
                                std::string(513, 'b'),
                                "QmShort",
                                "f0155",
                                "x",
                                "bafy!",
                                "bAFYbeicg2rebjoofv4kbyovkw7af3rpiitvnl6i7ckcywaq6xjcxnc2mby",
                                "K" + base36_lower_encode(from_hex("01551220") + digest),
                                b32(from_hex("1220") + digest),
                                b32(from_hex("00551220") + digest),
                                b32(from_hex("02551220") + digest),
                                b32(from_hex("01711220") + digest),
                                b32(from_hex("01551120") + digest),
                                b32(from_hex("01551221") + digest),
                                b32(from_hex("0155122000")),
                                b32(from_hex("01551220") + digest + "!"),
                                b32(from_hex("0155008101") + std::string(129, 'x')),
                                b32(""),
                                "b",
                                "z" + base58btc_encode(from_hex("1220") + digest),
                                "zI0",
                                "Qm" + std::string(44, '0'),
                                "Qm" + std::string(44, '1')})
    expect_decoded_as_parsed(text);
}

TEST(DecodeCidText, AgreesWithParseCidOnMutationsAndRandomText) {
  const std::string alphabet =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ=\x01";
  auto hello = parse_cid(kHelloV1);
  ASSERT_TRUE(hello);
  for (const std::string& seed :
       {std::string(kHelloV0), std::string(kHelloV1), std::string(kHelloRaw),
        std::string("bafkqaaa"), "k" + base36_lower_encode(hello->v1_bytes()),
        "z" + base58btc_encode(hello->v1_bytes()), "B" + upper(std::string(kHelloV1.substr(1)))})
    for (std::size_t i = 0; i < seed.size(); ++i) {
      for (char c : alphabet) {
        std::string text = seed;
        text[i] = c;
        expect_decoded_as_parsed(text);
      }
      expect_decoded_as_parsed(std::string(seed).erase(i, 1));
    }
  std::mt19937 rng(31);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 80);
  const std::string prefixes = "bBkzQ";
  for (int round = 0; round < 2000; ++round) {
    std::string text(1, prefixes[static_cast<std::size_t>(round) % prefixes.size()]);
    for (int n = length(rng); n > 0; --n) {
      const int b = byte(rng);
      text.push_back(b < 230 ? "abcdefghijklmnopqrstuvwxyz234567"[b % 32] : static_cast<char>(b));
    }
    expect_decoded_as_parsed(text);
  }
}

TEST(DecodeCidText, LowercaseMultibaseIsTheFormOfRepositoryNames) {
  EXPECT_TRUE(is_lowercase_cid(kHelloV1));
  EXPECT_TRUE(is_lowercase_multibase(kHelloV1));
  EXPECT_FALSE(is_lowercase_cid(kHelloV0));
  EXPECT_FALSE(is_lowercase_multibase("B" + upper(std::string(kHelloV1.substr(1)))));
  EXPECT_TRUE(is_lowercase_multibase("bnot-a-cid"));
  EXPECT_FALSE(is_lowercase_cid("bnot-a-cid"));
}

TEST(CidV1, InPlaceIsV1Bytes) {
  for (std::string_view text : {kHelloV0, kHelloV1, kHelloRaw, std::string_view("bafkqaaa")}) {
    auto cid = parse_cid(text);
    ASSERT_TRUE(cid);
    EXPECT_EQ(cid->v1().view(), cid->v1_bytes());
  }
}

}  // namespace
}  // namespace ocipfs
