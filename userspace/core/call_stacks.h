// --stacks in the report: a process's counted stacks with their paths' modelled copies, and each of its
// flows' call sites (the stacks of the calls that made the flow) with the advice a copy loop earns.
#pragma once

#include <cstdint>

#include "report.h"
#include "snapshot.h"

namespace zctrace {

// Fills proc->stacks and its flows' call_sites from the snapshot's stacks of the process at slot (its
// paths and flows already built: a stack's CPU copies per byte are its path's).
void AttachStacks(const Snapshot& snapshot, uint32_t slot, ProcessReport* proc);

// Whether a frame is in the C library, its threads library or the dynamic loader: the syscall wrappers
// and stdio a call site looks past, and the start-up code every frame-pointer chain ends in.
bool InRuntimeLibrary(const StackFrame& frame);

// Call sites shown per flow in the text report, and the frames each names.
constexpr size_t kCallSitesShown = 3;
constexpr size_t kCallSiteFrames = 4;

}  // namespace zctrace
