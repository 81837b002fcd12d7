#include "fd_kind.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace workload {
namespace {

int socket_option(int fd, int option) {
  int value = -1;
  socklen_t len = sizeof(value);
  return getsockopt(fd, SOL_SOCKET, option, &value, &len) == 0 ? value : -1;
}

std::string socket_kind(int fd) {
  int domain = socket_option(fd, SO_DOMAIN);
  int type = socket_option(fd, SO_TYPE);
  int protocol = socket_option(fd, SO_PROTOCOL);
  if (domain == AF_UNIX)
    return "unix";
  if (domain == AF_INET || domain == AF_INET6) {
    if (type == SOCK_STREAM && protocol == IPPROTO_TCP)
      return "tcp";
    if (type == SOCK_DGRAM && protocol == IPPROTO_UDP)
      return "udp";
  }
  return "other";
}

// /dev/null and /dev/zero are the "mem" character devices 1:3 and 1:5.
std::string char_device_kind(const struct stat& st) {
  if (major(st.st_rdev) == 1 && minor(st.st_rdev) == 3)
    return "null";
  if (major(st.st_rdev) == 1 && minor(st.st_rdev) == 5)
    return "zero";
  return "chardev";
}

}  // namespace

std::string fd_kind(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0)
    return "other";
  switch (st.st_mode & S_IFMT) {
    case S_IFREG: {
      int flags = fcntl(fd, F_GETFL);
      return (flags >= 0 && (flags & O_DIRECT)) ? "file-direct" : "file";
    }
    case S_IFIFO:
      return "pipe";
    case S_IFBLK:
      return "blockdev";
    case S_IFCHR:
      return char_device_kind(st);
    case S_IFSOCK:
      return socket_kind(fd);
    default:
      return "other";
  }
}

}  // namespace workload
