// How two of the publisher's paths relate, for keeping a compose file's layers within its
// directory and for refusing an output that would overwrite an input or be written inside a
// directory that is being read.
#pragma once

#include <filesystem>

namespace ocipfs {

// Whether `path` is `root` or under it, compared component by component. Both are absolute and
// lexically normal, as resolved paths are.
bool is_within(const std::filesystem::path& path, const std::filesystem::path& root);

// The same questions of paths as given: each is resolved first (made absolute, symlinks followed
// as far as the path exists, so "a/../b" and a link to "b" are "b"). False when one cannot be.
// `a` and `b` name the same file, or would once it is made:
bool is_same_path(const std::filesystem::path& a, const std::filesystem::path& b);
// `path` is `directory` itself or lies somewhere under it:
bool resolves_within(const std::filesystem::path& path, const std::filesystem::path& directory);

}  // namespace ocipfs
