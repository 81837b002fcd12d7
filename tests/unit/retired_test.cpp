// The store of exited processes: kept one by one up to its bound, then folded by name, oldest first, with
// every count kept.
#include "retired.h"

#include <gtest/gtest.h>

#include <cstring>

namespace zctrace {
namespace {

ProcessSnapshot Exited(uint32_t slot, const char* comm, uint64_t exit_ns, uint64_t syscalls) {
  ProcessSnapshot p;
  p.slot = slot;
  p.info.slot = slot;
  p.info.tgid = 1000 + slot;
  p.info.start_ns = exit_ns - 10;
  p.info.exit_ns = exit_ns;
  std::strncpy(p.info.comm, comm, sizeof(p.info.comm) - 1);
  p.counters.syscalls = syscalls;
  return p;
}

PathSnapshot Writes(uint32_t slot, uint64_t calls, uint64_t bytes) {
  PathSnapshot p;
  p.key.slot = slot;
  p.key.syscall = 5;
  p.key.source = 11;
  p.key.sink = 7;
  p.counters.calls = calls;
  p.counters.bytes = bytes;
  return p;
}

FlowSnapshot Flow(uint32_t slot, uint64_t sink_ino, uint64_t bytes) {
  FlowSnapshot f;
  f.key.slot = slot;
  f.key.sink.ino = sink_ino;
  f.counters.bytes = bytes;
  f.counters.chunks = 1;
  return f;
}

TEST(RetiredProcesses, TheOldestSettledAreFoldedByNameWithEveryCount) {
  RetiredProcesses retired(2);
  for (uint32_t slot = 1; slot <= 5; ++slot) {
    retired.AddProcess(Exited(slot, slot == 5 ? "other" : "worker", 100 * slot, 10));
    retired.AddPath(Writes(slot, 2, 200));
    retired.AddFlow(Flow(slot, 77, 200));
  }
  for (uint32_t slot = 1; slot <= 4; ++slot)  // 5 has counts still to come
    retired.Settle(slot);
  retired.Fold();
  Snapshot snap;
  retired.AppendTo(&snap);
  // 5 one by one is more than 2: the oldest settled three (1, 2, 3) fold into one "worker" entry
  ASSERT_EQ(snap.processes.size(), 3u);
  const ProcessSnapshot* group = nullptr;
  for (const ProcessSnapshot& p : snap.processes)
    if (p.folded)
      group = &p;
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group->folded, 3u);
  EXPECT_EQ(std::string(group->info.comm), "worker");
  EXPECT_EQ(group->info.tgid, 0u);
  EXPECT_EQ(group->counters.syscalls, 30u);
  EXPECT_EQ(group->info.start_ns, 90u);
  EXPECT_EQ(group->info.exit_ns, 300u);
  EXPECT_TRUE(group->slot & RetiredProcesses::kGroupSlotBit);
  uint64_t group_calls = 0, all_bytes = 0, group_flow = 0;
  for (const PathSnapshot& p : snap.paths) {
    all_bytes += p.counters.bytes;
    if (p.key.slot == group->slot)
      group_calls += p.counters.calls;
  }
  for (const FlowSnapshot& f : snap.flows)
    if (f.key.slot == group->slot)
      group_flow += f.counters.bytes;
  EXPECT_EQ(group_calls, 6u);
  EXPECT_EQ(all_bytes, 5 * 200u);
  EXPECT_EQ(group_flow, 600u);  // one flow: the same endpoints, merged

  // a count of a folded process that arrives late goes to its group
  retired.AddPath(Writes(2, 1, 50));
  retired.AddSyscalls(2, 4);
  Snapshot later;
  retired.AppendTo(&later);
  for (const ProcessSnapshot& p : later.processes) {
    if (p.folded) {
      EXPECT_EQ(p.counters.syscalls, 34u);
    }
  }
  uint64_t bytes = 0;
  for (const PathSnapshot& p : later.paths)
    bytes += p.counters.bytes;
  EXPECT_EQ(bytes, 5 * 200u + 50u);
}

TEST(RetiredProcesses, MergesIntoTheSnapshotsPathsByKey) {
  RetiredProcesses retired;
  retired.AddProcess(Exited(9, "x", 100, 1));
  retired.AddPath(Writes(9, 3, 30));
  Snapshot snap;
  snap.paths.push_back(Writes(9, 1, 10));  // the kernel's map still had some
  retired.AppendTo(&snap);
  ASSERT_EQ(snap.paths.size(), 1u);
  EXPECT_EQ(snap.paths[0].counters.calls, 4u);
  EXPECT_EQ(snap.paths[0].counters.bytes, 40u);
}

TEST(RetiredProcesses, AFoldedNameListsABoundedNumberOfFlowsAndSaysSo) {
  RetiredProcesses retired(0);
  const uint32_t n = RetiredProcesses::kFlowsPerGroup + 10;
  for (uint32_t slot = 1; slot <= n; ++slot) {
    retired.AddProcess(Exited(slot, "cgi", slot, 1));
    retired.AddFlow(Flow(slot, slot, 1000));  // a connection of its own each
    retired.Settle(slot);
  }
  retired.Fold();
  Snapshot snap;
  retired.AppendTo(&snap);
  ASSERT_EQ(snap.processes.size(), 1u);
  EXPECT_EQ(snap.processes[0].folded, n);
  EXPECT_EQ(snap.flows.size(), RetiredProcesses::kFlowsPerGroup);
  ASSERT_EQ(snap.warnings.size(), 1u);
  EXPECT_NE(snap.warnings[0].find("10 flows"), std::string::npos) << snap.warnings[0];
  EXPECT_NE(snap.warnings[0].find("10000 bytes"), std::string::npos) << snap.warnings[0];
}

}  // namespace
}  // namespace zctrace
