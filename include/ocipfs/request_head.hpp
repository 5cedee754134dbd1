// The fast reading of a request head: a strict scan, allocation-free, that takes the common
// well-formed GET or HEAD and leaves everything else to the full HTTP parser (pure).
#pragma once

#include <cstddef>
#include <string_view>

namespace ocipfs {

// The parts of a request head the registry answers from, as views into the scanned bytes.
struct RequestHead {
  std::string_view method;
  std::string_view target;
  unsigned version = 11;  // 10 or 11
  std::string_view accept;
  std::string_view if_none_match;
  std::string_view user_agent;
  std::string_view cloud_trace_context;  // X-Cloud-Trace-Context
  std::string_view traceparent;
  bool keep_alive = true;  // what the version and Connection say
  std::size_t size = 0;    // bytes of the head, the blank line included
};

enum class HeadScan {
  complete,  // `head` is filled in
  partial,   // well-formed so far: read more
  declined,  // for the full parser: anything unusual, malformed or with a body
};

// Scans the request head at the start of `bytes` (at most `limit` bytes of it). Declines what
// it does not take whole: a method other than GET or HEAD, a version other than HTTP/1.0 or
// HTTP/1.1, any byte outside the grammar of RFC 9112 (the target's visible ASCII, token field
// names, field values without controls), folded or bare-LF lines, a field it cares about sent
// twice, Content-Length, Transfer-Encoding, a Connection it cannot read, or a head over `limit`.
HeadScan scan_request_head(std::string_view bytes, std::size_t limit, RequestHead& head);

// The bytes of the empty lines (CRLF or LF) at the start of `bytes`, which a server ignores
// before a request line (RFC 9112 2.2). A lone CR at the end is not counted: it may be the
// start of one.
std::size_t empty_lines_before_request(std::string_view bytes);

}  // namespace ocipfs
