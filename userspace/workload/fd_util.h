// Small RAII helpers for file descriptors and pipes (none of them move data).
#pragma once

#include <cstddef>
#include <utility>

namespace workload {

// Owns one file descriptor and closes it on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

// Creates a pipe and asks for a capacity of at least `capacity` bytes, so that one
// splice/vmsplice/tee can move a whole chunk (best effort: the default stays if the
// kernel refuses). Throws RunError if the pipe cannot be created.
Pipe make_pipe(size_t capacity);

// Opens path with flags, throwing RunError("open <what> <path>: ...") on failure.
Fd open_or_throw(const char* path, int flags, const char* what);

}  // namespace workload
