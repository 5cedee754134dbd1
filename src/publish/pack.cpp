#include "ocipfs/publish/pack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "ocipfs/base/digest.hpp"
#include "ocipfs/base/text.hpp"
#include "ocipfs/image/image.hpp"
#include "ocipfs/image/layer_manifest.hpp"
#include "ocipfs/publish/atomic_file.hpp"
#include "ocipfs/publish/regular_file.hpp"

namespace ocipfs {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t chunk_size = 64 * 1024;
constexpr int gzip_level = 6;  // gzip's default
constexpr int zstd_level = 3;  // zstd's default

enum class Compression { none, gzip, zstd };

// Thrown inside this file only, and turned into an Unexpected at the API boundary.
struct PackError {
  std::string message;
};

[[noreturn]] void fail(std::string message) { throw PackError{std::move(message)}; }

std::string errno_text(int error) { return std::strerror(error); }

Compression compression_of(std::string_view media_type) {
  if (media_type == oci_layer_tar_gzip) return Compression::gzip;
  if (media_type == oci_layer_tar_zstd) return Compression::zstd;
  return Compression::none;
}

std::string_view compression_name(Compression compression) {
  return compression == Compression::gzip ? "gzip" : "zstd";
}

using File = InputFile;

File open_for_reading(const fs::path& path) {
  auto file = open_regular_file(path);
  if (!file) fail("cannot read " + path_in_quotes(path) + ": " + file.error());
  return std::move(*file);
}

// libarchive converts names between the locale's character set and the UTF-8 of pax headers.
// This thread uses C.UTF-8 while an archive is read or written, whatever the process's locale, so
// that the same names give the same bytes everywhere, and UTF-8 names are stored as such.
class Utf8Locale {
 public:
  Utf8Locale() : locale_(::newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t{})) {
    if (locale_) previous_ = ::uselocale(locale_);
  }
  ~Utf8Locale() {
    if (!locale_) return;
    ::uselocale(previous_);
    ::freelocale(locale_);
  }
  Utf8Locale(const Utf8Locale&) = delete;
  Utf8Locale& operator=(const Utf8Locale&) = delete;

 private:
  locale_t locale_;
  locale_t previous_{};
};

// ---------------------------------------------------------------- reading a tarball

using StoredObserver = std::function<void(std::string_view)>;

// Reads a tarball from its file: hashes the stored bytes (and shows them to the observer),
// decompresses them, and hands out the tar stream, hashing it too.
class TarStream {
 public:
  TarStream(const fs::path& path, Compression compression, const StoredObserver& observe)
      : path_(path), compression_(compression), file_(open_for_reading(path)), observe_(observe) {
    if (compression_ == Compression::gzip) {
      gzip_ = std::make_unique<z_stream>();
      if (inflateInit2(gzip_.get(), 16 + MAX_WBITS) != Z_OK) fail("cannot initialize zlib");
    } else if (compression_ == Compression::zstd) {
      zstd_ = ZSTD_createDStream();
      if (!zstd_) fail("cannot initialize zstd");
    }
  }
  ~TarStream() {
    if (gzip_) inflateEnd(gzip_.get());
    if (zstd_) ZSTD_freeDStream(zstd_);
  }
  TarStream(const TarStream&) = delete;
  TarStream& operator=(const TarStream&) = delete;

  // The next bytes of the tar stream; empty at its end.
  std::string_view next() {
    switch (compression_) {
      case Compression::none: {
        std::size_t n = read_stored();
        const char* data = in_.data() + in_pos_;
        in_pos_ = in_size_;
        tar_hash_.update(data, n);
        tar_size_ += n;
        return {data, n};
      }
      case Compression::gzip:
        return deliver(next_gzip());
      case Compression::zstd:
        return deliver(next_zstd());
    }
    return {};
  }

  // The first stored bytes, without consuming them (read ahead into the input buffer).
  std::string_view peek() {
    if (in_pos_ == in_size_ && !eof_) {
      in_size_ = std::fread(in_.data(), 1, in_.size(), file_.get());
      in_pos_ = 0;
      after_read(in_size_);
    }
    return {in_.data() + in_pos_, in_size_ - in_pos_};
  }

  std::string stored_digest() { return stored_hash_.digest(); }
  std::string tar_digest() { return tar_hash_.digest(); }
  std::uint64_t stored_size() const { return stored_size_; }

 private:
  std::string_view deliver(std::size_t n) {
    tar_hash_.update(out_.data(), n);
    tar_size_ += n;
    return {out_.data(), n};
  }

  void after_read(std::size_t n) {
    if (n < in_.size()) {
      if (std::ferror(file_.get()))
        fail("cannot read " + path_in_quotes(path_) + ": " + errno_text(errno));
      eof_ = true;
    }
    stored_hash_.update(in_.data(), n);
    stored_size_ += n;
    if (observe_ && n) observe_(std::string_view(in_.data(), n));
  }

  // Refills the input buffer when it is used up; returns the bytes now available.
  std::size_t read_stored() {
    if (in_pos_ < in_size_) return in_size_ - in_pos_;
    if (eof_) return in_size_ = in_pos_ = 0;
    in_size_ = std::fread(in_.data(), 1, in_.size(), file_.get());
    in_pos_ = 0;
    after_read(in_size_);
    return in_size_;
  }

  [[noreturn]] void corrupt(std::string_view what) {
    fail(path_in_quotes(path_) + " is not valid " + std::string(compression_name(compression_)) +
         " data: " + std::string(what));
  }

  std::size_t next_gzip() {
    z_stream& z = *gzip_;
    while (!done_) {
      std::size_t available = read_stored();
      if (available == 0) {
        if (stored_size_ == 0) corrupt("the file is empty");
        if (member_started_) corrupt("unexpected end of file (truncated?)");
        done_ = true;
        break;
      }
      if (!member_started_) {
        // Another gzip member follows the previous one (as `gzip -dc` reads them).
        if (inflateReset(&z) != Z_OK) corrupt("cannot reset the decompressor");
        member_started_ = true;
      }
      z.next_in = reinterpret_cast<Bytef*>(in_.data() + in_pos_);
      z.avail_in = static_cast<uInt>(available);
      z.next_out = reinterpret_cast<Bytef*>(out_.data());
      z.avail_out = static_cast<uInt>(out_.size());
      int result = inflate(&z, Z_NO_FLUSH);
      in_pos_ = in_size_ - z.avail_in;
      std::size_t produced = out_.size() - z.avail_out;
      if (result == Z_STREAM_END) {
        member_started_ = false;
      } else if (result != Z_OK && result != Z_BUF_ERROR) {
        corrupt(z.msg ? z.msg : "inflate failed (" + std::to_string(result) + ")");
      }
      if (produced > 0) return produced;
    }
    return 0;
  }

  std::size_t next_zstd() {
    while (!done_) {
      std::size_t available = read_stored();
      if (available == 0) {
        if (frame_open_) corrupt("unexpected end of file (truncated?)");
        if (stored_size_ == 0) corrupt("the file is empty");
        done_ = true;
        break;
      }
      ZSTD_inBuffer input{in_.data() + in_pos_, available, 0};
      ZSTD_outBuffer output{out_.data(), out_.size(), 0};
      std::size_t result = ZSTD_decompressStream(zstd_, &output, &input);
      if (ZSTD_isError(result)) corrupt(ZSTD_getErrorName(result));
      in_pos_ += input.pos;
      frame_open_ = result != 0;
      if (output.pos > 0) return output.pos;
    }
    return 0;
  }

  fs::path path_;
  Compression compression_;
  File file_;
  const StoredObserver& observe_;
  std::unique_ptr<z_stream> gzip_;
  ZSTD_DStream* zstd_ = nullptr;
  std::vector<char> in_ = std::vector<char>(chunk_size);
  std::vector<char> out_ = std::vector<char>(chunk_size);
  std::size_t in_pos_ = 0;
  std::size_t in_size_ = 0;
  bool eof_ = false;
  bool done_ = false;
  bool member_started_ = true;  // gzip: inside a member (the first starts at once)
  bool frame_open_ = false;     // zstd: inside a frame
  Sha256Stream stored_hash_;
  Sha256Stream tar_hash_;
  std::uint64_t stored_size_ = 0;
  std::uint64_t tar_size_ = 0;
};

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
  } catch (const PackError& error) {
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

bool looks_compressed(std::string_view head) {
  return head.starts_with("\x1f\x8b") || head.starts_with("\x28\xb5\x2f\xfd");
}

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
    if (archive_read_data_skip(reader.get()) != ARCHIVE_OK) fail(archive_problem());
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
  return layer;
}

// ---------------------------------------------------------------- writing a tarball

// The tarball being written: an AtomicFile, hashed and shown to the observer as it is stored.
class StoredOutput {
 public:
  StoredOutput(const fs::path& target, const StoredObserver& observe)
      : file_(created(target)), observe_(observe) {}

  void write(const void* data, std::size_t size) {
    if (size == 0) return;
    std::string_view bytes(static_cast<const char*>(data), size);
    if (auto written = file_.write(bytes); !written) fail(written.error());
    hash_.update(data, size);
    if (observe_) observe_(bytes);
  }

  void commit() {
    if (auto committed = file_.commit(); !committed) fail(committed.error());
  }

  std::string digest() { return hash_.digest(); }
  std::uint64_t size() const { return file_.size(); }

 private:
  static AtomicFile created(const fs::path& target) {
    auto file = AtomicFile::create(target);
    if (!file) fail(file.error());
    return std::move(*file);
  }

  AtomicFile file_;
  const StoredObserver& observe_;
  Sha256Stream hash_;
};

// Compresses what it is given into the stored tarball, hashing the tar stream it is given.
class Compressor {
 public:
  Compressor(StoredOutput& out, Compression compression) : out_(out), compression_(compression) {
    if (compression_ == Compression::gzip) {
      gzip_ = std::make_unique<z_stream>();
      // windowBits 16 + 15: a gzip wrapper whose header has no name and mtime 0.
      if (deflateInit2(gzip_.get(), gzip_level, Z_DEFLATED, 16 + MAX_WBITS, 8,
                       Z_DEFAULT_STRATEGY) != Z_OK)
        fail("cannot initialize zlib");
    } else if (compression_ == Compression::zstd) {
      zstd_ = ZSTD_createCCtx();
      if (!zstd_ ||
          ZSTD_isError(ZSTD_CCtx_setParameter(zstd_, ZSTD_c_compressionLevel, zstd_level)) ||
          ZSTD_isError(ZSTD_CCtx_setParameter(zstd_, ZSTD_c_checksumFlag, 1)))
        fail("cannot initialize zstd");
    }
  }
  ~Compressor() {
    if (gzip_) deflateEnd(gzip_.get());
    if (zstd_) ZSTD_freeCCtx(zstd_);
  }
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  void write(const void* data, std::size_t size) {
    tar_hash_.update(data, size);
    process(data, size, false);
  }
  void finish() { process(nullptr, 0, true); }
  std::string tar_digest() { return tar_hash_.digest(); }

 private:
  void process(const void* data, std::size_t size, bool last) {
    switch (compression_) {
      case Compression::none:
        out_.write(data, size);
        return;
      case Compression::gzip: {
        z_stream& z = *gzip_;
        z.next_in = static_cast<Bytef*>(const_cast<void*>(data));
        z.avail_in = static_cast<uInt>(size);
        int result = Z_OK;
        do {
          z.next_out = reinterpret_cast<Bytef*>(buffer_.data());
          z.avail_out = static_cast<uInt>(buffer_.size());
          result = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
          if (result == Z_STREAM_ERROR) fail("zlib failed to compress");
          out_.write(buffer_.data(), buffer_.size() - z.avail_out);
        } while (z.avail_out == 0 || (last && result != Z_STREAM_END));
        return;
      }
      case Compression::zstd: {
        ZSTD_inBuffer input{data, size, 0};
        std::size_t remaining = 0;
        do {
          ZSTD_outBuffer output{buffer_.data(), buffer_.size(), 0};
          remaining =
              ZSTD_compressStream2(zstd_, &output, &input, last ? ZSTD_e_end : ZSTD_e_continue);
          if (ZSTD_isError(remaining))
            fail(std::string("zstd failed to compress: ") + ZSTD_getErrorName(remaining));
          out_.write(buffer_.data(), output.pos);
        } while (last ? remaining != 0 : input.pos < input.size);
        return;
      }
    }
  }

  StoredOutput& out_;
  Compression compression_;
  std::unique_ptr<z_stream> gzip_;
  ZSTD_CCtx* zstd_ = nullptr;
  std::vector<char> buffer_ = std::vector<char>(chunk_size);
  Sha256Stream tar_hash_;
};

struct WriteContext {
  Compressor* compressor;
  std::optional<std::string> error;
};

la_ssize_t write_callback(archive* a, void* client, const void* buffer, size_t length) {
  auto* context = static_cast<WriteContext*>(client);
  try {
    context->compressor->write(buffer, length);
    return static_cast<la_ssize_t>(length);
  } catch (const PackError& error) {
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

  void add_tree(const fs::path& root) { add_children(root, ""); }
  std::uint64_t entries() const { return entries_; }

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
      fail("cannot read " + path_in_quotes(path) + ": " + errno_text(errno));
    std::unique_ptr<archive_entry, EntryFree> entry(archive_entry_new());
    set_name(entry.get(), archive_entry_update_pathname_utf8, archive_entry_copy_pathname, name);
    archive_entry_set_mtime(entry.get(), 0, 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);

    if (S_ISDIR(st.st_mode)) {
      archive_entry_set_filetype(entry.get(), AE_IFDIR);
      archive_entry_set_perm(entry.get(), 0755);
      write_header(entry.get(), path);
      add_children(path, name + "/");
    } else if (S_ISLNK(st.st_mode)) {
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
      add_file(entry.get(), path, static_cast<std::uint64_t>(st.st_size));
    } else {
      fail("cannot pack " + path_in_quotes(path) +
           ": only regular files, directories and symbolic links can be packed");
    }
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

  void add_file(archive_entry* entry, const fs::path& path, std::uint64_t size) {
    File file = open_for_reading(path);
    write_header(entry, path);
    std::vector<char> buffer(chunk_size);
    std::uint64_t total = 0;
    while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), file.get())) {
      total += n;
      if (total > size) break;
      if (archive_write_data(writer_, buffer.data(), n) < 0) archive_failed(path);
    }
    if (std::ferror(file.get()))
      fail("cannot read " + path_in_quotes(path) + ": " + errno_text(errno));
    if (total != size) fail(path_in_quotes(path) + " changed while it was being packed");
  }

  archive* writer_;
  WriteContext& context_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // hard-linked files already written
  std::uint64_t entries_ = 0;
};

bool is_inside(const fs::path& path, const fs::path& directory) {
  auto [d, p] = std::mismatch(directory.begin(), directory.end(), path.begin(), path.end());
  return d == directory.end();
}

// Writes the tarball of `directory`; its digests come from the bytes as they are written.
PackedLayer write_tarball(const fs::path& directory, const fs::path& tarball,
                          Compression compression, const StoredObserver& observe) {
  StoredOutput out(tarball, observe);
  Compressor compressor(out, compression);
  WriteContext context{&compressor, std::nullopt};
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
  tree.add_tree(directory);
  if (archive_write_close(writer.get()) != ARCHIVE_OK) fail(failed());
  compressor.finish();
  out.commit();
  PackedLayer layer;
  layer.digest = out.digest();
  layer.size = out.size();
  layer.diff_id = compressor.tar_digest();
  layer.entries = tree.entries();
  return layer;
}

fs::path directory_name_of(const fs::path& directory) {
  fs::path absolute = fs::absolute(directory).lexically_normal();
  if (!absolute.has_filename()) absolute = absolute.parent_path();
  return absolute.filename();
}

void check_tag(const std::string& file_name, const fs::path& tarball, bool from_directory) {
  if (is_tag(file_name)) return;
  fail("the tarball's file name " + in_quotes(file_name, 200) +
       " is not a valid OCI tag ([a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}), and the file name becomes "
       "the image's tag: " +
       (from_directory ? "choose another with --tarball=FILE"
                       : "rename " + path_in_quotes(tarball)));
}

PackedLayer pack_directory(const fs::path& directory, const PackOptions& options) {
  fs::path tarball = tarball_for(directory, options);
  std::string file_name = tarball.filename().string();
  auto media_type = layer_media_type_for(file_name);
  if (!media_type) fail("--tarball: " + media_type.error());
  check_tag(file_name, tarball, true);

  std::error_code ec;
  fs::path root = fs::canonical(directory, ec);
  if (ec) fail("cannot read " + path_in_quotes(directory) + ": " + ec.message());
  fs::path target = fs::weakly_canonical(fs::absolute(tarball), ec);
  if (ec) fail("cannot create " + path_in_quotes(tarball) + ": " + ec.message());
  if (is_inside(target, root))
    fail("the tarball " + path_in_quotes(tarball) + " would be inside the directory " +
         path_in_quotes(directory) +
         " that is being packed: write it elsewhere with --tarball=FILE");

  PackedLayer layer =
      write_tarball(root, tarball, compression_of(*media_type), options.observe_stored);
  layer.tarball = tarball;
  layer.file_name = file_name;
  layer.media_type = *media_type;
  layer.written = true;
  return layer;
}

PackedLayer pack_file(const fs::path& path, const StoredObserver& observe) {
  std::string file_name = path.filename().string();
  auto media_type = layer_media_type_for(file_name);
  if (!media_type)
    fail(path_in_quotes(path) + " is neither a directory nor a .tar, .tar.gz or .tar.zst file");
  check_tag(file_name, path, false);
  return read_tarball(path, *media_type, observe);
}

}  // namespace

Expected<std::string> layer_media_type_for(std::string_view file_name) {
  if (file_name.ends_with(".tar")) return std::string(oci_layer_tar);
  if (file_name.ends_with(".tar.gz")) return std::string(oci_layer_tar_gzip);
  if (file_name.ends_with(".tar.zst")) return std::string(oci_layer_tar_zstd);
  return Unexpected{in_quotes(file_name, 200) + " does not end in .tar, .tar.gz or .tar.zst"};
}

fs::path tarball_for(const fs::path& directory, const PackOptions& options) {
  if (!options.tarball.empty()) return options.tarball;
  return options.tarball_dir / (directory_name_of(directory).string() + ".tar.gz");
}

Expected<PackedLayer> pack_path(const fs::path& path, const PackOptions& options) {
  try {
    std::error_code ec;
    auto status = fs::status(path, ec);
    if (ec) return Unexpected{"cannot read " + path_in_quotes(path) + ": " + ec.message()};
    if (fs::is_directory(status)) return pack_directory(path, options);
    if (!options.tarball.empty())
      return Unexpected{"--tarball is for a directory; " + path_in_quotes(path) +
                        " is a file, and is used as it is"};
    if (!fs::is_regular_file(status))
      return Unexpected{"cannot pack " + path_in_quotes(path) +
                        ": not a directory or a regular file"};
    return pack_file(path, options.observe_stored);
  } catch (const PackError& error) {
    return Unexpected{error.message};
  } catch (const std::bad_alloc&) {
    return Unexpected{std::string("out of memory")};
  } catch (const std::exception& error) {  // a filesystem error, or the observer's
    return Unexpected{std::string(error.what())};
  }
}

std::string layer_manifest_json(const PackedLayer& layer, std::string_view ipfs_path) {
  nlohmann::ordered_json annotations;
  annotations[std::string(ipfs_cid_annotation)] = std::string(ipfs_path);
  annotations[std::string(fs_digest_annotation)] = layer.diff_id;
  nlohmann::ordered_json descriptor;
  descriptor["mediaType"] = layer.media_type;
  descriptor["digest"] = layer.digest;
  descriptor["size"] = layer.size;
  descriptor["annotations"] = std::move(annotations);
  nlohmann::ordered_json document;
  document["mediaType"] = std::string(layer_manifest_media_type);
  document["layer"] = std::move(descriptor);
  return document.dump(2) + "\n";
}

std::string unsafe_tar_name_problem(std::string_view name) {
  if (name.empty()) return "has an empty name";
  if (name.front() == '/') return "has an absolute path";
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    if (name.substr(start, slash - start) == "..") return "has a \"..\" component";
    start = slash + 1;
  }
  return {};
}

}  // namespace ocipfs
