// The fast reading of a request head: a strict scan, allocation-free, that takes the common
// well-formed GET or HEAD and leaves everything else to the full HTTP parser; and the rules of
// RFC 9112 both readings share (pure).
#pragma once

#include <cstddef>
#include <string_view>

namespace ocipfs {

// Field lines a request head may hold, Host included; past it, 431. A registry client sends about
// ten (Host, User-Agent, Accept lines, Authorization); Apache's LimitRequestFields defaults to 100.
inline constexpr std::size_t max_request_fields = 100;

// The parts of a request head the registry answers from, as views into the scanned bytes.
struct RequestHead {
  std::string_view method;
  std::string_view target;
  unsigned version = 11;  // 10 or 11
  std::string_view accept;
  std::string_view if_none_match;
  std::string_view host;  // empty when none (HTTP/1.0)
  std::string_view user_agent;
  std::string_view cloud_trace_context;  // X-Cloud-Trace-Context
  std::string_view traceparent;
  bool keep_alive = true;  // what the version and every Connection line say
  std::size_t size = 0;    // bytes of the head, the blank line included
};

enum class HeadScan {
  complete,  // `head` is filled in
  partial,   // well-formed so far: read more
  declined,  // for the full parser: anything unusual, malformed or with a body
};

// Scans the request head at the start of `bytes`: `limit` bytes at most for the whole head (the
// request line, fields and CRLFs, the blank line included). Declines what it does not take whole:
// a method other than GET or HEAD, a version other than HTTP/1.0 or HTTP/1.1, any byte outside
// the grammar of RFC 9112 (the target's visible ASCII, token field names, field values without
// controls), folded or bare-LF lines, a field it cares about sent twice, Content-Length,
// Transfer-Encoding, Range, If-Range, a Connection it cannot read, a Host that host_is_valid
// refuses, more than max_request_fields fields, or a head over `limit`.
HeadScan scan_request_head(std::string_view bytes, std::size_t limit, RequestHead& head);

// The Connection options that decide whether a connection persists (RFC 9112 9.3).
struct ConnectionOptions {
  bool close = false;
  bool keep_alive = false;
};

// Adds the options of one Connection line to `options`; false when it is not a list of tokens.
bool add_connection_options(std::string_view line, ConnectionOptions& options);

// Whether a connection persists after a request of `version` (10 or 11) whose Connection lines
// said `options`: "close" in any line ends it, and HTTP/1.0 persists only with "keep-alive".
bool connection_persists(unsigned version, ConnectionOptions options);

// Whether a request of `version` has the Host RFC 9112 3.2 asks for: exactly one line, or none
// for HTTP/1.0, whose value (`first_value`) holds only the characters of a uri-host and port.
bool host_is_valid(unsigned version, std::size_t lines, std::string_view first_value);

// Whether a list of transfer codings (every Transfer-Encoding line, joined with ",") ends in
// chunked, applied once: the only coding whose end RFC 9112 6.3 lets a server find.
bool chunked_is_final(std::string_view codings);

// The bytes of the empty lines (CRLF or LF) at the start of `bytes`, which a server ignores
// before a request line (RFC 9112 2.2). A lone CR at the end is not counted: it may be the
// start of one.
std::size_t empty_lines_before_request(std::string_view bytes);

// Whether `bytes` (what a connection sent first, maybe only its first byte) may be a TLS
// handshake record (0x16, then version 0x03): a client speaking https to a plain-HTTP port.
bool starts_like_tls_handshake(std::string_view bytes);

}  // namespace ocipfs
