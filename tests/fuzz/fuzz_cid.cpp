// Fuzzes the CID parser and its codecs (include/ocipfs/formats/cid.hpp). The input is used three
// ways: as CID text, as a binary CIDv1 written in every multibase, and as codec and varint input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "ocipfs/formats/cid.hpp"
#include "ocipfs/formats/multibase.hpp"
#include "ocipfs/formats/varint.hpp"

namespace {

using namespace ocipfs;

// parse_cid looks at no more text than this.
constexpr std::size_t max_cid_text = 512;
// The base-x codecs are quadratic: round trips stay on a prefix of the input.
constexpr std::size_t max_codec_bytes = 64;
// The longest binary CID parse_cid accepts: an identity digest of 128 bytes and its header.
constexpr std::size_t max_binary_cid = 133;

std::string upper(std::string text) {
  for (char& c : text)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return text;
}

std::string lower(std::string text) {
  for (char& c : text)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return text;
}

bool has_upper(std::string_view text) {
  for (char c : text)
    if (c >= 'A' && c <= 'Z') return true;
  return false;
}

// What any parsed CID must look like.
void check_cid(const Cid& cid) {
  FUZZ_CHECK(cid.version == 0 || cid.version == 1);
  FUZZ_CHECK(cid.codec == multicodec::raw || cid.codec == multicodec::dag_pb);
  FUZZ_CHECK(cid.hash == multihash::sha2_256 || cid.hash == multihash::identity);
  if (cid.hash == multihash::sha2_256) FUZZ_CHECK(cid.digest.size() == 32);
  if (cid.hash == multihash::identity) FUZZ_CHECK(cid.digest.size() <= 128);
  if (cid.version == 0)
    FUZZ_CHECK(cid.codec == multicodec::dag_pb && cid.hash == multihash::sha2_256);
}

// The same CID written in each multibase parse_cid takes (when short enough to be taken).
void check_every_base(const Cid& v1) {
  const std::string bytes = v1.v1_bytes();
  for (const std::string& text :
       {"b" + base32_lower_encode(bytes), "B" + upper(base32_lower_encode(bytes)),
        "k" + base36_lower_encode(bytes), "z" + base58btc_encode(bytes)}) {
    if (text.size() > max_cid_text) continue;
    auto parsed = parse_cid(text);
    FUZZ_CHECK(parsed);
    FUZZ_CHECK(*parsed == v1);
  }
}

// Text input: whatever parses is canonical in its own base and survives re-encoding.
void check_text(std::string_view text) {
  auto cid = parse_cid(text);
  const bool lowercase_base = !text.empty() && (text[0] == 'b' || text[0] == 'k');
  FUZZ_CHECK(is_lowercase_cid(text) == (cid && lowercase_base && !has_upper(text)));
  // The in-place decoding makes the same decision, with the same words.
  auto decoded = decode_cid_text(text);
  FUZZ_CHECK(decoded.has_value() == cid.has_value());
  if (!cid) {
    FUZZ_CHECK(!cid.error().empty());
    FUZZ_CHECK(decoded.error() == cid.error());
    return;
  }
  FUZZ_CHECK(decoded->view() == cid->v1_bytes());
  check_cid(*cid);

  // Base-x text has a single spelling for its bytes (base32 may carry ignored trailing bits).
  const std::string bytes = cid->v1_bytes();
  if (cid->version == 0) {
    FUZZ_CHECK(text.size() == 46 && text.starts_with("Qm"));
    FUZZ_CHECK(base58btc_encode("\x12\x20" + cid->digest) == text);
  } else if (text[0] == 'k') {
    FUZZ_CHECK("k" + base36_lower_encode(bytes) == text);
  } else if (text[0] == 'z') {
    FUZZ_CHECK("z" + base58btc_encode(bytes) == text);
  } else {
    FUZZ_CHECK(text[0] == 'b' || text[0] == 'B');
  }

  const std::string canonical = cid->to_string();
  FUZZ_CHECK(canonical.starts_with("b"));
  FUZZ_CHECK(is_lowercase_cid(canonical));
  auto again = parse_cid(canonical);
  FUZZ_CHECK(again);
  Cid v1 = *cid;
  v1.version = 1;
  FUZZ_CHECK(*again == v1);
  FUZZ_CHECK(again->to_string() == canonical);
  FUZZ_CHECK(again->v1_bytes() == bytes);
  check_every_base(v1);
}

// Binary input: a CIDv1 in every multibase gives one answer, and the bytes back.
void check_binary(std::string_view bytes) {
  if (bytes.size() > max_binary_cid) return;
  auto from_base32 = parse_cid("b" + base32_lower_encode(bytes));
  for (const std::string& text :
       {"B" + upper(base32_lower_encode(bytes)), "k" + base36_lower_encode(bytes),
        "z" + base58btc_encode(bytes)}) {
    if (text.size() > max_cid_text) continue;
    auto parsed = parse_cid(text);
    FUZZ_CHECK(static_cast<bool>(parsed) == static_cast<bool>(from_base32));
    if (parsed) FUZZ_CHECK(*parsed == *from_base32);
  }
  if (!from_base32) return;
  check_cid(*from_base32);
  FUZZ_CHECK(from_base32->version == 1);
  FUZZ_CHECK(from_base32->v1_bytes() == bytes);
}

// The first 32 bytes as a sha2-256 digest: a CIDv0 that must parse and convert.
void check_v0(std::string_view bytes) {
  if (bytes.size() < 32) return;
  const std::string digest(bytes.substr(0, 32));
  const std::string text = base58btc_encode("\x12\x20" + digest);
  FUZZ_CHECK(text.size() == 46 && text.starts_with("Qm"));
  auto cid = parse_cid(text);
  FUZZ_CHECK(cid);
  FUZZ_CHECK(cid->version == 0 && cid->codec == multicodec::dag_pb && cid->digest == digest);
  FUZZ_CHECK(!is_lowercase_cid(text));
  check_text(cid->to_string());
}

void check_codecs(std::string_view input) {
  const std::string_view bytes = input.substr(0, max_codec_bytes);

  // Encoding then decoding gives the bytes back.
  FUZZ_CHECK(*base32_decode(base32_lower_encode(bytes)) == bytes);
  FUZZ_CHECK(*base32_decode(upper(base32_lower_encode(bytes))) == bytes);
  FUZZ_CHECK(*base58btc_decode(base58btc_encode(bytes)) == bytes);
  FUZZ_CHECK(*base36_decode(base36_lower_encode(bytes)) == bytes);

  // Decoding then encoding gives the text back (base32: up to the ignored trailing bits).
  if (auto decoded = base58btc_decode(bytes)) FUZZ_CHECK(base58btc_encode(*decoded) == bytes);
  if (auto decoded = base36_decode(bytes))
    FUZZ_CHECK(base36_lower_encode(*decoded) == lower(std::string(bytes)));
  if (auto decoded = base32_decode(bytes)) {
    const std::string again = base32_lower_encode(*decoded);
    FUZZ_CHECK(again.size() == bytes.size());
    FUZZ_CHECK(*base32_decode(again) == *decoded);
  }

  // Varints: a decoded varint is minimal, so it re-encodes to the bytes it was read from.
  std::string_view rest = input;
  if (auto value = varint_decode(rest)) {
    const std::size_t used = input.size() - rest.size();
    FUZZ_CHECK(used >= 1 && used <= 9);
    FUZZ_CHECK(varint_encode(*value) == input.substr(0, used));
  } else {
    FUZZ_CHECK(rest.size() == input.size());
  }
  if (input.size() >= 8) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 8; ++i) value = value << 8 | static_cast<unsigned char>(input[i]);
    value >>= 1;  // below 2^63: what varint_decode takes
    const std::string encoded = varint_encode(value);
    std::string_view view = encoded;
    auto decoded = varint_decode(view);
    FUZZ_CHECK(decoded && *decoded == value && view.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_text(input);
  check_binary(input);
  check_v0(input);
  check_codecs(input);
  return 0;
}
