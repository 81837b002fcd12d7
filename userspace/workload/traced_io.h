// The only way the workload moves data: thin wrappers that issue exactly the raw
// syscall their name says (via syscall(2), so no libc wrapper can substitute another
// one, e.g. send() -> sendto) and record it in a Recorder under its path key.
// Each returns the raw result: >= 0 on success, -1 with errno set on failure.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

#include "fd_kind.h"
#include "recorder.h"

struct msghdr;

namespace workload {

class Io {
 public:
  explicit Io(Recorder& recorder) : rec_(recorder) {}

  long read(const Endpoint& from, void* buf, size_t n);
  long write(const Endpoint& to, const void* buf, size_t n);
  long pread(const Endpoint& from, void* buf, size_t n, off_t offset);
  long pwrite(const Endpoint& to, const void* buf, size_t n, off_t offset);
  long readv(const Endpoint& from, const struct iovec* iov, int count);
  long writev(const Endpoint& to, const struct iovec* iov, int count);
  long sendto(const Endpoint& to, const void* buf, size_t n, int flags);
  long recvmsg(const Endpoint& from, struct msghdr* msg, int flags);
  // Returns the mapping address or nullptr on failure; records the length as bytes.
  void* mmap(const Endpoint& from, size_t length, int prot, int flags, off_t offset);
  long munmap(const Endpoint& from, void* addr, size_t length);
  long sendfile(const Endpoint& to, const Endpoint& from, size_t n);
  long splice(const Endpoint& from, const Endpoint& to, size_t n, unsigned flags);
  long vmsplice(const Endpoint& to, const struct iovec* iov, unsigned long count);
  long tee(const Endpoint& from, const Endpoint& to, size_t n);
  long copy_file_range(const Endpoint& from, const Endpoint& to, size_t n);

  // io_uring operations are not syscalls of their own: the caller records each
  // completion (name e.g. "io_uring_read", result = cqe->res).
  void record_completion(const char* name, const std::string& source, const std::string& sink, long result);

  Recorder& recorder() { return rec_; }

 private:
  Recorder& rec_;
};

// Writes all n bytes with as many write() calls as needed; throws RunError on failure.
void write_all(Io& io, const Endpoint& to, const void* buf, size_t n);

}  // namespace workload
