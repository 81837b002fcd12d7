// The run metadata every document carries: which zctrace, on which host, when, asked to trace what.
#pragma once

#include <string>
#include <vector>

#include "options.h"
#include "report.h"

namespace zctrace {

// Now, UTC, RFC 3339 with milliseconds: "2026-12-07T13:14:16.123Z".
std::string UtcTimestamp();

// The version, host and targets; the start and end times are the caller's to set.
RunInfo DescribeRun(const Options& options, const std::vector<std::string>& argv);

}  // namespace zctrace
