#include "transfer.h"

#include "errors.h"

namespace workload {

size_t check_moved(long result, const char* what) {
  if (result < 0)
    throw_errno(what);
  if (result == 0)
    throw RunError(std::string(what) + ": data ended early");
  return static_cast<size_t>(result);
}

uint64_t run_method(Method m, Transfer& t) {
  switch (m) {
    case Method::ReadWrite:
    case Method::ODirect:
      return transfer_read_write(t);
    case Method::ReadvWritev:
      return transfer_readv_writev(t);
    case Method::PreadPwrite:
      return transfer_pread_pwrite(t);
    case Method::MmapWrite:
      return transfer_mmap_write(t);
    case Method::Sendfile:
      return transfer_sendfile(t);
    case Method::CopyFileRange:
      return transfer_copy_file_range(t);
    case Method::Splice:
      return transfer_splice(t);
    case Method::Vmsplice:
      return transfer_vmsplice(t);
    case Method::Tee:
      return transfer_tee(t);
    case Method::MsgZerocopy:
      return transfer_msg_zerocopy(t);
    case Method::IoUring:
      return transfer_io_uring(t);
  }
  throw RunError("unknown method");
}

}  // namespace workload
