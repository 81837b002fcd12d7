// --stacks exports: the report's call stacks in the two formats profile viewers read, folded stacks (flame
// graphs) and pprof (go tool pprof, Grafana Pyroscope, Parca). Like the renderers, they compute nothing:
// every count comes from the report's CallStacks.
#pragma once

#include <cstdint>
#include <string>

#include "report.h"

namespace zctrace {

// The name a frame is shown by: its function, else "module+0xOFFSET" (module's basename), else "0xADDRESS".
std::string FrameName(const StackFrame& frame);

// Folded stacks (the "collapsed" format of flamegraph.pl, inferno and speedscope): one line per distinct
// stack, root first, frames joined by ';', a space, then the stack's CPU-copied bytes. The first frame is
// the process's comm, the last the path label in brackets ("[read file → user]") so that a flame graph
// shows which syscall path each leaf is. Stacks that copied nothing are left out, lines that name the same
// frames are merged by summing, and the lines are sorted. ';' in a name becomes ':' and a line break a
// space: either would break the format.
std::string FoldedStacks(const Report& report);

// A gzip-compressed pprof profile (github.com/google/pprof proto/profile.proto) with one sample per
// CallStack: values cpu_copied_bytes (the default), bytes, calls and mode_switches, labels pid (numeric),
// comm and path. The comm and path frames of the folded format are labels here, not locations.
// Throws std::runtime_error if zlib fails (it only does when out of memory).
std::string PprofProfile(const Report& report, int64_t time_nanos, int64_t duration_nanos);

}  // namespace zctrace
