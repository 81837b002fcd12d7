// Sets up the destination of the transfer and, for tcp/unix/pipe, the helper child
// process on its far side.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fd_util.h"
#include "options.h"
#include "receiver.h"

namespace workload {

// Unlinks a file when destroyed, so a `file` sink never outlives the run, even on error.
class RemovedOnExit {
 public:
  RemovedOnExit() = default;
  explicit RemovedOnExit(std::string path) : path_(std::move(path)) {}
  RemovedOnExit(RemovedOnExit&& o) noexcept : path_(std::exchange(o.path_, {})) {}
  RemovedOnExit& operator=(RemovedOnExit&& o) noexcept;
  ~RemovedOnExit();

 private:
  std::string path_;
};

struct Sink {
  SinkType type = SinkType::Null;
  Fd fd;  // the sender's end
  std::optional<Child> child;
  RemovedOnExit file;  // `file` sink: the destination file
};

// Opens the sink. `close_in_child` lists the caller's other fds that a forked helper
// child must not keep open. Throws RunError.
Sink open_sink(const RunOptions& opt, const std::vector<int>& close_in_child);

// Closes the sender's end (so a receiver sees EOF), collects the helper child's
// record into `processes` and checks that exactly `expected` bytes arrived. Throws
// RunError.
void finish_sink(Sink& sink, Io& io, uint64_t expected, std::vector<ProcessRecord>& processes);

}  // namespace workload
