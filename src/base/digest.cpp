#include "ocipfs/base/digest.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <random>
#include <stdexcept>

namespace ocipfs {

Sha256 sha256(std::string_view bytes) {
  Sha256 out{};
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), out.data(), &length, EVP_sha256(), nullptr);
  return out;
}

struct Sha256Stream::Context {
  struct Free {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> evp{EVP_MD_CTX_new()};
};

Sha256Stream::Sha256Stream() : context_(std::make_unique<Context>()) {
  if (!context_->evp || EVP_DigestInit_ex(context_->evp.get(), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("cannot initialize SHA-256");
}

Sha256Stream::~Sha256Stream() = default;

void Sha256Stream::update(std::string_view bytes) {
  if (!bytes.empty()) EVP_DigestUpdate(context_->evp.get(), bytes.data(), bytes.size());
}

std::string Sha256Stream::digest() {
  Sha256 out{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(context_->evp.get(), out.data(), &length);
  return "sha256:" + to_hex(out);
}

namespace {
// Each byte's two lowercase hex digits.
constexpr auto hex_pairs = [] {
  constexpr char digits[] = "0123456789abcdef";
  std::array<std::array<char, 2>, 256> pairs{};
  for (std::size_t c = 0; c < 256; ++c) pairs[c] = {digits[c >> 4], digits[c & 0xf]};
  return pairs;
}();

// Writes the lowercase hex of `bytes` at `hex`, which has room for twice as many characters.
void write_hex(std::string_view bytes, char* hex) {
  for (unsigned char c : bytes) {
    std::memcpy(hex, hex_pairs[c].data(), 2);
    hex += 2;
  }
}

void append_hex(std::string& out, std::string_view bytes) {
  const std::size_t at = out.size();
  out.resize(at + 2 * bytes.size());  // one size update, not two per byte: digests fill manifests
  write_hex(bytes, out.data() + at);
}

std::string_view bytes_of(const Sha256& hash) {
  return {reinterpret_cast<const char*>(hash.data()), hash.size()};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
}  // namespace

std::string random_hex(std::size_t count) {
  std::random_device random;
  std::string bytes;
  while (bytes.size() < count) {
    const auto word = random();
    bytes.append(reinterpret_cast<const char*>(&word), std::min(sizeof word, count - bytes.size()));
  }
  return to_hex(bytes);
}

std::string to_hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  append_hex(out, bytes);
  return out;
}

std::string to_hex(const Sha256& hash) { return to_hex(bytes_of(hash)); }

std::string sha256_digest_text(const Sha256& hash) {
  std::string out;
  append_sha256_digest(out, hash);
  return out;
}

void write_sha256_digest(const Sha256& hash, char* out) {
  constexpr std::string_view prefix = "sha256:";
  std::memcpy(out, prefix.data(), prefix.size());
  write_hex(bytes_of(hash), out + prefix.size());
}

void append_sha256_digest(std::string& out, const Sha256& hash) {
  const std::size_t at = out.size();
  out.resize(at + sha256_digest_size);
  write_sha256_digest(hash, out.data() + at);
}

std::optional<Sha256> sha256_of_digest(std::string_view digest) {
  if (digest.size() != sha256_digest_size || !digest.starts_with("sha256:")) return std::nullopt;
  Sha256 hash;
  for (std::size_t i = 0; i < hash.size(); ++i) {
    int high = hex_value(digest[7 + 2 * i]), low = hex_value(digest[8 + 2 * i]);
    if (high < 0 || low < 0) return std::nullopt;
    hash[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return hash;
}

std::string sha256_digest(std::string_view bytes) { return "sha256:" + to_hex(sha256(bytes)); }

namespace {
bool is_lower_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); }
}  // namespace

bool is_sha256_digest(std::string_view text) { return sha256_of_digest(text).has_value(); }

bool is_digest_grammar(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) return false;
  auto algorithm = text.substr(0, colon);
  bool after_separator = true;
  for (char c : algorithm) {
    if (is_lower_alnum(c)) {
      after_separator = false;
    } else if (c == '+' || c == '.' || c == '_' || c == '-') {
      if (after_separator) return false;
      after_separator = true;
    } else {
      return false;
    }
  }
  if (after_separator) return false;
  for (char c : text.substr(colon + 1)) {
    bool ok = is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '=' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace ocipfs
