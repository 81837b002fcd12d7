// Fuzz target: aggregation and both renderers over a snapshot decoded from the input (the format is in
// snapshot_codec.h): raw map keys with out-of-range syscall, kind and method bytes, raw comm and dentry
// names, any counters. Aggregate, RenderText and RenderJson must never crash, throw or hit UB, and the
// JSON must be JSON.
#include <cmath>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "aggregate.h"
#include "fuzz_input.h"
#include "render.h"
#include "snapshot_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zctrace;
  using namespace zctrace::fuzz;
  FuzzInput in(data, size);
  const FuzzCase c = DecodeFuzzCase(in);
  const Snapshot& s = c.snapshot;
  const Report report = Aggregate(s, c.options);

  ZC_FUZZ_CHECK(report.processes.size() == s.processes.size(), "one report per traced process");
  // A path lands in its process's report, or is dropped with a warning when no process has its slot.
  std::set<uint32_t> slots;
  for (const ProcessSnapshot& p : s.processes)
    slots.insert(p.slot);
  size_t placed = 0, reported = 0;
  for (const PathSnapshot& p : s.paths)
    placed += slots.count(p.key.slot);
  for (const ProcessReport& p : report.processes)
    reported += p.paths.size();
  ZC_FUZZ_CHECK(reported == placed, "paths placed " + std::to_string(placed) + ", reported " +
                                        std::to_string(reported));
  ZC_FUZZ_CHECK(std::isfinite(report.totals.zero_copy_ratio), "zero-copy ratio");

  std::ostringstream text;
  RenderText(report, text);
  ZC_FUZZ_CHECK(text.str().rfind("zctrace: ", 0) == 0, "text report header");

  std::ostringstream json_text;
  RenderJson(report, json_text);
  // Whatever went in, what comes out must parse (no exception: parse(..., nullptr, false) flags errors).
  const nlohmann::json parsed = nlohmann::json::parse(json_text.str(), nullptr, false);
  ZC_FUZZ_CHECK(!parsed.is_discarded(), "RenderJson wrote invalid JSON: " + Escaped(json_text.str()));
  ZC_FUZZ_CHECK(parsed.at("processes").size() == report.processes.size(), "processes in the JSON");
  return 0;
}
