// unixfs_cid FILE [NAME]: prints the CID `ipfs add --cid-version=1` gives FILE, then the CID of
// the directory that wraps it under NAME (default: FILE's base name). For the node-oracle test.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ocipfs/formats/unixfs.hpp"

namespace {

constexpr std::size_t kReadSize = 64 * 1024;

int fail(const std::string& message) {
  std::fprintf(stderr, "unixfs_cid: %s\n", message.c_str());
  return 1;
}

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

// Streams the file at `path` through a FileImporter, or returns the error.
ocipfs::Expected<ocipfs::ImportedNode> import_path(const char* path) {
  const std::unique_ptr<std::FILE, FileCloser> file{std::fopen(path, "rb")};
  if (!file)
    return ocipfs::Unexpected{std::string("cannot open ") + path + ": " + std::strerror(errno)};
  ocipfs::FileImporter importer{[](const ocipfs::Cid&, std::string_view) {}};
  std::vector<char> buffer(kReadSize);
  for (;;) {
    const std::size_t got = std::fread(buffer.data(), 1, buffer.size(), file.get());
    importer.write(std::string_view(buffer.data(), got));
    if (got < buffer.size()) break;
  }
  if (std::ferror(file.get())) {
    return ocipfs::Unexpected{std::string("cannot read ") + path + ": " + std::strerror(errno)};
  }
  return importer.finish();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) return fail("usage: unixfs_cid FILE [NAME]");
  auto file = import_path(argv[1]);
  if (!file) return fail(file.error());
  const std::string name = argc == 3 ? argv[2] : std::filesystem::path(argv[1]).filename().string();
  auto directory = ocipfs::import_directory({{name, *file}}, {});
  if (!directory) return fail(directory.error());
  std::printf("%s\n%s\n", file->cid.to_string().c_str(), directory->cid.to_string().c_str());
  return 0;
}
