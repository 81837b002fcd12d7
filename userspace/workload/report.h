// The JSON ground-truth document and the single write() that emits it.
#pragma once

#include <string>
#include <vector>

#include "options.h"
#include "receiver.h"
#include "transfer.h"

namespace workload {

struct RunSummary {
  const RunOptions& options;
  uint64_t bytes_transferred;
  double wall_s;
  const std::vector<ProcessRecord>& processes;  // sender first
  const KernelNotes& kernel;
  std::string report_sink_kind;  // kind of the fd the document is written to
};

// Renders the whole document (schema "zctrace-workload/1"), newline-terminated.
std::string render_report(const RunSummary& summary);

// Emits the document with exactly one write(): the only data syscall that is not in
// the document itself (it cannot count its own write). Throws RunError if the write
// fails or is short.
void write_report(int fd, const std::string& doc);

}  // namespace workload
