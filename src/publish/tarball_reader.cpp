#include "tarball_reader.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <exception>
#include <memory>
#include <optional>
#include <set>

#include "executable_scanner.hpp"
#include "layer_compression.hpp"
#include "ocipfs/base/text.hpp"
#include "step_failure.hpp"
#include "tar_stream.hpp"
#include "utf8_locale.hpp"

namespace ocipfs::publish_detail {

namespace fs = std::filesystem;

namespace {

struct ArchiveReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};

struct ReadContext {
  TarStream* stream;
  std::optional<std::string> error;  // set when the stream failed (libarchive only sees -1)
};

la_ssize_t read_callback(archive* a, void* client, const void** buffer) {
  auto* context = static_cast<ReadContext*>(client);
  try {
    std::string_view chunk = context->stream->next();
    *buffer = chunk.data();
    return static_cast<la_ssize_t>(chunk.size());
  } catch (const StepFailure& error) {
    context->error = error.message;
  } catch (const std::exception& error) {  // from the observer
    context->error = error.what();
  }
  archive_set_error(a, EIO, "%s", context->error->c_str());
  return -1;
}

// `name` as a path under the root: its components, with "" and "." ones dropped.
std::string normal_name(std::string_view name) {
  std::string out;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view part = name.substr(start, slash - start);
    if (!part.empty() && part != ".") out += (out.empty() ? "" : "/") + std::string(part);
    start = slash + 1;
  }
  return out;
}

// What a tar's entries have made so far, to refuse the entries that would make a careless
// extractor write outside the root: one written through a symlink that the archive made (l ->
// ../../etc, then l/cron.d/x), and a hard link to a name that no earlier entry made. Names are
// already free of ".." and of a leading "/".
class TarTree {
 public:
  // Why the entry is unsafe, or "" (and then it is recorded).
  std::string admit(std::string_view raw_name, const char* hardlink, bool symlink) {
    std::string name = normal_name(raw_name);
    if (auto link = symlink_above(name)) return "is written through the symlink " + *link;
    if (hardlink) {
      std::string target = normal_name(hardlink);
      if (auto link = symlink_above(target)) return "is a hard link through the symlink " + *link;
      if (!made_.count(target))
        return "is a hard link to " + in_quotes(hardlink, 200) + ", which no earlier entry made";
    }
    made_.insert(name);
    if (symlink) symlinks_.insert(name);
    return {};
  }

 private:
  // The quoted symlink made by the archive that `name` goes through, if any.
  std::optional<std::string> symlink_above(const std::string& name) const {
    for (auto slash = name.find('/'); slash != std::string::npos; slash = name.find('/', slash + 1))
      if (symlinks_.count(name.substr(0, slash)))
        return in_quotes(name.substr(0, slash), 200) + ", which an earlier entry made";
    return std::nullopt;
  }

  std::set<std::string> made_;
  std::set<std::string> symlinks_;
};

// Refuses an entry that an extractor would write outside the root.
void check_entry(const fs::path& path, const char* name, archive_entry* entry, TarTree& tree) {
  if (auto problem = unsafe_tar_name_problem(name); !problem.empty())
    fail(path_in_quotes(path) + ": entry " + in_quotes(name, 200) + " " + problem +
         "; a layer's paths must stay inside its root");
  const char* target = archive_entry_hardlink(entry);
  if (target) {
    if (auto problem = unsafe_tar_name_problem(target); !problem.empty())
      fail(path_in_quotes(path) + ": entry " + in_quotes(name, 200) + " is a hard link to " +
           in_quotes(target, 200) + ", which " + problem);
  }
  bool symlink = archive_entry_filetype(entry) == AE_IFLNK;
  if (auto problem = tree.admit(name, target, symlink); !problem.empty())
    fail(path_in_quotes(path) + ": entry " + in_quotes(name, 200) + " " + problem +
         "; a layer's paths must stay inside its root");
}

// Shows the start of a regular file with an execute bit to `scanner`, as far as it wants it;
// false when the archive failed.
bool scan_entry(archive* reader, archive_entry* entry, const char* name,
                ExecutableScanner& scanner) {
  bool executable = archive_entry_filetype(entry) == AE_IFREG &&
                    (archive_entry_perm(entry) & 0111) && !archive_entry_hardlink(entry);
  if (!executable) return true;
  auto size = archive_entry_size(entry);
  scanner.begin(normal_name(name), size > 0 ? static_cast<std::uint64_t>(size) : 0, true);
  char buffer[16 * 1024];
  while (scanner.wants_data()) {
    la_ssize_t n = archive_read_data(reader, buffer, sizeof buffer);
    if (n < 0) return false;
    if (n == 0) break;
    scanner.data(std::string_view(buffer, static_cast<std::size_t>(n)));
  }
  scanner.end();
  return true;
}

}  // namespace

PackedLayer read_tarball(const fs::path& path, const std::string& media_type,
                         const StoredObserver& observe) {
  Compression compression = compression_of(media_type);
  TarStream stream(path, compression, observe);
  if (compression == Compression::none && looks_compressed(stream.peek()))
    fail(path_in_quotes(path) +
         " is compressed, but its name ends in .tar: name it .tar.gz or .tar.zst after its "
         "compression");

  Utf8Locale utf8;
  std::unique_ptr<archive, ArchiveReadFree> reader(archive_read_new());
  if (!reader) fail("cannot initialize libarchive");
  archive_read_support_format_tar(reader.get());
  ReadContext context{&stream, std::nullopt};
  auto archive_problem = [&]() -> std::string {
    if (context.error) return *context.error;
    const char* message = archive_error_string(reader.get());
    return path_in_quotes(path) +
           " is not a valid tar archive: " + (message ? message : "unknown error");
  };
  if (archive_read_open(reader.get(), &context, nullptr, read_callback, nullptr) != ARCHIVE_OK)
    fail(archive_problem());

  PackedLayer layer;
  TarTree tree;
  ExecutableScanner scanner;
  for (;;) {
    archive_entry* entry = nullptr;
    int result = archive_read_next_header(reader.get(), &entry);
    if (result == ARCHIVE_EOF) break;
    if (result != ARCHIVE_OK && result != ARCHIVE_WARN) fail(archive_problem());
    const char* name = archive_entry_pathname(entry);
    if (!name)
      fail(path_in_quotes(path) + ": entry " + std::to_string(layer.entries + 1) + " has no name");
    check_entry(path, name, entry, tree);
    ++layer.entries;
    if (!scan_entry(reader.get(), entry, name, scanner) ||
        archive_read_data_skip(reader.get()) != ARCHIVE_OK)
      fail(archive_problem());
  }
  // What follows the end-of-archive blocks is still part of the stream the diff_id hashes.
  while (!stream.next().empty()) {
  }

  layer.tarball = path;
  layer.file_name = path.filename().string();
  layer.media_type = media_type;
  layer.digest = stream.stored_digest();
  layer.size = stream.stored_size();
  layer.diff_id = stream.tar_digest();
  layer.platforms = scanner.platforms();
  return layer;
}

}  // namespace ocipfs::publish_detail
