#include "traced_io.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errors.h"

namespace workload {

long Io::read(const Endpoint& from, void* buf, size_t n) {
  long r = syscall(SYS_read, from.fd, buf, n);
  rec_.record({"read", from.kind, kUser}, r);
  return r;
}

long Io::write(const Endpoint& to, const void* buf, size_t n) {
  long r = syscall(SYS_write, to.fd, buf, n);
  rec_.record({"write", kUser, to.kind}, r);
  return r;
}

long Io::pread(const Endpoint& from, void* buf, size_t n, off_t offset) {
  long r = syscall(SYS_pread64, from.fd, buf, n, offset);
  rec_.record({"pread", from.kind, kUser}, r);
  return r;
}

long Io::pwrite(const Endpoint& to, const void* buf, size_t n, off_t offset) {
  long r = syscall(SYS_pwrite64, to.fd, buf, n, offset);
  rec_.record({"pwrite", kUser, to.kind}, r);
  return r;
}

long Io::readv(const Endpoint& from, const struct iovec* iov, int count) {
  long r = syscall(SYS_readv, from.fd, iov, count);
  rec_.record({"readv", from.kind, kUser}, r);
  return r;
}

long Io::writev(const Endpoint& to, const struct iovec* iov, int count) {
  long r = syscall(SYS_writev, to.fd, iov, count);
  rec_.record({"writev", kUser, to.kind}, r);
  return r;
}

long Io::sendto(const Endpoint& to, const void* buf, size_t n, int flags) {
  long r = syscall(SYS_sendto, to.fd, buf, n, flags, nullptr, 0);
  rec_.record({"sendto", kUser, to.kind}, r);
  return r;
}

long Io::recvmsg(const Endpoint& from, struct msghdr* msg, int flags) {
  long r = syscall(SYS_recvmsg, from.fd, msg, flags);
  rec_.record({"recvmsg", from.kind, kUser}, r);
  return r;
}

void* Io::mmap(const Endpoint& from, size_t length, int prot, int flags, off_t offset) {
  long r = syscall(SYS_mmap, nullptr, length, prot, flags, from.fd, offset);
  bool ok = r != -1;
  rec_.record_mapping({"mmap", from.kind, kUser}, ok, length);
  return ok ? reinterpret_cast<void*>(r) : nullptr;
}

long Io::munmap(const Endpoint& from, void* addr, size_t length) {
  long r = syscall(SYS_munmap, addr, length);
  // munmap names no fd, so a tracer cannot tell what was mapped: record it as zctrace keys it.
  (void)from;
  rec_.record_mapping({"munmap", "other", kUser}, r == 0, length);
  return r;
}

long Io::sendfile(const Endpoint& to, const Endpoint& from, size_t n) {
  // A null offset makes sendfile read from (and advance) the source's file position.
  long r = syscall(SYS_sendfile, to.fd, from.fd, nullptr, n);
  rec_.record({"sendfile", from.kind, to.kind}, r);
  return r;
}

long Io::splice(const Endpoint& from, const Endpoint& to, size_t n, unsigned flags) {
  long r = syscall(SYS_splice, from.fd, nullptr, to.fd, nullptr, n, flags);
  rec_.record({"splice", from.kind, to.kind}, r);
  return r;
}

long Io::vmsplice(const Endpoint& to, const struct iovec* iov, unsigned long count) {
  long r = syscall(SYS_vmsplice, to.fd, iov, count, 0);
  rec_.record({"vmsplice", kUser, to.kind}, r);
  return r;
}

long Io::tee(const Endpoint& from, const Endpoint& to, size_t n) {
  long r = syscall(SYS_tee, from.fd, to.fd, n, 0);
  rec_.record({"tee", from.kind, to.kind}, r);
  return r;
}

long Io::copy_file_range(const Endpoint& from, const Endpoint& to, size_t n) {
  long r = syscall(SYS_copy_file_range, from.fd, nullptr, to.fd, nullptr, n, 0);
  rec_.record({"copy_file_range", from.kind, to.kind}, r);
  return r;
}

void Io::record_completion(const char* name, const std::string& source, const std::string& sink,
                           long result) {
  rec_.record({name, source, sink}, result);
}

void write_all(Io& io, const Endpoint& to, const void* buf, size_t n) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    long w = io.write(to, p, n);
    if (w < 0)
      throw_errno("write to " + to.kind);
    p += w;
    n -= static_cast<size_t>(w);
  }
}

}  // namespace workload
