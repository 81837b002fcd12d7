#include "kernel_info.h"

#include <sys/utsname.h>
#include <time.h>

namespace zctrace {

uint64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::string KernelRelease() {
  utsname u{};
  uname(&u);
  return u.release;
}

}  // namespace zctrace
