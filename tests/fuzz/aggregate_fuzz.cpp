// Fuzz target: aggregation and the renderers over a snapshot decoded from the input (the format is in
// snapshot_codec.h): raw map keys with out-of-range syscall, kind and method bytes, raw comm and dentry
// names, any counters. Aggregate, RenderText, RenderJson and RenderPrometheus must never crash, throw or
// hit UB; the JSON must be JSON, and the metrics what a Prometheus server can scrape.
#include <cmath>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "aggregate.h"
#include "fuzz_input.h"
#include "render.h"
#include "snapshot_codec.h"

namespace zctrace::fuzz {
namespace {

// The text exposition format: "# HELP"/"# TYPE" lines and "name{labels} value" samples, one per line
// (an unescaped newline in a label would split one), and valid UTF-8, without which Prometheus's
// parser rejects the label value and with it the whole scrape.
void CheckPrometheus(const std::string& text) {
  ZC_FUZZ_CHECK(IsValidUtf8(text), "metrics are not UTF-8:\n" + Escaped(text));
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0)
      continue;
    const size_t space = line.rfind(' ');
    const std::string value = space == std::string::npos ? "" : line.substr(space + 1);
    ZC_FUZZ_CHECK(line.rfind("zctrace_", 0) == 0 && !value.empty() &&
                      value.find_first_not_of("0123456789") == std::string::npos,
                  "not a sample line: " + Escaped(line));
  }
}

}  // namespace
}  // namespace zctrace::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zctrace;
  using namespace zctrace::fuzz;
  FuzzInput in(data, size);
  const FuzzCase c = DecodeFuzzCase(in);
  const Snapshot& s = c.snapshot;
  const Report report = Aggregate(s, c.options);

  ZC_FUZZ_CHECK(report.processes.size() == s.processes.size(), "one report per traced process");
  // A path lands in the report of a process with its slot, or is dropped with a warning (its slot is
  // unknown, or its key is invalid): none lands elsewhere, none vanishes silently.
  std::set<uint32_t> slots;
  for (const ProcessSnapshot& p : s.processes)
    slots.insert(p.slot);
  size_t placeable = 0, reported = 0;
  for (const PathSnapshot& p : s.paths)
    placeable += slots.count(p.key.slot);
  for (const ProcessReport& p : report.processes)
    reported += p.paths.size();
  const std::string paths = std::to_string(s.paths.size()) + " paths, " + std::to_string(placeable) +
                            " of traced processes, " + std::to_string(reported) + " reported";
  ZC_FUZZ_CHECK(reported <= placeable, paths);
  ZC_FUZZ_CHECK(report.warnings.size() >= s.warnings.size() + (s.paths.size() - reported), paths);
  ZC_FUZZ_CHECK(std::isfinite(report.totals.zero_copy_ratio()), "zero-copy ratio");

  std::ostringstream text;
  RenderText(report, text);
  ZC_FUZZ_CHECK(text.str().rfind("zctrace: ", 0) == 0, "text report header");

  // Prometheus runs before JSON: comm is a label there and not endpoint names, so that inputs with a
  // non-UTF-8 comm stop here while those with a non-UTF-8 file name still reach RenderJson.
  CheckPrometheus(RenderPrometheus(report, c.prometheus_pid_label));

  std::ostringstream json_text;
  RenderJson(report, json_text);
  // Whatever went in, what comes out must parse (no exception: parse(..., nullptr, false) flags errors).
  const nlohmann::json parsed = nlohmann::json::parse(json_text.str(), nullptr, false);
  ZC_FUZZ_CHECK(!parsed.is_discarded(), "RenderJson wrote invalid JSON: " + Escaped(json_text.str()));
  ZC_FUZZ_CHECK(parsed.at("processes").size() == report.processes.size(), "processes in the JSON");
  return 0;
}
