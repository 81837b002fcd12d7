#include "fd_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "errors.h"

namespace workload {

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o)
    reset(std::exchange(o.fd_, -1));
  return *this;
}

void Fd::reset(int fd) {
  if (fd_ >= 0)
    close(fd_);
  fd_ = fd;
}

Pipe make_pipe(size_t capacity) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    throw_errno("pipe");
  Pipe p{Fd(fds[0]), Fd(fds[1])};
  if (capacity > 0 && capacity <= INT_MAX)
    fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(capacity));
  return p;
}

Fd open_or_throw(const char* path, int flags, const char* what) {
  int fd = open(path, flags | O_CLOEXEC, 0644);
  if (fd < 0)
    throw_errno(std::string("open ") + what + " " + path);
  return Fd(fd);
}

}  // namespace workload
