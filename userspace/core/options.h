// Command-line options: parsed by CLI11 into a plain struct, validated here, so that main() only wires.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include "copy_mode.h"
#include "top_view.h"

namespace zctrace {

// `zctrace demo`: every transfer method, traced side by side.
struct DemoOptions {
  std::optional<std::string> json_path;  // --json FILE ('-' = stdout)
  std::string bytes = "64M";
  std::string chunk = "64K";
  std::vector<std::string> sinks = {"tcp", "file"};
  std::string dir = "/var/tmp";  // where the source and the file sink live (one filesystem)
};

// `zctrace check --expect zero-copy`: every bulk flow asked the kernel for zero copy and got it.
inline constexpr std::string_view kExpectZeroCopy = "zero-copy";

// `zctrace check`: the bar the bulk flows must meet.
struct CheckOptions {
  double max_cpu_copies_per_byte = 0;
  uint64_t min_bytes = 1 << 20;
  std::optional<std::string> expect;  // a flow method: "sendfile", "splice", ...; or kExpectZeroCopy
};

struct Options {
  enum class Mode { kTrace, kDemo, kCheck, kTop };
  Mode mode = Mode::kTrace;
  DemoOptions demo;
  CheckOptions check;
  std::vector<int> pids;                    // -p: trace these processes (all their threads, and descendants)
  std::optional<std::string> cgroup;        // --cgroup: every process in this cgroup v2 (or below it)
  std::optional<std::string> comm;          // --comm: every process of this name
  bool all = false;                         // -a: every process on the machine
  TopSort top_sort = TopSort::kCpuCopied;   // top --sort
  TopGroup top_group = TopGroup::kProcess;  // top --by
  std::vector<std::string> command;         // -- CMD ARGS: run and trace this command
  std::optional<double> duration_s;         // -d: stop after this long
  std::optional<std::string> json_path;     // --json FILE ('-' = stdout)
  bool quiet = false;                       // -q: no text report
  bool follow_children = true;              // trace processes the targets fork
  std::optional<std::string> run_as;
  // live outputs while tracing
  std::optional<double> interval_s;            // --interval: a refreshed view every S seconds
  std::optional<std::string> json_lines_path;  // --json-lines FILE ('-' = stdout): one record per interval
  std::optional<std::string> prometheus_host;  // --prometheus [ADDR:]PORT: serve /metrics
  uint16_t prometheus_port = 0;
  bool prometheus_pid_label = false;
  bool per_connection = false;  // --connections: the text report lists a grouped flow's connections
  unsigned max_processes = 8192;
  unsigned max_paths = 16384;
  CopyMode copy_mode = CopyMode::kAuto;  // --mode
  // --stacks: the user call stack of every data call (also on with --folded or --pprof)
  bool stacks = false;
  std::optional<std::string> folded_path;  // --folded FILE: flame-graph input, CPU-copied bytes per stack
  std::optional<std::string> pprof_path;   // --pprof FILE: a gzip'd profile.proto
  bool self_cost = false;                  // --self-cost: zctrace's own BPF run time and CPU in the report
};

struct ParseResult {
  std::optional<Options> options;  // set when tracing should go ahead
  int exit_code = 0;               // otherwise: exit with this (0 for --help/--version, 2 for usage errors)
  std::string output;              // help text, or a one-line error
};

// "0.1.0": the project's version.
const char* ToolVersion();

ParseResult ParseOptions(const std::vector<std::string>& args);  // args without argv[0]

}  // namespace zctrace
