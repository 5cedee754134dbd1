#include "ocipfs/publish/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "ocipfs/base/text.hpp"
#include "ocipfs/publish/temporary_paths.hpp"

namespace ocipfs {

namespace fs = std::filesystem;

struct AtomicFile::State {
  fs::path destination;
  fs::path temporary;
  TemporaryId registration = 0;  // removed on SIGINT, SIGTERM, SIGHUP until committed
  int fd = -1;
  std::uint64_t size = 0;
  bool committed = false;

  ~State() {
    if (fd >= 0) ::close(fd);
    if (!committed && !temporary.empty()) ::unlink(temporary.c_str());
    forget_temporary(registration);
  }
};

namespace {

std::string cannot(std::string_view what, const fs::path& path, int error) {
  return "cannot " + std::string(what) + " " + path_in_quotes(path) + ": " + std::strerror(error) +
         (error == EFBIG ? " (over the file size limit, ulimit -f)" : "");
}

// Writes all of `bytes` at `offset`, or appends them when `offset` is negative.
int write_fully(int fd, std::string_view bytes, off_t offset) {
  while (!bytes.empty()) {
    ssize_t n = offset < 0 ? ::write(fd, bytes.data(), bytes.size())
                           : ::pwrite(fd, bytes.data(), bytes.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    bytes.remove_prefix(static_cast<std::size_t>(n));
    if (offset >= 0) offset += n;
  }
  return 0;
}

}  // namespace

AtomicFile::AtomicFile(std::unique_ptr<State> state) : state_(std::move(state)) {}
AtomicFile::~AtomicFile() = default;
AtomicFile::AtomicFile(AtomicFile&&) noexcept = default;
AtomicFile& AtomicFile::operator=(AtomicFile&&) noexcept = default;

Expected<AtomicFile> AtomicFile::create(const fs::path& destination) {
  std::error_code ec;
  if (destination.empty() || !destination.has_filename())
    return Unexpected{"cannot create " + path_in_quotes(destination) + ": not a file name"};
  if (fs::is_directory(destination, ec))
    return Unexpected{"cannot create " + path_in_quotes(destination) +
                      ": it is a directory (name a file to write)"};
  auto state = std::make_unique<State>();
  state->destination = destination;
  fs::path parent = destination.parent_path().empty() ? fs::path(".") : destination.parent_path();
  std::string pattern = (parent / ("." + destination.filename().string() + ".tmp-XXXXXX")).string();
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int error = 0;
  state->registration = create_temporary([&]() -> fs::path {
    state->fd = ::mkostemp(name.data(), O_CLOEXEC);
    error = errno;
    return state->fd < 0 ? fs::path() : fs::path(name.data());
  });
  if (state->fd < 0) return Unexpected{cannot("create", destination, error)};
  state->temporary = name.data();
  return AtomicFile(std::move(state));
}

Expected<bool> AtomicFile::write(std::string_view bytes) {
  if (int error = write_fully(state_->fd, bytes, -1))
    return Unexpected{cannot("write", state_->destination, error)};
  state_->size += bytes.size();
  return true;
}

Expected<bool> AtomicFile::write_at(std::uint64_t offset, std::string_view bytes) {
  if (offset + bytes.size() > state_->size)
    return Unexpected{"cannot write " + path_in_quotes(state_->destination) + ": past its end"};
  if (int error = write_fully(state_->fd, bytes, static_cast<off_t>(offset)))
    return Unexpected{cannot("write", state_->destination, error)};
  return true;
}

Expected<bool> AtomicFile::commit() {
  State& s = *state_;
  // Temporary files are created 0600; what is committed is for sharing.
  mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(s.fd, 0666 & ~mask) != 0 || ::fsync(s.fd) != 0)
    return Unexpected{cannot("write", s.destination, errno)};
  int fd = s.fd;
  s.fd = -1;
  if (::close(fd) != 0) return Unexpected{cannot("write", s.destination, errno)};
  if (::rename(s.temporary.c_str(), s.destination.c_str()) != 0)
    return Unexpected{cannot("create", s.destination, errno)};
  s.committed = true;
  forget_temporary(std::exchange(s.registration, 0));
  return true;
}

const fs::path& AtomicFile::destination() const { return state_->destination; }
std::uint64_t AtomicFile::size() const { return state_->size; }

}  // namespace ocipfs
