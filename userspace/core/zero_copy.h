// Claimed vs achieved zero copy: what a flow (or a path that has no flows, as io_uring's) asked the
// kernel for to avoid a copy, what the kernel did, and why the two differ. From the kernel's own evidence
// where it gives any (the completions of zero-copy sends, the page-cache pages the calls dirtied or
// filled, the blocks they submitted), else from the copy model. Pure functions over a process's report.
#pragma once

#include <string_view>

#include "report.h"

namespace zctrace {

std::string_view AchievedName(Achieved a);  // "zero-copy", "copied", "partly copied", "unknown"

// Fills the zero_copy verdict of every flow and path of the process that asked for zero copy.
// disk_measured: the page-cache and block tracepoints were attached (else copy_file_range and O_DIRECT are
// judged from the filesystem's type, modelled). ktls_mode_measured: kTLS sockets said whether the NIC
// encrypts (else software is assumed, and said to be).
void JudgeZeroCopy(ProcessReport& process, bool disk_measured, bool ktls_mode_measured = false);

}  // namespace zctrace
