// The kernels zctrace supports: the oldest one it is tested on, and the line a user of an older one sees
// before anything is loaded.
#pragma once

#include <string>
#include <string_view>

namespace zctrace {

inline constexpr int kOldestKernelMajor = 6;
inline constexpr int kOldestKernelMinor = 1;

// Empty when `release` (uname -r: "6.1.0-56-amd64") is the oldest supported kernel or newer, or cannot be
// read (a custom string: let the load say what it lacks); else one line saying why zctrace cannot run.
std::string UnsupportedKernel(std::string_view release);

}  // namespace zctrace
