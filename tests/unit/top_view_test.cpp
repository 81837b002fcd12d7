// The top view's ranking and screen: rates over the tick, the sort keys, grouping, and a screen that fits.
#include "top_view.h"

#include <gtest/gtest.h>

#include <sstream>

namespace zctrace {
namespace {

ProcessReport Proc(uint32_t pid, const std::string& comm, uint64_t cpu, uint64_t moved, uint64_t switches,
                   const std::string& unit = "") {
  ProcessReport p;
  p.pid = pid;
  p.comm = comm;
  p.cpu.bytes = cpu;
  p.bytes_moved = moved;
  p.mode_switches = switches;
  p.unit = unit;
  p.cgroup = unit.empty() ? "/" : "/system.slice/" + unit;
  return p;
}

TEST(TopView, RatesOverTheTickRankTheRows) {
  Report before, now;
  before.processes = {Proc(1, "relay", 1000, 2000, 10), Proc(2, "server", 0, 5000, 10)};
  now.processes = {Proc(1, "relay", 5000, 6000, 20), Proc(2, "server", 0, 25000, 30),
                   Proc(3, "late", 100, 100, 2)};  // started since
  std::vector<TopRow> rows = TopRows(now, &before, 2.0, TopGroup::kProcess, TopSort::kCpuCopied);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].key, "1 relay");
  EXPECT_DOUBLE_EQ(rows[0].cpu_copied_rate, 2000);
  EXPECT_EQ(rows[0].cpu_copied, 5000u);
  EXPECT_EQ(rows[1].key, "3 late");
  EXPECT_DOUBLE_EQ(rows[1].cpu_copied_rate, 50);
  rows = TopRows(now, &before, 2.0, TopGroup::kProcess, TopSort::kBytes);
  EXPECT_EQ(rows[0].key, "2 server");
  EXPECT_DOUBLE_EQ(rows[0].moved_rate, 10000);
  rows = TopRows(now, &before, 2.0, TopGroup::kProcess, TopSort::kSwitches);
  EXPECT_EQ(rows[0].key, "2 server");
}

TEST(TopView, GroupsByNameOrCgroupAndFoldedEntriesCount) {
  Report now;
  ProcessReport folded = Proc(0, "cgi", 300, 300, 30, "web.service");
  folded.folded_processes = 30;
  folded.exited = true;
  now.processes = {Proc(10, "cgi", 10, 10, 1, "web.service"), folded,
                   Proc(11, "nginx", 0, 90, 4, "web.service")};
  std::vector<TopRow> rows = TopRows(now, nullptr, 1.0, TopGroup::kName, TopSort::kCpuCopied);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].key, "cgi");
  EXPECT_EQ(rows[0].processes, 31u);
  EXPECT_EQ(rows[0].cpu_copied, 310u);
  rows = TopRows(now, nullptr, 1.0, TopGroup::kCgroup, TopSort::kCpuCopied);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].key, "web.service");
  EXPECT_EQ(rows[0].processes, 32u);
  rows = TopRows(now, nullptr, 1.0, TopGroup::kProcess, TopSort::kCpuCopied);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].key, "10 cgi");        // the folded row has totals, but no rate: it moves nothing
  EXPECT_EQ(rows[1].key, "cgi (exited)");  // then by total
  EXPECT_EQ(rows[1].processes, 30u);
  EXPECT_EQ(rows[1].cpu_copied, 300u);
  EXPECT_DOUBLE_EQ(rows[1].cpu_copied_rate, 0);

  // three more fold in between two ticks: their totals join the row, not its rate
  Report later = now;
  later.processes[1].folded_processes = 33;
  later.processes[1].cpu.bytes = 330;
  rows = TopRows(later, &now, 1.0, TopGroup::kProcess, TopSort::kCpuCopied);
  for (const TopRow& r : rows) {
    if (r.key == "cgi (exited)") {
      EXPECT_EQ(r.processes, 33u);
      EXPECT_DOUBLE_EQ(r.cpu_copied_rate, 0);
    }
  }
}

TEST(TopView, TheScreenFitsTheTerminalAndSaysWhatIsLeftOut) {
  Report now;
  for (uint32_t pid = 1; pid <= 40; ++pid)
    now.processes.push_back(Proc(pid, "worker-with-a-long-name", pid * 1000, pid * 1000, pid));
  const std::vector<TopRow> rows = TopRows(now, nullptr, 1.0, TopGroup::kProcess, TopSort::kCpuCopied);
  TopScreen screen;
  screen.height = 12;
  screen.width = 60;
  const std::string text = RenderTop(rows, screen);
  std::istringstream lines(text);
  size_t n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    size_t characters = 0;
    for (unsigned char c : line)
      characters += (c & 0xC0) != 0x80;
    EXPECT_LE(characters, 60u) << line;
  }
  EXPECT_LE(n, 12u);
  EXPECT_NE(text.find("40 worker"), std::string::npos) << text;  // the largest first
  EXPECT_NE(text.find("… 33 more"), std::string::npos) << text;
  const nlohmann::json j = TopJson(rows, screen);
  EXPECT_EQ(j.at("rows").size(), 40u);
  EXPECT_EQ(j.at("sort"), "cpu-copied");
  EXPECT_EQ(j.at("rows")[0].at("cpu_copied_bytes"), 40000u);
}

TEST(TopView, SortAndGroupNames) {
  TopSort sort;
  EXPECT_TRUE(ParseTopSort("dma", &sort));
  EXPECT_EQ(sort, TopSort::kDma);
  EXPECT_FALSE(ParseTopSort("cpu", &sort));
  TopGroup group;
  EXPECT_TRUE(ParseTopGroup("cgroup", &group));
  EXPECT_EQ(TopGroupName(group), "cgroup");
  EXPECT_FALSE(ParseTopGroup("user", &group));
}

}  // namespace
}  // namespace zctrace
