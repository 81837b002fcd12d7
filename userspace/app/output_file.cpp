#include "output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace zctrace {

OutputFile::~OutputFile() {
  if (fd_ < 0)
    return;
  close(fd_);
  if (created_ && !written_)
    unlink(path_.c_str());
}

bool OutputFile::Open(const std::string& path, std::string* error) {
  path_ = path;
  fd_ = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd_ < 0 && errno == ENOENT) {
    fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    created_ = fd_ >= 0;
  }
  if (fd_ < 0) {
    *error = std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
    *error = "it is a directory";
    return false;
  }
  return true;
}

bool OutputFile::Replace(const std::string& text, std::string* error) {
  written_ = true;
  // a FIFO or a character device (/dev/stdout) cannot be truncated: only a regular file needs it
  struct stat st {};
  if (fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && ftruncate(fd_, 0) != 0) {
    *error = std::strerror(errno);
    return false;
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      *error = std::strerror(errno);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace zctrace
