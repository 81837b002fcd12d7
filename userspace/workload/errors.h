// Error types for zctrace-workload. Usage errors exit 2, run-time failures exit 1;
// both carry a one-line message that main() prints to stderr.
#pragma once

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace workload {

// The command line asks for something impossible or meaningless (exit status 2).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Something failed while running (exit status 1).
struct RunError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws a RunError for the current errno: "<what>: <strerror(errno)>".
[[noreturn]] inline void throw_errno(const std::string& what) {
  throw RunError(what + ": " + std::strerror(errno));
}

}  // namespace workload
