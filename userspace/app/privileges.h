// Whether this process may load and attach tracing BPF programs.
#pragma once

#include <string>

namespace zctrace {

// True with CAP_SYS_ADMIN, or CAP_BPF together with CAP_PERFMON, in the effective set.
bool HasTracingPrivileges();

}  // namespace zctrace
