// The subcommands (extents.h has `extents`). They throw UsageError (exit 2) or RunError (exit 1).
#pragma once

#include <cstdint>
#include <string>

#include "options.h"

namespace workload {

// `prepare`: writes `bytes` of pseudo-random data to `path` and fsyncs it, so a later
// `run --cold` can drop it from the page cache and read it back from disk.
void prepare_command(const std::string& path, uint64_t bytes);

// `run`: performs the transfer and writes the JSON report.
void run_command(const RunOptions& options);

}  // namespace workload
