// Which (method, source, sink) combinations make sense, decided from what Linux 6.x
// actually allows, and the up-front validation of a `run` command line.
#pragma once

#include <optional>
#include <string>

#include "options.h"

namespace workload {

// nullopt if the kernel can do this combination, else the reason it is refused.
std::optional<std::string> combination_refusal(Method m, SourceType src, SinkType sink);

// Checks everything that can be checked before touching any data (combination,
// sizes, alignment, source file size, --dir). Throws UsageError.
void validate_run(const RunOptions& opt);

// The methods/sinks/combinations part of --help, generated from the rules above.
std::string combinations_help();

}  // namespace workload
