// The live outputs' renderers: Prometheus exposition and JSON Lines records.
#include <gtest/gtest.h>

#include <cstring>

#include "aggregate.h"
#include "options.h"
#include "render.h"

namespace zctrace {
namespace {

Report TwoProcessesSameComm(uint64_t bytes_each) {
  Snapshot s;
  for (uint32_t slot = 0; slot < 2; ++slot) {
    ProcessSnapshot p;
    p.slot = slot;
    p.info.tgid = 100 + slot;
    std::strcpy(p.info.comm, slot ? "nginx \"w\"" : "nginx \"w\"");
    p.info.exit_ns = slot ? 5 : 0;  // one of them has exited: its counts must stay
    p.counters.syscalls = 10;
    s.processes.push_back(p);
    PathSnapshot path;
    path.key = {slot, ZC_SYS_SENDFILE, ZC_KIND_FILE, ZC_KIND_TCP, 0};
    path.counters.calls = 4;
    path.counters.bytes = bytes_each;
    s.paths.push_back(path);
    PathSnapshot map;
    map.key = {slot, ZC_SYS_MMAP, ZC_KIND_FILE, ZC_KIND_USER, 0};
    map.counters.calls = 1;
    map.counters.bytes = 4096;
    s.paths.push_back(map);
  }
  s.health.path_map_full = 3;
  AggregateOptions o;
  o.disk_measured = true;
  return Aggregate(s, o);
}

TEST(LivePrometheus, CountersByCommWithUnitsAndBoundedLabels) {
  const std::string text = RenderPrometheus(TwoProcessesSameComm(1000), false);
  // two processes with one comm add up into one series; the quote in the comm is escaped
  EXPECT_NE(
      text.find("zctrace_moved_bytes_total{comm=\"nginx \\\"w\\\"\",method=\"sendfile\",source=\"file\","
                "sink=\"tcp\"} 2000"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("zctrace_syscalls_total{comm=\"nginx \\\"w\\\"\",method=\"sendfile\""),
            std::string::npos);
  EXPECT_NE(text.find("copy=\"cpu\",basis=\"modelled\"} 0"), std::string::npos);
  EXPECT_NE(text.find("zctrace_mapped_bytes_total{comm=\"nginx \\\"w\\\"\",method=\"mmap\""),
            std::string::npos);
  EXPECT_EQ(text.find("zctrace_moved_bytes_total{comm=\"nginx \\\"w\\\"\",method=\"mmap\""),
            std::string::npos);
  EXPECT_NE(text.find("zctrace_processes{state=\"exited\"} 1"), std::string::npos);
  EXPECT_NE(text.find("zctrace_lost_events_total 3"), std::string::npos);
  EXPECT_NE(text.find("# TYPE zctrace_mode_switches_total counter"), std::string::npos);
  EXPECT_EQ(text.find("pid="), std::string::npos) << "no pid label unless asked";
  // every sample name ends in _total (counters) or is the one gauge
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#')
      continue;
    const std::string name = line.substr(0, line.find_first_of("{ "));
    EXPECT_TRUE(name == "zctrace_processes" || (name.size() > 6 && name.substr(name.size() - 6) == "_total"))
        << name;
  }
}

TEST(LivePrometheus, PidLabelOnlyWhenAsked) {
  const std::string text = RenderPrometheus(TwoProcessesSameComm(1000), true);
  EXPECT_NE(text.find("pid=\"100\""), std::string::npos);
  EXPECT_NE(text.find("pid=\"101\""), std::string::npos);
}

// A service's processes (by cgroup) carry its unit; folded exited processes count as many in the gauge.
TEST(LivePrometheus, ServiceLabelAndFoldedProcesses) {
  Snapshot s;
  ProcessSnapshot worker;
  worker.slot = 1;
  worker.info.tgid = 200;
  worker.info.cgroup_id = 77;
  std::strcpy(worker.info.comm, "nginx");
  s.processes.push_back(worker);
  ProcessSnapshot folded = worker;
  folded.slot = 2;
  folded.info.tgid = 0;
  folded.info.exit_ns = 9;
  folded.folded = 40;
  s.processes.push_back(folded);
  s.cgroups[77] = "/system.slice/nginx.service";
  PathSnapshot path;
  path.key = {1, ZC_SYS_SENDFILE, ZC_KIND_FILE, ZC_KIND_TCP, 0};
  path.counters.calls = 1;
  path.counters.bytes = 100;
  s.paths.push_back(path);
  const std::string text = RenderPrometheus(Aggregate(s, {}), false);
  EXPECT_NE(
      text.find("zctrace_moved_bytes_total{comm=\"nginx\",service=\"nginx.service\",method=\"sendfile\""),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("zctrace_processes{state=\"exited\"} 40"), std::string::npos) << text;
  EXPECT_NE(text.find("zctrace_processes{state=\"alive\"} 1"), std::string::npos) << text;
}

TEST(LiveJsonLines, DeltasAndRunningTotalsUnderTheFinalNames) {
  const Report first = TwoProcessesSameComm(1000);
  const Report second = TwoProcessesSameComm(5000);
  const nlohmann::json a = JsonLine(first, nullptr, 1.0, "2026-01-01T00:00:01.000Z");
  const nlohmann::json b = JsonLine(second, &first, 2.0, "2026-01-01T00:00:02.000Z");
  EXPECT_EQ(a.at("schema"), "zctrace-lines/3");
  EXPECT_EQ(a.at("record"), "interval");
  EXPECT_EQ(a.at("delta").at("bytes_moved"), 2000);
  EXPECT_EQ(b.at("totals").at("bytes_moved"), 10000);
  EXPECT_EQ(b.at("delta").at("bytes_moved"), 8000);
  EXPECT_EQ(b.at("timestamp"), "2026-01-01T00:00:02.000Z");
  EXPECT_DOUBLE_EQ(b.at("elapsed_s").get<double>(), 2.0);
  ASSERT_EQ(b.at("processes").size(), 2u);
  EXPECT_EQ(b.at("processes")[0].at("delta").at("bytes_moved"), 4000);
  // a process's delta has the totals' shape
  EXPECT_EQ(b.at("processes")[0].at("delta").at("copies").at("cpu").size(),
            b.at("totals").at("copies").at("cpu").size());
  EXPECT_FALSE(b.contains("capabilities"));
  EXPECT_EQ(b.dump().find('\n'), std::string::npos);  // one record per line
  // an interval in which nothing changed lists no process
  EXPECT_TRUE(JsonLine(second, &second, 3.0, "t").at("processes").empty());
  const nlohmann::json end = JsonLinesEnd(second, &first, 2.5, "t");
  EXPECT_EQ(end.at("record"), "end");
  EXPECT_EQ(end.at("report").at("schema"), "zctrace/2");
  EXPECT_EQ(JsonLinesStart(first, "t", 1.0).at("record"), "start");
}

TEST(LiveOptions, LiveOutputs) {
  ParseResult r = ParseOptions({"--interval", "2", "--json-lines", "-", "--prometheus", "0.0.0.0:9435",
                                "--prometheus-pid-label", "-p", "1"});
  ASSERT_TRUE(r.options) << r.output;
  EXPECT_DOUBLE_EQ(*r.options->interval_s, 2);
  EXPECT_EQ(*r.options->json_lines_path, "-");
  EXPECT_EQ(*r.options->prometheus_host, "0.0.0.0");
  EXPECT_EQ(r.options->prometheus_port, 9435);
  EXPECT_TRUE(r.options->prometheus_pid_label);
  r = ParseOptions({"--prometheus", "9100", "-p", "1"});
  ASSERT_TRUE(r.options);
  EXPECT_EQ(*r.options->prometheus_host, "127.0.0.1");  // loopback unless told otherwise
  r = ParseOptions({"--json-lines", "x", "-p", "1"});
  EXPECT_DOUBLE_EQ(*r.options->interval_s, 1);  // a line per second by default
  for (const std::vector<std::string>& bad :
       std::vector<std::vector<std::string>>{{"--interval", "0", "-p", "1"},
                                             {"--interval", "-1", "-p", "1"},
                                             {"--interval", "1e9", "-p", "1"},
                                             {"--prometheus", "70000", "-p", "1"},
                                             {"--prometheus", "host:", "-p", "1"},
                                             {"--prometheus", "0", "-p", "1"},
                                             {"--prometheus-pid-label", "-p", "1"},
                                             {"--json-lines", "", "-p", "1"}}) {
    EXPECT_EQ(ParseOptions(bad).exit_code, 2) << bad[0] << " " << bad[1];
  }
}

}  // namespace
}  // namespace zctrace
