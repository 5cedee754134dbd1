#include "ocipfs/publish/regular_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ocipfs {

std::string file_type_name(unsigned mode) {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return "a regular file";
    case S_IFDIR:
      return "a directory";
    case S_IFIFO:
      return "a FIFO";
    case S_IFSOCK:
      return "a socket";
    case S_IFCHR:
      return "a character device";
    case S_IFBLK:
      return "a block device";
    default:
      return "a special file";
  }
}

Expected<InputFile> open_regular_file(const std::filesystem::path& path) {
  // O_NONBLOCK: a FIFO opens at once, to be refused; cleared again for a regular file.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return Unexpected{std::string(std::strerror(errno))};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int error = errno;
    ::close(fd);
    return Unexpected{std::string(std::strerror(error))};
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Unexpected{"it is " + file_type_name(st.st_mode) +
                      ", not a regular file (only regular files are read)"};
  }
  int flags = ::fcntl(fd, F_GETFL);
  std::FILE* file = nullptr;
  if (flags >= 0 && ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0) file = ::fdopen(fd, "rb");
  if (!file) {
    int error = errno;
    ::close(fd);
    return Unexpected{std::string(std::strerror(error))};
  }
  return InputFile(file);
}

}  // namespace ocipfs
