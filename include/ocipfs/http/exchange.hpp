// A request as the endpoints see it, and the answer they give: plain data, no sockets. The wire
// form of an answer's head is written here too, with the invariants every answer shares.
#pragma once

#include <array>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/base/expected.hpp"
#include "ocipfs/base/registry_error.hpp"

namespace ocipfs {

struct Request {
  std::string_view method;         // as sent, e.g. "GET"
  std::string_view path;           // the target's path
  std::string_view query;          // the target's query, without '?'
  std::string_view accept;         // every Accept line, joined with ", "
  std::string_view if_none_match;  // every If-None-Match line, joined with ", "
  std::string_view host;           // the Host field as sent (valid grammar), or empty
  std::string_view range;          // every Range line, joined with ", " (the fast scan takes none)
  std::string_view if_range;       // likewise for If-Range

  bool head() const { return method == "HEAD"; }
  bool reads() const { return method == "GET" || method == "HEAD"; }
};

// Cache-Control for answers derived from a CID: the same forever, for any cache.
inline constexpr std::string_view immutable_cache_control = "public, max-age=31536000, immutable";

// The longest reason phrase an answer's status line carries (RFC 9112 4: any length, but clients
// print it whole).
inline constexpr std::size_t max_reason_phrase_size = 300;

// A "sha256:<64 hex>" digest held in place, so that setting one allocates nothing; or empty.
class DigestText {
 public:
  DigestText() = default;
  DigestText(std::string_view text) { *this = text; }  // NOLINT: a digest's text
  DigestText& operator=(std::string_view text);  // keeps at most sha256_digest_size bytes of it
  void assign(const Sha256& sha256);             // "sha256:" and its lowercase hex

  bool empty() const { return size_ == 0; }
  operator std::string_view() const { return {text_.data(), size_}; }  // NOLINT
  friend bool operator==(const DigestText& a, std::string_view b) {
    return std::string_view(a) == b;
  }

 private:
  std::array<char, sha256_digest_size> text_{};
  std::uint8_t size_ = 0;
};

// An answer's body made while it is sent (a proxied layer), piece by piece.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // The next piece, valid until the next call; empty at the end of the body. An error (why, for
  // the log) means the body cannot be completed: the connection is then aborted, so that no
  // client takes a short or wrong body for a whole one.
  virtual boost::asio::awaitable<Expected<std::string_view>> next() = 0;
};

// An answer. A warm answer is made of views into the image it comes from (kept alive by
// `body_owner`) and of strings that keep their capacity when the answer is reused (reset), so
// building and sending it allocates nothing.
struct Response {
  unsigned status = 200;
  std::string_view content_type;           // static, or owned by `body_owner`
  std::string body;                        // bytes of its own, or:
  std::shared_ptr<const void> body_owner;  // keeps `shared_body` and the type alive
  std::string_view shared_body;            // prebuilt bytes sent as they are
  std::unique_ptr<BodyStream> stream;      // the rest of the body, after the payload (none on HEAD)
  std::uint64_t content_length = 0;  // what Content-Length says: on HEAD, the length GET would send
  bool head = false;                 // send the header only
  // A content-addressed answer: Docker-Content-Digest, its ETag, and the immutable Cache-Control.
  DigestText digest;
  bool immutable = false;    // the immutable Cache-Control without a digest (a tags list)
  bool vary_accept = false;  // Vary: Accept (a manifest by tag)
  std::string location;      // Location, when not empty
  std::vector<std::pair<std::string, std::string>> headers;  // the rare others: Allow, Link, ...
  // The status line's reason phrase when not empty, else the status's standard one. Printable
  // ASCII of at most max_reason_phrase_size bytes (error_response makes an error's so).
  std::string reason;

  std::string_view payload() const { return body_owner ? shared_body : std::string_view(body); }

  void add(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
  // Back to a default answer, keeping the capacity of its strings.
  void reset();
  // Becomes `answer` (its stream moved), keeping the capacity of its own strings.
  void take(Response&& answer);
};

// An OCI error answer: the error body, no-store, and Allow on 405. Its status line says the
// message too, after the standard phrase ("504 Gateway Timeout: no gateway answered ..."): HEAD
// answers have no body, and clients print the status line as it came. The phrase is printable
// ASCII (RFC 9112's reason-phrase: no CR or LF) of at most max_reason_phrase_size bytes.
Response error_response(const RegistryError& error, bool head);

// A small answer of its own bytes.
Response text_response(std::string body, std::string_view content_type, bool head);

// Whether the connection stays open after an answer. HTTP/1.1 keeps connections open unless
// told; HTTP/1.0 closes them unless told (RFC 9112 9.3).
enum class Persistence { close, keep_alive_1_1, keep_alive_1_0 };

// The status line and header block of `response`, written into `out` (reused between requests).
// Every answer gets Server, Docker-Distribution-API-Version and Content-Length (but a 304).
// Header values come from our own code: names are fixed, and values hold no CR or LF (locations
// are percent-encoded, digests are checked). Allocates nothing once `out` has grown to fit.
void serialize_head(const Response& response, Persistence persistence, std::string& out);

// The value of header `name` as serialize_head writes it, or "" (for tests and tools).
std::string header_value(const Response& response, std::string_view name);

}  // namespace ocipfs
