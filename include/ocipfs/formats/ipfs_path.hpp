// IPFS content paths (`<cid>/<segment>/...`): parsed strictly, never pasted into URLs as given.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/base/expected.hpp"
#include "ocipfs/formats/cid.hpp"

namespace ocipfs {

struct IpfsPath {
  std::string root;  // the root CID as written (any form parse_cid accepts)
  Cid root_cid;
  std::vector<std::string> segments;  // each non-empty, not "." or "..", no '/', '\\', controls

  // The last segment, or "" when the path is a bare CID.
  std::string_view file_name() const;
  // "<root>/<seg>/..." with every segment percent-encoded (RFC 3986 unreserved kept).
  std::string encoded() const;
  // Appends "/<seg>/..." percent-encoded, as encoded() writes them after the root.
  void append_encoded_segments(std::string& out) const;
};

// An IPFS path in the forms a redirect is written from, as views into text kept elsewhere.
struct IpfsPathText {
  std::string_view root;              // the root CID as written
  std::string_view root_v1;           // the root CID as CIDv1 base32
  std::string_view encoded_segments;  // "/<seg>/..." percent-encoded, or empty
};

// Parses "<cid>[/<segment>]*". Refuses URLs, absolute paths, empty, "." and ".." segments,
// backslashes, '?', '#', control characters, and over-long paths. Errors say what is wrong.
Expected<IpfsPath> parse_ipfs_path(std::string_view text);

// Parses a path as IpfsPath::encoded() writes it: parse_ipfs_path's rules, each segment
// percent-decoded (a '%' not followed by two hex digits is refused) and checked again.
Expected<IpfsPath> parse_encoded_ipfs_path(std::string_view text);

// Why `segment` cannot be a segment of an IPFS path ("an empty path segment", "a backslash", ...:
// empty, "." or "..", longer than 255 bytes, a control character, '\\', '?' or '#'), or nullopt.
std::optional<std::string> path_segment_problem(std::string_view segment);

// Percent-encodes every byte outside RFC 3986's unreserved set.
std::string percent_encode(std::string_view segment);
void append_percent_encoded(std::string& out, std::string_view segment);

}  // namespace ocipfs
