#include "uring.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "errors.h"

namespace workload {
namespace {

template <typename T>
T* at(void* base, unsigned offset) {
  return reinterpret_cast<T*>(static_cast<char*>(base) + offset);
}

}  // namespace

Uring::Uring(Io& io, unsigned entries) : io_(io) {
  struct io_uring_params p {};
  fd_ = Fd(static_cast<int>(syscall(SYS_io_uring_setup, entries, &p)));
  if (!fd_.valid())
    throw_errno("io_uring_setup");
  if (!(p.features & IORING_FEAT_SINGLE_MMAP))
    throw RunError("io_uring: kernel lacks IORING_FEAT_SINGLE_MMAP");
  ring_end_ = endpoint(fd_.get());

  size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  ring_size_ = sq_size > cq_size ? sq_size : cq_size;
  ring_ =
      io_.mmap(ring_end_, ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, IORING_OFF_SQ_RING);
  if (ring_ == nullptr)
    throw_errno("mmap io_uring rings");
  sqes_size_ = p.sq_entries * sizeof(struct io_uring_sqe);
  sqes_ = static_cast<struct io_uring_sqe*>(
      io_.mmap(ring_end_, sqes_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, IORING_OFF_SQES));
  if (sqes_ == nullptr) {
    io_.munmap(ring_end_, ring_, ring_size_);
    throw_errno("mmap io_uring SQEs");
  }

  sq_head_ = at<unsigned>(ring_, p.sq_off.head);
  sq_tail_ = at<unsigned>(ring_, p.sq_off.tail);
  sq_mask_ = at<unsigned>(ring_, p.sq_off.ring_mask);
  sq_array_ = at<unsigned>(ring_, p.sq_off.array);
  cq_head_ = at<unsigned>(ring_, p.cq_off.head);
  cq_tail_ = at<unsigned>(ring_, p.cq_off.tail);
  cq_mask_ = at<unsigned>(ring_, p.cq_off.ring_mask);
  cqes_ = at<struct io_uring_cqe>(ring_, p.cq_off.cqes);
  // SQ slot i always holds SQE i, so the indirection array is set up once.
  for (unsigned i = 0; i < p.sq_entries; i++)
    sq_array_[i] = i;
}

Uring::~Uring() {
  io_.munmap(ring_end_, sqes_, sqes_size_);
  io_.munmap(ring_end_, ring_, ring_size_);
}

bool Uring::supports(uint8_t opcode) const {
  constexpr unsigned kOps = 256;
  std::vector<char> mem(sizeof(struct io_uring_probe) + kOps * sizeof(struct io_uring_probe_op));
  auto* probe = reinterpret_cast<struct io_uring_probe*>(mem.data());
  if (syscall(SYS_io_uring_register, fd_.get(), IORING_REGISTER_PROBE, probe, kOps) < 0)
    return false;
  return opcode <= probe->last_op && (probe->ops[opcode].flags & IO_URING_OP_SUPPORTED);
}

struct io_uring_sqe* Uring::queue() {
  unsigned tail = *sq_tail_ + to_submit_;  // only this thread writes the SQ tail
  unsigned head = __atomic_load_n(sq_head_, __ATOMIC_ACQUIRE);
  if (tail - head > *sq_mask_)
    throw RunError("io_uring: submission queue full");
  struct io_uring_sqe* sqe = &sqes_[tail & *sq_mask_];
  std::memset(sqe, 0, sizeof(*sqe));
  to_submit_++;
  return sqe;
}

void Uring::submit_and_wait() {
  // Publish the filled SQEs (release: the kernel must see their contents first).
  __atomic_store_n(sq_tail_, *sq_tail_ + to_submit_, __ATOMIC_RELEASE);
  long r = syscall(SYS_io_uring_enter, fd_.get(), to_submit_, 1, IORING_ENTER_GETEVENTS, nullptr, 0);
  if (r < 0)
    throw_errno("io_uring_enter");
  to_submit_ = 0;
}

struct io_uring_cqe Uring::wait_cqe() {
  for (;;) {
    unsigned head = *cq_head_;
    if (head != __atomic_load_n(cq_tail_, __ATOMIC_ACQUIRE)) {
      struct io_uring_cqe cqe = cqes_[head & *cq_mask_];
      __atomic_store_n(cq_head_, head + 1, __ATOMIC_RELEASE);
      return cqe;
    }
    submit_and_wait();
  }
}

}  // namespace workload
