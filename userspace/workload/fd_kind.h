// Classifies a file descriptor into the "kind" names used in path keys, from what
// the kernel says about the fd (fstat, fcntl, getsockopt) rather than from what we
// think we opened. The rules and names are those of zctrace's own classifier
// (bpf/zctrace.bpf.c, classify_file), so ground truth and tracer speak alike.
#pragma once

#include <string>

namespace workload {

// One of: file, file-direct, tcp, udp, unix, pipe, null, zero, chardev, blockdev,
// other (e.g. an io_uring fd: an anonymous inode with no file type).
std::string fd_kind(int fd);

// A descriptor together with its kind, as passed to the recording syscall wrappers.
struct Endpoint {
  int fd = -1;
  std::string kind;
};

inline Endpoint endpoint(int fd) {
  return Endpoint{fd, fd_kind(fd)};
}

}  // namespace workload
