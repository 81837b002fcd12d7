// A minimal io_uring built on the raw syscalls. Done by hand rather than with
// liburing so that the ring's two mmap()s (and munmap()s) of the io_uring fd go
// through the recording wrappers: a tracer sees them as file-backed mappings (of an
// fd whose kind is "other": io_uring fds are anonymous inodes without a file type).
#pragma once

#include <linux/io_uring.h>

#include <cstdint>

#include "fd_kind.h"
#include "fd_util.h"
#include "traced_io.h"

namespace workload {

class Uring {
 public:
  // Sets up a ring of `entries` slots (recorded: mmap other->user, twice).
  Uring(Io& io, unsigned entries);
  // Unmaps the ring (recorded: munmap other->user, twice) and closes it.
  ~Uring();
  Uring(const Uring&) = delete;
  Uring& operator=(const Uring&) = delete;

  // True if the running kernel implements `opcode` (IORING_REGISTER_PROBE).
  bool supports(uint8_t opcode) const;

  // Returns a zeroed SQE for the caller to fill; submit_and_wait() publishes it.
  struct io_uring_sqe* queue();
  // Submits every queued SQE and waits until at least one CQE is available.
  void submit_and_wait();
  // Removes and returns the oldest CQE, waiting for one if none is ready.
  struct io_uring_cqe wait_cqe();

 private:
  Io& io_;
  Fd fd_;
  Endpoint ring_end_;
  void* ring_ = nullptr;  // SQ and CQ rings, one mapping (IORING_FEAT_SINGLE_MMAP)
  size_t ring_size_ = 0;
  struct io_uring_sqe* sqes_ = nullptr;
  size_t sqes_size_ = 0;
  unsigned to_submit_ = 0;
  // Pointers into the shared ring memory.
  unsigned *sq_head_, *sq_tail_, *sq_mask_, *sq_array_;
  unsigned *cq_head_, *cq_tail_, *cq_mask_;
  struct io_uring_cqe* cqes_;
};

}  // namespace workload
