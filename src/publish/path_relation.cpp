#include "ocipfs/publish/path_relation.hpp"

#include <algorithm>
#include <iterator>
#include <optional>

namespace fs = std::filesystem;

namespace ocipfs {
namespace {

std::optional<fs::path> resolved(const fs::path& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  if (ec) return std::nullopt;
  fs::path resolved = fs::weakly_canonical(absolute, ec);
  if (ec) return std::nullopt;
  return resolved;
}

}  // namespace

bool is_within(const fs::path& path, const fs::path& root) {
  auto [in_root, in_path] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  // A trailing separator of `root` is an empty last component.
  return in_root == root.end() || (std::next(in_root) == root.end() && in_root->empty());
}

bool is_same_path(const fs::path& a, const fs::path& b) {
  auto x = resolved(a);
  auto y = resolved(b);
  return x && y && *x == *y;
}

bool resolves_within(const fs::path& path, const fs::path& directory) {
  auto inner = resolved(path);
  auto outer = resolved(directory);
  return inner && outer && is_within(*inner, *outer);
}

}  // namespace ocipfs
