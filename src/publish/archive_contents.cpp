#include "archive_contents.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <vector>

#include "ocipfs/base/text.hpp"
#include "ocipfs/image/verbatim_image.hpp"
#include "ocipfs/publish/image_source.hpp"   // max_kept_archive_bytes
#include "ocipfs/publish/layer_tarball.hpp"  // unsafe_tar_name_problem
#include "ocipfs/publish/regular_file.hpp"
#include "step_failure.hpp"

namespace ocipfs::publish_detail {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t max_link_hops = 16;

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using Archive = std::unique_ptr<archive, ArchiveFree>;

// Reads a tarball entry by entry, with names checked and normalized.
class TarReader {
 public:
  explicit TarReader(const fs::path& path)
      : file_(value_or_fail(open_regular_file(path), "cannot read " + path_in_quotes(path) + ": ")),
        archive_(archive_read_new()) {
    if (!archive_) fail("cannot initialize libarchive");
    archive_read_support_format_tar(archive_.get());
    archive_read_support_filter_all(archive_.get());
    if (archive_read_open_FILE(archive_.get(), file_.get()) != ARCHIVE_OK) fail(problem());
  }

  // The next entry, or nullptr at the end; `name` is its normalized name.
  archive_entry* next(std::string& name) {
    archive_entry* entry = nullptr;
    int result = archive_read_next_header(archive_.get(), &entry);
    if (result == ARCHIVE_EOF) return nullptr;
    if (result != ARCHIVE_OK && result != ARCHIVE_WARN) fail(problem());
    const char* raw = archive_entry_pathname(entry);
    std::string text = raw ? raw : "";
    if (auto unsafe = unsafe_tar_name_problem(text); !unsafe.empty())
      fail("entry " + in_quotes(text, 200) + " " + unsafe +
           "; an image's entries must stay "
           "inside the archive");
    name = normalized(text).value_or("");
    return entry;
  }

  // Gives the current entry's data in reads of at most read_size bytes.
  template <class Consume>
  void read_data(Consume consume) {
    for (;;) {
      la_ssize_t n = archive_read_data(archive_.get(), buffer_.data(), buffer_.size());
      if (n < 0) fail(problem());
      if (n == 0) return;
      consume(std::string_view(buffer_.data(), static_cast<std::size_t>(n)));
    }
  }
  void skip_data() {
    if (archive_read_data_skip(archive_.get()) != ARCHIVE_OK) fail(problem());
  }

 private:
  std::string problem() const {
    const char* message = archive_error_string(archive_.get());
    return "it is not a valid tar archive, or it is truncated: " +
           std::string(message ? message : "unknown error");
  }

  InputFile file_;  // outlives archive_, which reads it
  Archive archive_;
  std::string buffer_ = std::string(layer_read_size, '\0');
};

void record_link(ArchiveContents& contents, const std::string& name, archive_entry* entry) {
  if (const char* hard = archive_entry_hardlink(entry)) {
    if (auto target = normalized(hard)) contents.links[name] = *target;
    return;
  }
  const char* symlink = archive_entry_symlink(entry);
  if (!symlink || !*symlink || *symlink == '/') return;
  std::string base = fs::path(name).parent_path().string();
  if (auto target = normalized(base.empty() ? symlink : base + "/" + symlink))
    contents.links[name] = *target;
}

}  // namespace

std::optional<std::string> normalized(std::string_view name) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    std::string part(name.substr(start, slash - start));
    start = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part != "..") {
      parts.push_back(std::move(part));
    } else if (parts.empty()) {
      return std::nullopt;
    } else {
      parts.pop_back();
    }
  }
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : "/") + part;
  return out;
}

std::string ArchiveContents::resolve(std::string name) const {
  for (std::size_t hop = 0; hop < max_link_hops; ++hop) {
    auto link = links.find(name);
    if (link == links.end()) return name;
    name = link->second;
  }
  return name;
}

// The first read: small files kept, large ones only counted, their data skipped.
ArchiveContents read_archive_contents(const fs::path& path) {
  ArchiveContents contents;
  TarReader reader(path);
  std::string name;
  while (archive_entry* entry = reader.next(name)) {
    if (archive_entry_hardlink(entry) || archive_entry_filetype(entry) == AE_IFLNK) {
      record_link(contents, name, entry);
    } else if (archive_entry_filetype(entry) == AE_IFREG) {
      auto size = static_cast<std::uint64_t>(archive_entry_size(entry));
      contents.sizes[name] = size;
      if (size <= max_verbatim_blob_size) {
        if (contents.kept + size > max_kept_archive_bytes)
          fail("its small entries take more than " + std::to_string(max_kept_archive_bytes) +
               " bytes, the limit of what import keeps in memory");
        std::string& bytes = contents.small[name];
        reader.read_data([&](std::string_view piece) { bytes.append(piece); });
        contents.kept += bytes.size();
        continue;
      }
    }
    reader.skip_data();
  }
  return contents;
}

// The second read: each large layer in `wanted` (by entry name) streamed into the sink.
void stream_archive_layers(const fs::path& path,
                           const std::map<std::string, BlobDescriptor>& wanted,
                           const BlockSink& sink, LayerNodes& nodes) {
  TarReader reader(path);
  std::string name;
  std::size_t found = 0;
  while (archive_entry* entry = reader.next(name)) {
    auto layer = wanted.find(name);
    if (layer == wanted.end() || archive_entry_filetype(entry) != AE_IFREG ||
        archive_entry_hardlink(entry) || nodes.count(layer->second.digest)) {
      reader.skip_data();
      continue;
    }
    LayerStream stream(layer->second, sink);
    reader.read_data([&](std::string_view piece) { stream.write(piece); });
    nodes[layer->second.digest] = stream.finish();
    ++found;
  }
  if (found != wanted.size()) fail("it changed while it was read: a layer entry is gone");
}

}  // namespace ocipfs::publish_detail
