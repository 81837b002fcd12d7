// `zctrace demo`: runs the reference workload by every method, each under `zctrace -- ...`, and
// prints the side-by-side table.
#pragma once

#include "options.h"
#include "report.h"

namespace zctrace {

int RunDemo(const DemoOptions& options, RunInfo info);

}  // namespace zctrace
