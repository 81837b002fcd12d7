// Methods that copy through a user-space buffer or a mapping:
// read-write (and o-direct), readv-writev, pread-pwrite, mmap-write.
#include <sys/mman.h>

#include "errors.h"
#include "transfer.h"

namespace workload {

uint64_t transfer_read_write(Transfer& t) {
  uint64_t done = 0;
  while (done < t.bytes) {
    size_t n = check_moved(t.io.read(t.source, t.buffer, next_len(t, done)), "read");
    write_all(t.io, t.sink, t.buffer, n);
    done += n;
  }
  return done;
}

namespace {

// Writes buf[0, n) with writev, always as two iovecs split at `half` (the boundary
// readv used), continuing after short writes.
void writev_all(Transfer& t, size_t n, size_t half) {
  size_t off = 0;
  while (off < n) {
    size_t split = half < n ? half : n;
    size_t first = off < split ? off : split;   // start of the unsent part of half 1
    size_t second = off > split ? off : split;  // start of the unsent part of half 2
    struct iovec iov[2] = {{t.buffer + first, split - first}, {t.buffer + second, n - second}};
    off += check_moved(t.io.writev(t.sink, iov, 2), "writev");
  }
}

}  // namespace

uint64_t transfer_readv_writev(Transfer& t) {
  uint64_t done = 0;
  while (done < t.bytes) {
    size_t len = next_len(t, done);
    size_t half = len / 2;
    struct iovec iov[2] = {{t.buffer, half}, {t.buffer + half, len - half}};
    size_t n = check_moved(t.io.readv(t.source, iov, 2), "readv");
    writev_all(t, n, half);
    done += n;
  }
  return done;
}

uint64_t transfer_pread_pwrite(Transfer& t) {
  // pwrite only to the file sink; sockets and pipes refuse it (ESPIPE), and /dev/null
  // gets write() like the other non-file sinks.
  const bool seekable_sink = t.sink_type == SinkType::File;
  uint64_t done = 0;
  while (done < t.bytes) {
    auto offset = static_cast<off_t>(done);
    size_t n = check_moved(t.io.pread(t.source, t.buffer, next_len(t, done), offset), "pread");
    if (!seekable_sink) {
      write_all(t.io, t.sink, t.buffer, n);
    } else {
      for (size_t off = 0; off < n;)
        off += check_moved(t.io.pwrite(t.sink, t.buffer + off, n - off, offset + off), "pwrite");
    }
    done += n;
  }
  return done;
}

uint64_t transfer_mmap_write(Transfer& t) {
  void* map = t.io.mmap(t.source, t.bytes, PROT_READ, MAP_PRIVATE, 0);
  if (map == nullptr)
    throw_errno("mmap source");
  const char* data = static_cast<const char*>(map);
  uint64_t done = 0;
  try {
    while (done < t.bytes) {
      size_t len = next_len(t, done);
      write_all(t.io, t.sink, data + done, len);
      done += len;
    }
  } catch (...) {
    t.io.munmap(t.source, map, t.bytes);
    throw;
  }
  if (t.io.munmap(t.source, map, t.bytes) != 0)
    throw_errno("munmap source");
  return done;
}

}  // namespace workload
