// Names the frames of the stacks the kernel counted (--stacks): each address through the code mapping the
// kernel recorded for it while the process was alive, then the mapped file's symbols (ELF .symtab, else a
// Debian debug file found by build id, else .dynsym) or, for anonymous code, the process's perf-PID.map.
// An address no symbol covers is kept as module+offset, never dropped.
#pragma once

#include <string>

#include "snapshot.h"

namespace zctrace {

// Fills every stack's frames and truncated (snapshot.stacks) from stack_addresses and code_mappings.
// perf_map_dir: where JIT runtimes write perf-PID.map ("/tmp").
void SymbolizeStacks(Snapshot* snapshot, const std::string& perf_map_dir = "/tmp");

}  // namespace zctrace
