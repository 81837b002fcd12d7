#include "thread_counts.h"

#include <gtest/gtest.h>

namespace zctrace {
namespace {

zc_path_key PathKey(uint32_t slot, uint8_t syscall) {
  zc_path_key key{};
  key.slot = slot;
  key.syscall = syscall;
  key.source = ZC_KIND_ZERO;
  key.sink = ZC_KIND_USER;
  return key;
}

zc_thread_counts Record(uint64_t serial, zc_path_key key, uint64_t calls, uint64_t bytes) {
  zc_thread_counts r{};
  r.serial = serial;
  r.npaths = 1;
  r.paths[0].key = key;
  r.paths[0].calls = calls;
  r.paths[0].bytes = bytes;
  return r;
}

TEST(ThreadCounts, LiveRecordsAddToTheMapsEntryWithTheSameKey) {
  Snapshot snap;
  PathSnapshot in_map;
  in_map.key = PathKey(3, ZC_SYS_READ);
  in_map.counters.calls = 10;
  in_map.counters.bytes = 100;
  in_map.counters.skb_copy_bytes = 7;         // from receives the thread's memo did not cover
  in_map.counters.unclassified_rx_bytes = 3;  // only ever in the map
  snap.paths.push_back(in_map);

  ThreadCounts threads;
  zc_thread_counts receiving = Record(2, PathKey(3, ZC_SYS_READ), 1, 4);
  receiving.paths[0].skb_copy_events = 2;
  receiving.paths[0].skb_copy_bytes = 4;
  receiving.paths[0].virtual_rx_bytes = 4;
  threads.AddTo({Record(1, PathKey(3, ZC_SYS_READ), 5, 50), receiving}, &snap);
  ASSERT_EQ(snap.paths.size(), 1u);
  EXPECT_EQ(snap.paths[0].counters.calls, 16u);
  EXPECT_EQ(snap.paths[0].counters.bytes, 154u);
  EXPECT_EQ(snap.paths[0].counters.skb_copy_events, 2u);
  EXPECT_EQ(snap.paths[0].counters.skb_copy_bytes, 11u);
  EXPECT_EQ(snap.paths[0].counters.virtual_rx_bytes, 4u);
  EXPECT_EQ(snap.paths[0].counters.unclassified_rx_bytes, 3u);
}

TEST(ThreadCounts, AKeyMissingFromTheMapsGetsItsOwnEntry) {
  Snapshot snap;
  ThreadCounts threads;
  threads.AddTo({Record(1, PathKey(4, ZC_SYS_WRITE), 2, 8)}, &snap);
  ASSERT_EQ(snap.paths.size(), 1u);
  EXPECT_EQ(snap.paths[0].key.slot, 4u);
  EXPECT_EQ(snap.paths[0].key.syscall, ZC_SYS_WRITE);
  EXPECT_EQ(snap.paths[0].counters.calls, 2u);
}

TEST(ThreadCounts, AThreadSeenAliveAndRetiredInTheSameReadCountsOnce) {
  ThreadCounts threads;
  // the iterator saw it with 5 calls, then it exited with 6 before dead_threads was drained
  const zc_thread_counts alive = Record(9, PathKey(1, ZC_SYS_READ), 5, 50);
  threads.Retire(Record(9, PathKey(1, ZC_SYS_READ), 6, 60));
  Snapshot snap;
  threads.AddTo({alive}, &snap);
  ASSERT_EQ(snap.paths.size(), 1u);
  EXPECT_EQ(snap.paths[0].counters.calls, 6u);
  EXPECT_EQ(snap.paths[0].counters.bytes, 60u);
}

TEST(ThreadCounts, RetiredCountsStayInLaterReadsAndRetiringTwiceCountsOnce) {
  ThreadCounts threads;
  threads.Retire(Record(9, PathKey(1, ZC_SYS_READ), 6, 60));
  threads.Retire(Record(9, PathKey(1, ZC_SYS_READ), 6, 60));
  for (int read = 0; read < 2; ++read) {
    Snapshot snap;
    threads.AddTo({}, &snap);
    ASSERT_EQ(snap.paths.size(), 1u);
    EXPECT_EQ(snap.paths[0].counters.calls, 6u);
  }
}

TEST(ThreadCounts, SyscallsAddToTheirThreadsProcessOnceEach) {
  Snapshot snap;
  for (uint32_t slot : {1u, 2u}) {
    ProcessSnapshot p;
    p.slot = slot;
    p.counters.syscalls = 3;  // counted in the shared map by threads without a table entry
    snap.processes.push_back(p);
  }
  ThreadCounts threads;
  zc_thread_counts retired = Record(7, PathKey(2, ZC_SYS_READ), 1, 1);
  retired.slot = 2;
  retired.syscalls = 40;
  threads.Retire(retired);
  zc_thread_counts live = Record(8, PathKey(2, ZC_SYS_READ), 1, 1);
  live.slot = 2;
  live.syscalls = 500;
  zc_thread_counts live_and_retired = retired;  // seen by the iterator before it exited
  live_and_retired.syscalls = 39;
  threads.AddTo({live, live_and_retired}, &snap);
  EXPECT_EQ(snap.processes[0].counters.syscalls, 3u);
  EXPECT_EQ(snap.processes[1].counters.syscalls, 543u);
}

TEST(ThreadCounts, FlowsFoldByTheirWholeKey) {
  zc_thread_counts r{};
  r.serial = 1;
  r.nflows = 2;
  r.flows[0].key.slot = 1;
  r.flows[0].key.method = ZC_FLOW_READ_WRITE;
  r.flows[0].key.source.ino = 11;
  r.flows[0].bytes = 100;
  r.flows[0].chunks = 2;
  r.flows[1] = r.flows[0];
  r.flows[1].key.sink.ino = 12;  // another sink: another flow
  r.flows[1].bytes = 1;
  r.flows[1].chunks = 1;
  Snapshot snap;
  FlowSnapshot known;
  known.key = r.flows[0].key;
  known.counters.bytes = 1000;
  known.counters.chunks = 10;
  snap.flows.push_back(known);
  ThreadCounts threads;
  threads.AddTo({r}, &snap);
  ASSERT_EQ(snap.flows.size(), 2u);
  EXPECT_EQ(snap.flows[0].counters.bytes, 1100u);
  EXPECT_EQ(snap.flows[0].counters.chunks, 12u);
  EXPECT_EQ(snap.flows[1].counters.bytes, 1u);
}

TEST(ThreadCounts, ARecordClaimingMoreEntriesThanItHoldsIsClamped) {
  zc_thread_counts r = Record(1, PathKey(1, ZC_SYS_READ), 1, 1);
  r.npaths = 1000;  // a torn read must not walk past the array
  r.nflows = 1000;
  Snapshot snap;
  ThreadCounts threads;
  threads.AddTo({r}, &snap);
  EXPECT_LE(snap.paths.size(), static_cast<size_t>(ZC_THREAD_PATHS));
  EXPECT_LE(snap.flows.size(), static_cast<size_t>(ZC_THREAD_FLOWS));
}

}  // namespace
}  // namespace zctrace
