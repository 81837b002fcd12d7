// The state every transfer method works with, and the method dispatcher.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "fd_kind.h"
#include "options.h"
#include "traced_io.h"

namespace workload {

// Facts the kernel told us during the transfer, reported under "kernel" in the JSON.
struct KernelNotes {
  uint64_t zerocopy_sends = 0;               // zero-copy sends that owe a completion
  uint64_t zerocopy_completions = 0;         // of those, how many the kernel confirmed
  uint64_t zerocopy_notifications = 0;       // error-queue messages / io_uring notif CQEs read
  bool zerocopy_copied = false;              // any completion said the kernel copied after all
  uint64_t zerocopy_copied_completions = 0;  // the completions (sends) that said so
  bool send_zc = false;                      // io-uring used IORING_OP_SEND_ZC for the tcp sink
  std::optional<bool> o_direct_fallback;     // o-direct only: O_DIRECT refused, read buffered
  // copy-file-range: the destination's bytes in extents its filesystem shares with another file
  // (FIEMAP_EXTENT_SHARED: a reflink); empty where the filesystem cannot say (no FIEMAP)
  std::optional<uint64_t> sink_shared_bytes;
};

struct Transfer {
  Io& io;
  Endpoint source;
  Endpoint sink;
  SinkType sink_type;
  uint64_t bytes;  // total to move
  size_t chunk;    // at most this much per data syscall
  char* buffer;    // `chunk` bytes, 4096-aligned, allocated before the transfer
  KernelNotes& kernel;
};

// Moves t.bytes from t.source to t.sink with method m; returns the bytes delivered to
// the sink (always t.bytes: any shortfall throws RunError).
uint64_t run_method(Method m, Transfer& t);

// Per-family entry points (methods_*.cpp), all with run_method's contract.
uint64_t transfer_read_write(Transfer& t);  // also o-direct: only the source open differs
uint64_t transfer_readv_writev(Transfer& t);
uint64_t transfer_pread_pwrite(Transfer& t);
uint64_t transfer_mmap_write(Transfer& t);
uint64_t transfer_sendfile(Transfer& t);
uint64_t transfer_copy_file_range(Transfer& t);
uint64_t transfer_splice(Transfer& t);
uint64_t transfer_vmsplice(Transfer& t);
uint64_t transfer_tee(Transfer& t);
uint64_t transfer_msg_zerocopy(Transfer& t);
uint64_t transfer_io_uring(Transfer& t);

// How much the next step may move: min(chunk, what is left).
inline size_t next_len(const Transfer& t, uint64_t done) {
  uint64_t left = t.bytes - done;
  return left < t.chunk ? static_cast<size_t>(left) : t.chunk;
}

// Checks a data syscall's result: throws RunError on error (< 0) or on an early end
// of data (0 when more was expected).
size_t check_moved(long result, const char* what);

}  // namespace workload
