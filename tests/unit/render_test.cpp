// The JSON contract (issue #2) checked field by field, and both renderers against golden files.
// Regenerate the golden files with scripts/update-golden.sh and review the diff.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "aggregate.h"
#include "render.h"

namespace zctrace {
namespace {

using nlohmann::json;

Report Fixture() {
  Snapshot s;
  s.now_ns = 3'000'000'000;
  s.duration_s = 2;
  s.kernel = "6.18.0-test";
  s.capabilities = {{"syscalls", true, "raw_syscalls:sys_exit"},
                    {"page_faults", false, "exceptions:page_fault_user: not in this kernel"}};
  ProcessSnapshot p;
  p.slot = 0;
  p.info.tgid = 100;
  p.info.parent_tgid = 1;
  p.info.start_ns = 1'000'000'000;
  p.info.exit_ns = 2'000'000'000;
  std::strcpy(p.info.comm, "relay");
  p.counters.syscalls = 2010;
  p.counters.page_faults = 4;
  s.processes.push_back(p);
  auto path = [](Syscall sc, Kind a, Kind b, uint64_t calls, uint64_t bytes, uint8_t flags) {
    PathSnapshot x;
    x.key = {0, static_cast<uint8_t>(sc), static_cast<uint8_t>(a), static_cast<uint8_t>(b), flags};
    x.counters.calls = calls;
    x.counters.bytes = bytes;
    return x;
  };
  s.paths.push_back(path(Syscall::kRead, Kind::kFile, Kind::kUser, 1000, 65536000, 0));
  s.paths.push_back(path(Syscall::kWrite, Kind::kUser, Kind::kTcp, 1000, 65536000, ZC_FLAG_SINK_LOOPBACK));
  s.paths.push_back(path(Syscall::kSendfile, Kind::kFile, Kind::kTcp, 10, 655360, ZC_FLAG_SINK_LOOPBACK));
  Report report = Aggregate(s, {true});
  report.run.tool_version = "0.1.0";
  report.run.hostname = "build-host";
  report.run.started_at = "2026-12-07T10:00:00.000Z";
  report.run.ended_at = "2026-12-07T10:00:02.000Z";
  report.run.argv = {"zctrace", "--json", "-", "--", "relay"};
  report.run.command = {"relay"};
  return report;
}

std::string GoldenPath(const std::string& name) {
  return std::string(ZCTRACE_GOLDEN_DIR) + "/" + name;
}

void CompareWithGolden(const std::string& name, const std::string& actual) {
  if (std::getenv("ZCTRACE_UPDATE_GOLDEN")) {
    std::ofstream(GoldenPath(name)) << actual;
    return;
  }
  std::ifstream in(GoldenPath(name));
  ASSERT_TRUE(in) << "missing golden file " << GoldenPath(name) << ": run scripts/update-golden.sh";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str()) << "renderer output changed: review, then scripts/update-golden.sh";
}

TEST(RenderJson, FollowsTheContract) {
  const json j = ReportToJson(Fixture());
  EXPECT_EQ(j.at("schema"), "zctrace/2");
  EXPECT_TRUE(j.at("duration_s").is_number_float());
  const json& run = j.at("run");
  EXPECT_EQ(run.at("kernel"), "6.18.0-test");
  EXPECT_EQ(run.at("tool_version"), "0.1.0");
  EXPECT_EQ(run.at("hostname"), "build-host");
  EXPECT_EQ(run.at("started_at"), "2026-12-07T10:00:00.000Z");
  EXPECT_EQ(run.at("targets").at("command"), json::array({"relay"}));
  EXPECT_TRUE(j.at("capabilities").is_object());
  EXPECT_FALSE(j.at("capabilities").at("page_faults").at("available").get<bool>());
  ASSERT_EQ(j.at("processes").size(), 1u);
  const json& p = j.at("processes")[0];
  EXPECT_EQ(p.at("pid"), 100);
  EXPECT_EQ(p.at("comm"), "relay");
  EXPECT_EQ(p.at("syscalls").at("read").at("calls"), 1000);
  EXPECT_EQ(p.at("syscalls").at("sendfile").at("bytes"), 655360);
  EXPECT_EQ(p.at("syscalls").at("write").at("errors"), 0);
  EXPECT_EQ(p.at("exit_code"), 0);
  EXPECT_TRUE(p.at("exit_signal").is_null());
  // one shape for copies, mode switches and page faults at every level
  const auto same_shapes = [](const json& at, const std::string& where) {
    for (const char* kind : {"cpu", "dma"}) {
      const json& c = at.at("copies").at(kind);
      EXPECT_TRUE(c.at("count").is_number_integer()) << where;
      EXPECT_TRUE(c.at("bytes").is_number_integer()) << where;
      EXPECT_TRUE(c.at("per_byte").is_number_float()) << where;
      EXPECT_TRUE(c.at("measured_bytes").is_number_integer()) << where;
      const std::string basis = c.at("basis");
      EXPECT_TRUE(basis == "measured" || basis == "modelled") << where << ": " << basis;
    }
    const json& m = at.at("mode_switches");
    EXPECT_EQ(m.at("total"), m.at("syscalls").get<uint64_t>() + m.at("page_faults").get<uint64_t>()) << where;
  };
  same_shapes(p, "process");
  same_shapes(j.at("totals"), "totals");
  EXPECT_EQ(p.at("mode_switches").at("total"), 2 * (2010 + 4));
  EXPECT_EQ(p.at("mode_switches").at("page_faults"), 2 * 4);
  EXPECT_EQ(p.at("page_faults").at("total"), 4);
  EXPECT_EQ(p.at("copies").at("cpu").at("bytes"), 2 * 65536000);
  for (const json& path : p.at("paths")) {
    same_shapes(path, "path");
    EXPECT_TRUE(path.at("page_faults").at("total").is_number_integer());
    for (const char* end : {"source", "sink"})
      EXPECT_TRUE(path.at(end).at("kind").is_string()) << end;
    EXPECT_TRUE(path.at("device").contains("page_cache_created_bytes"));
  }
  const json& sendfile = p.at("paths")[2];
  EXPECT_EQ(sendfile.at("method"), "sendfile");
  EXPECT_EQ(sendfile.at("copies").at("cpu").at("bytes"), 0);
  EXPECT_EQ(sendfile.at("flags"), json::array({"sink_loopback"}));
  EXPECT_TRUE(sendfile.at("sink").at("loopback").get<bool>());
  const json& totals = j.at("totals");
  EXPECT_EQ(totals.at("bytes_moved"), 2 * 65536000 + 655360);
  EXPECT_EQ(totals.at("copies").at("cpu").at("bytes"), 2 * 65536000);
  EXPECT_TRUE(totals.at("zero_copy_ratio").is_number_float());
  EXPECT_TRUE(j.at("warnings").is_array());
}

TEST(RenderJson, Golden) {
  std::ostringstream out;
  RenderJson(Fixture(), out);
  CompareWithGolden("relay.json", out.str());
}

TEST(RenderText, Golden) {
  std::ostringstream out;
  RenderText(Fixture(), out);
  CompareWithGolden("relay.txt", out.str());
}

TEST(RenderText, HumanUnits) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(1023), "1023 B");
  EXPECT_EQ(HumanBytes(1024), "1.0 KiB");
  EXPECT_EQ(HumanBytes(65536000), "62.5 MiB");
  EXPECT_EQ(HumanBytes(3ull << 40), "3.0 TiB");
  EXPECT_EQ(GroupedCount(0), "0");
  EXPECT_EQ(GroupedCount(999), "999");
  EXPECT_EQ(GroupedCount(1234567), "1,234,567");
}

}  // namespace
}  // namespace zctrace

namespace zctrace {
namespace {

void CollectKeys(const nlohmann::json& j, std::set<std::string>& keys) {
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      keys.insert(key);
      CollectKeys(value, keys);
    }
  } else if (j.is_array()) {
    for (const auto& v : j)
      CollectKeys(v, keys);
  }
}

// A measured copy total is shown alone: "62.5 MiB (M)", not beside the model's factor ("1x 62.5 MiB (M)"
// read as the factor times the total), and a process's sum that mixes bases says both parts.
TEST(RenderText, AMeasuredCopyTotalStandsAlone) {
  Report report = Fixture();
  PathReport& read = report.processes[0].paths[0];
  read.cpu.basis = Basis::kMeasured;
  report.processes[0].cpu.measured_bytes = read.cpu.bytes;
  std::ostringstream out;
  RenderText(report, out);
  const std::string text = out.str();
  EXPECT_NE(text.find(HumanBytes(read.cpu.bytes) + " (M)"), std::string::npos) << text;
  EXPECT_EQ(text.find("x " + HumanBytes(read.cpu.bytes) + " (M)"), std::string::npos) << text;
  EXPECT_NE(text.find(HumanBytes(read.cpu.bytes) + " measured, "), std::string::npos) << text;
}

// Every field the JSON renderer emits is documented in the schema (docs/json-schema.md).
TEST(RenderJson, EveryFieldIsDocumentedInTheSchema) {
  Report report = Fixture();
  FlowReport flow;
  flow.method = "read+write";
  flow.better_method = "sendfile";
  report.processes[0].flows.push_back(flow);
  std::set<std::string> keys;
  CollectKeys(ReportToJson(report), keys);
  CollectKeys(JsonLine(report, nullptr, 1, "t"), keys);
  CollectKeys(JsonLinesStart(report, "t", 1), keys);
  CollectKeys(JsonLinesEnd(report, nullptr, 1, "t"), keys);
  std::ifstream in(std::string(ZCTRACE_SOURCE_DIR) + "/docs/json-schema.md");
  std::stringstream schema;
  schema << in.rdbuf();
  ASSERT_GT(schema.str().size(), 1000u) << "docs/json-schema.md is missing or empty";
  for (const std::string& key : keys) {
    // syscall names and capability names are data (map keys), not fields
    if (report.processes[0].syscalls.count(key))
      continue;
    const bool capability = std::any_of(report.capabilities.begin(), report.capabilities.end(),
                                        [&](const Capability& c) { return c.name == key; });
    if (capability)
      continue;
    EXPECT_NE(schema.str().find("\"" + key + "\""), std::string::npos)
        << "docs/json-schema.md does not document \"" << key << "\"";
  }
}

}  // namespace
}  // namespace zctrace

namespace zctrace {
namespace {

// Every format through the one interface: the same bytes as the format's own function.
TEST(Renderers, EachFormatRendersThroughTheInterface) {
  const Report report = Fixture();
  std::ostringstream text, json_out, lines, metrics;
  RendererFor(Format::kText).Render(report, {}, text);
  RendererFor(Format::kJson).Render(report, {}, json_out);
  RenderContext live;
  live.elapsed_s = 2;
  live.timestamp = "t";
  live.previous = &report;
  RendererFor(Format::kJsonLines).Render(report, live, lines);
  RendererFor(Format::kPrometheus).Render(report, live, metrics);
  std::ostringstream expected_text, expected_json;
  RenderText(report, expected_text);
  RenderJson(report, expected_json);
  EXPECT_EQ(text.str(), expected_text.str());
  EXPECT_EQ(json_out.str(), expected_json.str());
  EXPECT_EQ(lines.str(), JsonText(JsonLine(report, &report, 2, "t")) + "\n");
  EXPECT_EQ(metrics.str(), RenderPrometheus(report, false));
  live.pid_label = true;
  std::ostringstream with_pid;
  RendererFor(Format::kPrometheus).Render(report, live, with_pid);
  EXPECT_EQ(with_pid.str(), RenderPrometheus(report, true));
  EXPECT_NE(with_pid.str(), metrics.str());
}

}  // namespace
}  // namespace zctrace

namespace zctrace {
namespace {

TEST(RenderText, IntervalRatesArePerSecondOfTheInterval) {
  Totals delta;
  delta.bytes_moved = 128 << 20;
  delta.cpu = {100, 64 << 20, Basis::kModelled, 0};
  delta.dma = {0, 0, Basis::kMeasured, 0};
  delta.syscalls = 1000;
  EXPECT_EQ(IntervalRates(delta, 2.0),
            "last 2.0 s: moved 64.0 MiB/s · CPU-copied 32.0 MiB/s · DMA 0 B/s (M) · 1,000 mode switches/s");
  EXPECT_EQ(IntervalRates(delta, 0), "");
}

}  // namespace
}  // namespace zctrace

namespace zctrace {
namespace {

// --self-cost in every format: per program in Prometheus (seconds, as counted in nanoseconds), in the text
// report's last lines, in JSON; absent from all three without it.
TEST(RenderSelfCost, ProgramsTheirRunsAndTheCollectorsCpu) {
  Report report = Fixture();
  std::ostringstream plain_text;
  RenderText(report, plain_text);
  EXPECT_EQ(plain_text.str().find("own cost"), std::string::npos);
  EXPECT_EQ(RenderPrometheus(report, false).find("zctrace_bpf_"), std::string::npos);
  EXPECT_TRUE(ReportToJson(report).at("self_cost").is_null());

  SelfCost cost;
  cost.programs = {{"on_sys_exit", 4000, 600000}, {"on_exec", 2, 1500}};
  cost.bpf_runs = 4002;
  cost.bpf_run_time_ns = 601500;
  cost.collector_cpu_s = 0.125;
  report.self_cost = cost;
  const std::string metrics = RenderPrometheus(report, false);
  EXPECT_NE(metrics.find("zctrace_bpf_runs_total{program=\"on_sys_exit\"} 4000\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("zctrace_bpf_run_seconds_total{program=\"on_sys_exit\"} 0.0006\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("zctrace_bpf_run_seconds_total{program=\"on_exec\"} 1.5e-06\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("zctrace_collector_cpu_seconds_total 0.125\n"), std::string::npos) << metrics;
  std::ostringstream text;
  RenderText(report, text);
  EXPECT_NE(text.str().find(
                "zctrace's own cost (measured): BPF 0.6 ms in 4,002 program runs on the machine (150 ns "
                "each), on_sys_exit 100% of it; collector 125.0 ms CPU"),
            std::string::npos)
      << text.str();
  const nlohmann::json j = ReportToJson(report).at("self_cost");
  EXPECT_EQ(j.at("bpf").at("runs"), 4002);
  EXPECT_EQ(j.at("bpf").at("programs").at(1).at("name"), "on_exec");
  EXPECT_EQ(j.at("basis"), "measured");
}

}  // namespace
}  // namespace zctrace
