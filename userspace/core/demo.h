// `zctrace demo`: the four-copy model measured on this kernel. Pure part: from one traced run (the
// workload's ground truth and zctrace's report) to one row of the side-by-side table, and rendering.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report.h"
#include "vocabulary.h"

namespace zctrace {

// What the textbook says of a workload method, for the comparison column.
struct MethodLine {
  std::string_view method;  // workload method: "read-write", "sendfile", ...
  std::string_view model;   // line of the four-copy model it belongs to
  int textbook_cpu_copies;  // -1 where the textbook has no line for it
};
const std::vector<MethodLine>& DemoMethods();

struct DemoRow {
  std::string method;
  std::string sink;
  bool ran = false;
  std::string note;     // why it did not run, or what the kernel decided (e.g. "zerocopy copied")
  bool failed = false;  // the transfer or its tracing failed (not "n/a": a method this machine lacks)
  uint64_t bytes = 0;
  // the sending process's copies, and the receiving/draining processes' CPU copies, as the report has
  // them; per byte of the transfer (the workload's own count of it)
  CopyFigure cpu, dma, peer_cpu;
  double cpu_copies_per_byte = 0;
  double peer_cpu_copies_per_byte = 0;
  double dma_copies_per_byte = 0;
  double mode_switches_per_mib = 0;
  uint64_t syscalls = 0;
  uint64_t page_faults = 0;
  double wall_s = 0;
  std::string model;
  int textbook_cpu_copies = -1;
};

struct DemoResult {
  RunInfo run;
  std::string kernel;
  uint64_t bytes = 0;
  std::string chunk;
  std::vector<DemoRow> rows;
};

// One row from the workload's ground truth and zctrace's JSON report of the same run.
DemoRow ComputeDemoRow(const std::string& method, const std::string& sink, const nlohmann::json& truth,
                       const nlohmann::json& report);

void RenderDemoText(const DemoResult& result, std::ostream& out);
// Rows whose transfer or tracing failed: the demo exits non-zero when there is any.
size_t FailedRows(const DemoResult& result);
nlohmann::json DemoToJson(const DemoResult& result);

}  // namespace zctrace
