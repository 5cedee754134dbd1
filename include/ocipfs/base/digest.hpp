// SHA-256 and the `sha256:<hex>` digest strings that OCI uses.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ocipfs {

using Sha256 = std::array<std::uint8_t, 32>;

Sha256 sha256(std::string_view bytes);

// SHA-256 of bytes given piece by piece (a tarball as it streams).
class Sha256Stream {
 public:
  Sha256Stream();  // throws std::runtime_error when OpenSSL cannot start one
  ~Sha256Stream();
  void update(std::string_view bytes);
  void update(const void* data, std::size_t size) {
    update(std::string_view(static_cast<const char*>(data), size));
  }
  std::string digest();  // "sha256:<hex>" of everything given; once

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

// Lowercase hex of any bytes.
std::string to_hex(std::string_view bytes);
std::string to_hex(const Sha256& hash);

// Lowercase hex of `count` bytes from the operating system's random source (std::random_device):
// a multipart boundary no content can be made to hold in advance.
std::string random_hex(std::size_t count);

// "sha256:" followed by the lowercase hex SHA-256 of `bytes`.
std::string sha256_digest(std::string_view bytes);

// The length of a "sha256:<64 lowercase hex>" digest.
inline constexpr std::size_t sha256_digest_size = 71;

// Writes "sha256:" and the lowercase hex of `hash` at `out`, which has room for
// sha256_digest_size characters.
void write_sha256_digest(const Sha256& hash, char* out);

// Appends the same; allocates nothing when `out` has room.
void append_sha256_digest(std::string& out, const Sha256& hash);

// The same, as a string of its own.
std::string sha256_digest_text(const Sha256& hash);

// The hash a "sha256:<64 lowercase hex>" digest names; nullopt for any other text.
std::optional<Sha256> sha256_of_digest(std::string_view digest);

// True for exactly "sha256:" followed by 64 lowercase hex digits.
bool is_sha256_digest(std::string_view text);

// True when `text` looks like a digest of the OCI grammar
// (algorithm ":" encoded, algorithm [a-z0-9]+([+._-][a-z0-9]+)*, encoded [a-zA-Z0-9=_-]+).
bool is_digest_grammar(std::string_view text);

}  // namespace ocipfs
