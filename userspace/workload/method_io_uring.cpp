// io-uring: for every chunk, one IORING_OP_READ from the source into the buffer and
// then IORING_OP_WRITE of what was read to the sink (more writes only after a short
// write). For the tcp sink, IORING_OP_SEND_ZC replaces the write when the kernel has
// it. Each SQE is waited for before the next is queued, so a completion always
// belongs to the one request in flight.
#include <cerrno>

#include "errors.h"
#include "transfer.h"
#include "uring.h"

namespace workload {
namespace {

size_t check_cqe(int res, const char* what) {
  if (res < 0) {
    errno = -res;
    throw_errno(what);
  }
  if (res == 0)
    throw RunError(std::string(what) + ": data ended early");
  return static_cast<size_t>(res);
}

bool is_file(const Endpoint& e) {
  return e.kind == "file" || e.kind == "file-direct";
}

// Reads up to len bytes at `offset` into the buffer.
size_t uring_read(Transfer& t, Uring& ring, size_t len, uint64_t offset) {
  struct io_uring_sqe* sqe = ring.queue();
  sqe->opcode = IORING_OP_READ;
  sqe->fd = t.source.fd;
  sqe->addr = reinterpret_cast<uint64_t>(t.buffer);
  sqe->len = static_cast<uint32_t>(len);
  sqe->off = is_file(t.source) ? offset : 0;  // non-seekable files need offset 0
  ring.submit_and_wait();
  struct io_uring_cqe cqe = ring.wait_cqe();
  t.io.record_completion("io_uring_read", t.source.kind, kUser, cqe.res);
  return check_cqe(cqe.res, "io_uring read");
}

size_t uring_write(Transfer& t, Uring& ring, const char* data, size_t len, uint64_t offset) {
  struct io_uring_sqe* sqe = ring.queue();
  sqe->opcode = IORING_OP_WRITE;
  sqe->fd = t.sink.fd;
  sqe->addr = reinterpret_cast<uint64_t>(data);
  sqe->len = static_cast<uint32_t>(len);
  sqe->off = is_file(t.sink) ? offset : 0;  // sockets reject any other offset (ESPIPE)
  ring.submit_and_wait();
  struct io_uring_cqe cqe = ring.wait_cqe();
  t.io.record_completion("io_uring_write", kUser, t.sink.kind, cqe.res);
  return check_cqe(cqe.res, "io_uring write");
}

// A zero-copy send posts two CQEs: the result, flagged IORING_CQE_F_MORE, and later a
// notification (IORING_CQE_F_NOTIF) once the kernel no longer needs the buffer. Both
// are awaited so the buffer can be reused safely.
size_t uring_send_zc(Transfer& t, Uring& ring, const char* data, size_t len) {
  struct io_uring_sqe* sqe = ring.queue();
  sqe->opcode = IORING_OP_SEND_ZC;
  sqe->fd = t.sink.fd;
  sqe->addr = reinterpret_cast<uint64_t>(data);
  sqe->len = static_cast<uint32_t>(len);
  sqe->ioprio = IORING_SEND_ZC_REPORT_USAGE;  // ask whether the kernel copied anyway
  ring.submit_and_wait();
  struct io_uring_cqe result = ring.wait_cqe();
  t.io.record_completion("io_uring_send_zc", kUser, t.sink.kind, result.res);
  if (result.flags & IORING_CQE_F_MORE) {
    t.kernel.zerocopy_sends++;
    struct io_uring_cqe notif = ring.wait_cqe();
    if (!(notif.flags & IORING_CQE_F_NOTIF))
      throw RunError("io_uring: expected a SEND_ZC notification");
    t.kernel.zerocopy_notifications++;
    t.kernel.zerocopy_completions++;
    if (static_cast<uint32_t>(notif.res) & IORING_NOTIF_USAGE_ZC_COPIED) {
      t.kernel.zerocopy_copied = true;
      t.kernel.zerocopy_copied_completions++;
    }
  }
  return check_cqe(result.res, "io_uring send_zc");
}

}  // namespace

uint64_t transfer_io_uring(Transfer& t) {
  Uring ring(t.io, 4);
  t.kernel.send_zc = t.sink_type == SinkType::Tcp && ring.supports(IORING_OP_SEND_ZC);

  uint64_t done = 0;
  while (done < t.bytes) {
    size_t n = uring_read(t, ring, next_len(t, done), done);
    for (size_t off = 0; off < n;) {
      const char* data = t.buffer + off;
      off += t.kernel.send_zc ? uring_send_zc(t, ring, data, n - off)
                              : uring_write(t, ring, data, n - off, done + off);
    }
    done += n;
  }
  return done;
}

}  // namespace workload
