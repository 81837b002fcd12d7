// Methods where the kernel moves the data between fds (or pins user pages) without a
// copy through user space: sendfile, copy-file-range, splice, vmsplice, tee.
#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "errors.h"
#include "extents.h"
#include "fd_util.h"
#include "transfer.h"

namespace workload {
namespace {

// Splices exactly n bytes out of pipe `from` (which holds at least n) into `to`.
void splice_out(Transfer& t, const Endpoint& from, const Endpoint& to, size_t n) {
  while (n > 0)
    n -= check_moved(t.io.splice(from, to, n, 0), "splice from pipe");
}

Endpoint pipe_end(const Fd& fd) {
  return endpoint(fd.get());
}

}  // namespace

uint64_t transfer_sendfile(Transfer& t) {
  uint64_t done = 0;
  while (done < t.bytes)
    done += check_moved(t.io.sendfile(t.sink, t.source, next_len(t, done)), "sendfile");
  return done;
}

uint64_t transfer_copy_file_range(Transfer& t) {
  uint64_t done = 0;
  while (done < t.bytes) {
    long n = t.io.copy_file_range(t.source, t.sink, next_len(t, done));
    if (n < 0 && errno == EXDEV)
      throw RunError("copy_file_range: --file and --dir are on different filesystems (EXDEV)");
    done += check_moved(n, "copy_file_range");
  }
  t.kernel.sink_shared_bytes = shared_extent_bytes(t.sink.fd);
  return done;
}

uint64_t transfer_splice(Transfer& t) {
  uint64_t done = 0;
  if (t.sink_type == SinkType::Pipe) {
    // The sink is itself a pipe: splice the source straight into it.
    while (done < t.bytes)
      done += check_moved(t.io.splice(t.source, t.sink, next_len(t, done), 0), "splice");
    return done;
  }
  Pipe p = make_pipe(t.chunk);
  Endpoint in = pipe_end(p.write), out = pipe_end(p.read);
  while (done < t.bytes) {
    size_t n = check_moved(t.io.splice(t.source, in, next_len(t, done), 0), "splice into pipe");
    splice_out(t, out, t.sink, n);
    done += n;
  }
  return done;
}

uint64_t transfer_vmsplice(Transfer& t) {
  // For the pipe sink the user pages go straight into the sink pipe.
  const bool direct = t.sink_type == SinkType::Pipe;
  Pipe p;
  if (!direct)
    p = make_pipe(t.chunk);
  Endpoint in = direct ? t.sink : pipe_end(p.write);
  Endpoint out = direct ? Endpoint{} : pipe_end(p.read);

  uint64_t done = 0;
  while (done < t.bytes) {
    size_t n = check_moved(t.io.read(t.source, t.buffer, next_len(t, done)), "read");
    // vmsplice puts references to the buffer's pages into the pipe, not copies. The
    // intermediate pipe is emptied after every vmsplice, before the buffer is refilled;
    // the sink pipe is emptied by the drainer in its own time, so it may see later
    // contents -- harmless, as it only counts bytes.
    for (size_t off = 0; off < n;) {
      struct iovec iov = {t.buffer + off, n - off};
      size_t moved = check_moved(t.io.vmsplice(in, &iov, 1), "vmsplice");
      if (!direct)
        splice_out(t, out, t.sink, moved);
      off += moved;
    }
    done += n;
  }
  return done;
}

uint64_t transfer_tee(Transfer& t) {
  // source -> A (splice); A -> B (tee, duplicates without consuming A);
  // B -> sink (splice); A -> /dev/null (splice, consumes what was duplicated).
  // For the pipe sink, B is the sink pipe itself.
  const bool direct = t.sink_type == SinkType::Pipe;
  Pipe a = make_pipe(t.chunk);
  Pipe b;
  if (!direct)
    b = make_pipe(t.chunk);
  Fd null_fd = open_or_throw("/dev/null", O_WRONLY, "tee drain");
  Endpoint a_in = pipe_end(a.write), a_out = pipe_end(a.read), null = endpoint(null_fd.get());
  Endpoint b_in = direct ? t.sink : pipe_end(b.write);
  Endpoint b_out = direct ? Endpoint{} : pipe_end(b.read);

  uint64_t done = 0;
  while (done < t.bytes) {
    size_t n = check_moved(t.io.splice(t.source, a_in, next_len(t, done), 0), "splice into pipe");
    // tee never consumes A, so after each (possibly partial) tee the duplicated part is
    // drained from A before the next tee, or it would be duplicated twice.
    for (size_t pending = n; pending > 0;) {
      size_t dup = check_moved(t.io.tee(a_out, b_in, pending), "tee");
      if (!direct)
        splice_out(t, b_out, t.sink, dup);
      splice_out(t, a_out, null, dup);
      pending -= dup;
    }
    done += n;
  }
  return done;
}

}  // namespace workload
