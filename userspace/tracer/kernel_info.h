// What userspace asks of the running kernel itself: its release, for the report and for the errors that
// name it, and its monotonic clock, the one the BPF programs read (bpf_ktime_get_ns), so that times taken
// on either side compare.
#pragma once

#include <cstdint>
#include <string>

namespace zctrace {

// CLOCK_MONOTONIC in nanoseconds.
uint64_t MonotonicNs();

// uname's release (uname -r).
std::string KernelRelease();

}  // namespace zctrace
