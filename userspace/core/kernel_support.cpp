#include "kernel_support.h"

#include <cstdio>

namespace zctrace {

std::string UnsupportedKernel(std::string_view release) {
  int major = 0, minor = 0;
  if (std::sscanf(std::string(release).c_str(), "%d.%d", &major, &minor) != 2)
    return "";
  if (major > kOldestKernelMajor || (major == kOldestKernelMajor && minor >= kOldestKernelMinor))
    return "";
  return "this kernel (" + std::string(release) + ") is older than Linux " +
         std::to_string(kOldestKernelMajor) + "." + std::to_string(kOldestKernelMinor) +
         ", the oldest zctrace supports: its BPF programs read the io_uring tracepoints as 6.1 lays them out "
         "and take BTF-typed syscall tracepoints, task iterators and bpf_find_vma, which older kernels lack "
         "or lay out otherwise (tested on Debian's 6.1 and 6.12, and 6.18)";
}

}  // namespace zctrace
