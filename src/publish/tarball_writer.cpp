#include "tarball_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "compressed_output.hpp"
#include "executable_scanner.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/publish/regular_file.hpp"
#include "step_failure.hpp"
#include "utf8_locale.hpp"

namespace ocipfs::publish_detail {

namespace fs = std::filesystem;

namespace {

struct WriteContext {
  Compressor* compressor;
  const ProgressObserver* progress;
  std::optional<std::string> error;
};

la_ssize_t write_callback(archive* a, void* client, const void* buffer, size_t length) {
  auto* context = static_cast<WriteContext*>(client);
  try {
    context->compressor->write(buffer, length);
    if (*context->progress) (*context->progress)(length);
    return static_cast<la_ssize_t>(length);
  } catch (const StepFailure& error) {
    context->error = error.message;
  } catch (const std::exception& error) {  // from the observer
    context->error = error.what();
  }
  archive_set_error(a, EIO, "%s", context->error->c_str());
  return -1;
}

struct ArchiveWriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* entry) const { archive_entry_free(entry); }
};

// Writes a directory tree into a tar archive, in a reproducible order and with normalized
// metadata.
class TreeWriter {
 public:
  TreeWriter(archive* writer, WriteContext& context) : writer_(writer), context_(context) {}

  // The tree under `root`, its contents under the directories of `at` (each written first).
  void add_tree(const fs::path& root, std::string_view at) {
    std::string prefix;
    for (std::size_t start = 0; start < at.size();) {
      std::size_t end = std::min(at.find('/', start), at.size());
      if (end > start) {
        prefix += at.substr(start, end - start);
        write_header(directory_entry(prefix).get(), root);
        prefix += '/';
      }
      start = end + 1;
    }
    add_children(root, prefix);
  }
  std::uint64_t entries() const { return entries_; }
  const LayerPlatforms& platforms() const { return scanner_.platforms(); }

 private:
  [[noreturn]] void archive_failed(const fs::path& what) {
    if (context_.error) fail(*context_.error);
    const char* message = archive_error_string(writer_);
    fail("cannot pack " + path_in_quotes(what) + ": " + (message ? message : "libarchive failed"));
  }

  void add_children(const fs::path& directory, const std::string& prefix) {
    std::vector<std::string> names;
    std::error_code ec;
    fs::directory_iterator it(directory, ec), end;
    for (; !ec && it != end; it.increment(ec)) names.push_back(it->path().filename().string());
    if (ec) fail("cannot read " + path_in_quotes(directory) + ": " + ec.message());
    std::sort(names.begin(), names.end());
    for (const auto& name : names) add(directory / name, prefix + name);
  }

  void add(const fs::path& path, const std::string& name) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0)
      fail("cannot read " + path_in_quotes(path) + ": " + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) {
      write_header(directory_entry(name).get(), path);
      add_children(path, name + "/");
      return;
    }
    auto entry = new_entry(name);
    if (S_ISLNK(st.st_mode)) {
      std::error_code ec;
      fs::path target = fs::read_symlink(path, ec);
      if (ec) fail("cannot read " + path_in_quotes(path) + ": " + ec.message());
      archive_entry_set_filetype(entry.get(), AE_IFLNK);
      archive_entry_set_perm(entry.get(), 0777);
      set_name(entry.get(), archive_entry_update_symlink_utf8, archive_entry_copy_symlink,
               target.string());
      write_header(entry.get(), path);
    } else if (S_ISREG(st.st_mode)) {
      archive_entry_set_filetype(entry.get(), AE_IFREG);
      archive_entry_set_perm(entry.get(), (st.st_mode & 0111) ? 0755 : 0644);
      if (st.st_nlink > 1) {
        auto [seen, inserted] = links_.try_emplace({st.st_dev, st.st_ino}, name);
        if (!inserted) {
          set_name(entry.get(), archive_entry_update_hardlink_utf8, archive_entry_copy_hardlink,
                   seen->second);
          archive_entry_set_size(entry.get(), 0);
          write_header(entry.get(), path);
          return;
        }
      }
      archive_entry_set_size(entry.get(), st.st_size);
      add_file(entry.get(), path, name, static_cast<std::uint64_t>(st.st_size));
    } else {
      fail("cannot pack " + path_in_quotes(path) +
           ": only regular files, directories and symbolic links can be packed");
    }
  }

  // An entry named `name`, with the metadata every entry has: mtime 0, owner 0:0.
  static std::unique_ptr<archive_entry, EntryFree> new_entry(const std::string& name) {
    std::unique_ptr<archive_entry, EntryFree> entry(archive_entry_new());
    if (!entry) fail("cannot initialize libarchive");
    set_name(entry.get(), archive_entry_update_pathname_utf8, archive_entry_copy_pathname, name);
    archive_entry_set_mtime(entry.get(), 0, 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    return entry;
  }

  static std::unique_ptr<archive_entry, EntryFree> directory_entry(const std::string& name) {
    auto entry = new_entry(name);
    archive_entry_set_filetype(entry.get(), AE_IFDIR);
    archive_entry_set_perm(entry.get(), 0755);
    return entry;
  }

  // Names are taken as UTF-8, as pax headers store them, whatever the locale; bytes that are not
  // UTF-8 are stored as they are.
  static void set_name(archive_entry* entry, int (*utf8)(archive_entry*, const char*),
                       void (*raw)(archive_entry*, const char*), const std::string& name) {
    if (!utf8(entry, name.c_str())) raw(entry, name.c_str());
  }

  void write_header(archive_entry* entry, const fs::path& path) {
    int result = archive_write_header(writer_, entry);
    if (result != ARCHIVE_OK && result != ARCHIVE_WARN) archive_failed(path);
    ++entries_;
  }

  void add_file(archive_entry* entry, const fs::path& path, const std::string& name,
                std::uint64_t size) {
    InputFile file =
        value_or_fail(open_regular_file(path), "cannot read " + path_in_quotes(path) + ": ");
    write_header(entry, path);
    scanner_.begin(name, size, archive_entry_perm(entry) & 0111);
    std::vector<char> buffer(tar_chunk_size);
    std::uint64_t total = 0;
    while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), file.get())) {
      total += n;
      if (total > size) break;
      if (archive_write_data(writer_, buffer.data(), n) < 0) archive_failed(path);
      scanner_.data(std::string_view(buffer.data(), n));
    }
    if (std::ferror(file.get()))
      fail("cannot read " + path_in_quotes(path) + ": " + std::strerror(errno));
    if (total != size) fail(path_in_quotes(path) + " changed while it was being packed");
    scanner_.end();
  }

  archive* writer_;
  WriteContext& context_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // hard-linked files already written
  std::uint64_t entries_ = 0;
  ExecutableScanner scanner_;
};

}  // namespace

PackedLayer write_tarball(const fs::path& directory, std::string_view at, const fs::path& tarball,
                          Compression compression, const StoredObserver& observe,
                          const ProgressObserver& progress) {
  StoredOutput out(tarball, observe);
  Compressor compressor(out, compression);
  WriteContext context{&compressor, &progress, std::nullopt};
  Utf8Locale utf8;
  std::unique_ptr<archive, ArchiveWriteFree> writer(archive_write_new());
  if (!writer) fail("cannot initialize libarchive");
  auto failed = [&]() -> std::string {
    if (context.error) return *context.error;
    const char* message = archive_error_string(writer.get());
    return "cannot write " + path_in_quotes(tarball) + ": " +
           (message ? message : "libarchive failed");
  };
  // pax restricted: plain ustar headers, and a pax extended header only for what ustar cannot
  // hold (long or non-ASCII names, large sizes).
  if (archive_write_set_format_pax_restricted(writer.get()) != ARCHIVE_OK ||
      archive_write_open(writer.get(), &context, nullptr, write_callback, nullptr) != ARCHIVE_OK)
    fail(failed());
  TreeWriter tree(writer.get(), context);
  tree.add_tree(directory, at);
  if (archive_write_close(writer.get()) != ARCHIVE_OK) fail(failed());
  compressor.finish();
  out.commit();
  PackedLayer layer;
  layer.digest = out.digest();
  layer.size = out.size();
  layer.diff_id = compressor.tar_digest();
  layer.entries = tree.entries();
  layer.platforms = tree.platforms();
  return layer;
}

}  // namespace ocipfs::publish_detail
