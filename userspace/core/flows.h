// Flows: from the kernel's flow and endpoint maps to named endpoints, the flow's cost in the copy model,
// and the advice of what a cheaper method would save. Pure functions over the snapshot.
#pragma once

#include <string>
#include <vector>

#include "report.h"
#include "snapshot.h"

namespace zctrace {

std::string_view FlowMethodName(uint8_t method);  // ZC_FLOW_* → "read+write", ...
std::vector<std::string_view> FlowMethodNames();  // every method's name, once each
// What a flow whose sends are TLS records the program encrypted itself (ZC_FLAG_SINK_USER_TLS) costs beyond
// the kernel's copies: one of its notes, and a line of the text report.
std::string_view UserTlsNote();

// TLS in user space: a from-memory flow of TLS records to a socket, in a process that read about as much
// from files as it wrote there without writing it anywhere else, is the plaintext it read, encrypted in
// between; its advice is kTLS with sendfile.
void AdviseUserTls(ProcessReport& proc);
// The model of the flow one call of this syscall makes by itself, source to sink ("in-kernel copy" for
// copy_file_range, "sendfile"), or empty when its flows take more calls (read+write) or it is none.
std::string_view WholeCallModel(Syscall syscall);

// An endpoint's name and kind from what the kernel recorded (or a placeholder when it was not named).
Endpoint NameEndpoint(const zc_endpoint_id& id, const Snapshot& snapshot);

// One flow report, costed from its legs in the copy model, with the advice.
FlowReport BuildFlow(const FlowSnapshot& raw, const Snapshot& snapshot);

// The per-process list: splice legs that a relay already covers are folded into it.
std::vector<FlowReport> BuildFlows(uint32_t slot, const Snapshot& snapshot);

}  // namespace zctrace
