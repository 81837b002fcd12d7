#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "aggregate.h"

namespace zctrace {
namespace {

ProcessSnapshot Process(uint32_t slot, uint32_t pid, const char* comm, uint64_t syscalls,
                        uint64_t faults = 0) {
  ProcessSnapshot p;
  p.slot = slot;
  p.info.tgid = pid;
  p.info.start_ns = 1'000'000'000;
  std::strncpy(p.info.comm, comm, sizeof(p.info.comm) - 1);
  p.counters.syscalls = syscalls;
  p.counters.page_faults = faults;
  return p;
}

PathSnapshot Path(uint32_t slot, Syscall sc, Kind src, Kind sink, uint64_t calls, uint64_t bytes,
                  uint8_t flags = 0, uint64_t errors = 0) {
  PathSnapshot p;
  p.key = {slot, static_cast<uint8_t>(sc), static_cast<uint8_t>(src), static_cast<uint8_t>(sink), flags};
  p.counters.calls = calls;
  p.counters.bytes = bytes;
  p.counters.errors = errors;
  return p;
}

Snapshot RelaySnapshot() {
  Snapshot s;
  s.now_ns = 3'000'000'000;
  s.duration_s = 2;
  s.processes.push_back(Process(0, 100, "relay", 2005, 3));
  s.processes.push_back(Process(1, 101, "sink", 1001));
  s.paths.push_back(Path(0, Syscall::kRead, Kind::kFile, Kind::kUser, 1000, 65536000));
  s.paths.push_back(Path(0, Syscall::kWrite, Kind::kUser, Kind::kTcp, 1000, 65536000, ZC_FLAG_SINK_LOOPBACK));
  s.paths.push_back(Path(0, Syscall::kRead, Kind::kFile, Kind::kUser, 0, 0));  // empty path stays harmless
  PathSnapshot recv =
      Path(1, Syscall::kRead, Kind::kTcp, Kind::kUser, 1001, 65536000, ZC_FLAG_SOURCE_LOOPBACK);
  recv.counters.skb_copy_events = 1500;
  recv.counters.skb_copy_bytes = 65536000;
  s.paths.push_back(recv);
  return s;
}

TEST(Aggregate, ReadWriteRelayCostsTwoCpuCopiesOfEveryByte) {
  const Report r = Aggregate(RelaySnapshot(), {true});
  ASSERT_EQ(r.processes.size(), 2u);
  const ProcessReport& relay = r.processes[0];
  EXPECT_EQ(relay.pid, 100u);
  EXPECT_EQ(relay.comm, "relay");
  EXPECT_EQ(relay.syscalls.at("read").calls, 1000u);
  EXPECT_EQ(relay.syscalls.at("write").bytes, 65536000u);
  EXPECT_EQ(relay.cpu.bytes, 2u * 65536000u);
  EXPECT_EQ(relay.cpu.count, 2000u);
  EXPECT_EQ(relay.cpu.basis, Basis::kModelled);
  // disk side modelled, loopback side none
  EXPECT_EQ(relay.dma.bytes, 65536000u);
  EXPECT_EQ(relay.mode_switches, 2u * (2005 + 3));
  EXPECT_EQ(relay.bytes_moved, 2u * 65536000u);
  EXPECT_EQ(relay.zero_copy_bytes, 0u);
  EXPECT_DOUBLE_EQ(relay.duration_s, 2.0);
  EXPECT_FALSE(relay.exited);
}

TEST(Aggregate, SkbCopiesReplaceTheModelWhenMeasured) {
  const Report measured = Aggregate(RelaySnapshot(), {true});
  const PathReport& p = measured.processes[1].paths[0];
  EXPECT_EQ(p.cpu.basis, Basis::kMeasured);
  EXPECT_EQ(p.cpu.count, 1500u);
  EXPECT_EQ(p.cpu.bytes, 65536000u);
  EXPECT_EQ(measured.processes[1].cpu.basis, Basis::kMeasured);

  const Report modelled = Aggregate(RelaySnapshot(), {false});
  EXPECT_EQ(modelled.processes[1].paths[0].cpu.basis, Basis::kModelled);
  EXPECT_EQ(modelled.processes[1].paths[0].cpu.count, 1001u);
}

TEST(Aggregate, SendfileIsZeroCopyAndCountsTowardTheShare) {
  Snapshot s;
  s.processes.push_back(Process(0, 7, "server", 10));
  s.paths.push_back(Path(0, Syscall::kSendfile, Kind::kFile, Kind::kTcp, 4, 4096, ZC_FLAG_SINK_LOOPBACK));
  s.paths.push_back(Path(0, Syscall::kRead, Kind::kFile, Kind::kUser, 1, 1024));
  s.paths.push_back(Path(0, Syscall::kMmap, Kind::kFile, Kind::kUser, 1, 1 << 20));  // maps, does not move
  const Report r = Aggregate(s, {true});
  EXPECT_EQ(r.totals.bytes_moved, 5120u);
  EXPECT_EQ(r.totals.zero_copy_bytes, 4096u);
  EXPECT_EQ(r.totals.cpu.bytes, 1024u);
  EXPECT_DOUBLE_EQ(r.totals.zero_copy_ratio(), 4096.0 / 5120.0);
  EXPECT_EQ(r.processes[0].paths[0].syscall, Syscall::kMmap);  // sorted by bytes
  EXPECT_FALSE(r.processes[0].paths[0].moves_data);
}

// A call that is a whole flow by itself says what its flow says: copy_file_range is an in-kernel copy
// (the textbook's sendfile/splice line is not what it does), sendfile is sendfile.
TEST(Aggregate, AWholeFlowCallIsLabelledAsItsFlow) {
  Snapshot s;
  s.processes.push_back(Process(0, 7, "cp", 10));
  s.paths.push_back(Path(0, Syscall::kCopyFileRange, Kind::kFile, Kind::kFile, 4, 1 << 20));
  s.paths.push_back(Path(0, Syscall::kSendfile, Kind::kFile, Kind::kTcp, 4, 4096, ZC_FLAG_SINK_LOOPBACK));
  const Report r = Aggregate(s, {true});
  ASSERT_EQ(r.processes[0].paths.size(), 2u);
  EXPECT_EQ(r.processes[0].paths[0].model, "in-kernel copy");
  EXPECT_EQ(r.processes[0].paths[1].model, "sendfile");
}

TEST(Aggregate, ErrorsCountCallsButNoCopies) {
  Snapshot s;
  s.processes.push_back(Process(0, 7, "x", 10));
  s.paths.push_back(Path(0, Syscall::kRead, Kind::kFile, Kind::kUser, 5, 100, 0, 3));
  const Report r = Aggregate(s, {true});
  const PathReport& p = r.processes[0].paths[0];
  EXPECT_EQ(p.calls, 5u);
  EXPECT_EQ(p.errors, 3u);
  EXPECT_EQ(p.cpu.count, 2u);
  EXPECT_EQ(p.mode_switches, 10u);
  EXPECT_EQ(r.processes[0].syscalls.at("read").errors, 3u);
}

// `cat FILE > /dev/null`: the file's bytes are read (one CPU copy) and discarded; the discarding write
// moves nothing anywhere, so it makes no zero-copy share.
TEST(Aggregate, WritesToDevNullAreNotMovedBytes) {
  Snapshot s;
  s.processes.push_back(Process(0, 60, "cat", 4));
  s.paths.push_back(Path(0, Syscall::kRead, Kind::kFile, Kind::kUser, 8, 1 << 20));
  s.paths.push_back(Path(0, Syscall::kWrite, Kind::kUser, Kind::kNull, 8, 1 << 20));
  const Report r = Aggregate(s, {true});
  EXPECT_EQ(r.processes[0].bytes_moved, 1u << 20);
  EXPECT_EQ(r.processes[0].zero_copy_bytes, 0u);
  EXPECT_EQ(r.totals.zero_copy_bytes, 0u);
  EXPECT_EQ(r.processes[0].syscalls.at("write").bytes, 1u << 20);  // the call's own figures stay
  for (const PathReport& p : r.processes[0].paths) {
    if (p.sink == Kind::kNull) {
      EXPECT_EQ(p.dma_detail, "no device");  // said once, not "no device; no device"
    }
  }
}

// dd iflag=direct of=FILE: the O_DIRECT read fills nothing; the pages the write adds to FILE's cache are
// created by writing, not filled by a read.
TEST(Aggregate, PagesAWriteCreatesAreNotReadFills) {
  Snapshot s;
  ProcessSnapshot proc = Process(0, 61, "dd", 4);
  proc.counters.cache_fill_bytes = (32 << 20) + 4096;  // and one page a read filled
  s.processes.push_back(proc);
  s.paths.push_back(Path(0, Syscall::kRead, Kind::kFileDirect, Kind::kUser, 8, 32 << 20));
  PathSnapshot write = Path(0, Syscall::kWrite, Kind::kUser, Kind::kFile, 8, 32 << 20);
  write.counters.cache_fill_bytes = 32 << 20;
  s.paths.push_back(write);
  const Report r = Aggregate(s, {true});
  EXPECT_EQ(r.processes[0].device.cache_created_bytes, 32u << 20);
  EXPECT_EQ(r.processes[0].device.cache_fill_bytes, 4096u);
}

// A server: reads a file and writes it to a socket (read+write), writes its log from memory, reads
// requests it never writes on, and has a library mapped. Each path's MODEL says which line its bytes
// took, not the textbook line of its syscall.
TEST(Aggregate, PathLabelsNameTheFlowsTheirBytesTook) {
  Snapshot s;
  s.processes.push_back(Process(0, 70, "server", 40));
  auto endpoint = [](uint64_t ino, uint8_t kind) {
    EndpointSnapshot e;
    e.id = {ino, 8, 0};
    e.info.kind = kind;
    return e;
  };
  s.endpoints = {endpoint(1, ZC_KIND_FILE), endpoint(2, ZC_KIND_TCP), endpoint(3, ZC_KIND_FILE)};
  auto flow = [](uint8_t method, zc_endpoint_id source, zc_endpoint_id sink) {
    FlowSnapshot f;
    f.key.slot = 0;
    f.key.method = method;
    f.key.source = source;
    f.key.sink = sink;
    f.counters = {1 << 20, 16};
    return f;
  };
  s.flows = {flow(ZC_FLOW_READ_WRITE, {1, 8, 0}, {2, 8, 0}),
             flow(ZC_FLOW_FROM_MEMORY, {ZC_MEMORY_SOURCE_INO, 0, 0}, {3, 8, 0})};
  s.paths = {Path(0, Syscall::kRead, Kind::kFile, Kind::kUser, 16, 1 << 20),
             Path(0, Syscall::kWrite, Kind::kUser, Kind::kTcp, 16, 1 << 20),
             Path(0, Syscall::kWrite, Kind::kUser, Kind::kFile, 16, 1 << 20),
             Path(0, Syscall::kRecvfrom, Kind::kTcp, Kind::kUser, 16, 4096),
             Path(0, Syscall::kMmap, Kind::kFile, Kind::kUser, 3, 1 << 16)};
  const Report r = Aggregate(s, {true});
  std::map<std::string, std::string> label;
  for (const PathReport& p : r.processes[0].paths)
    label[std::string(SyscallName(p.syscall)) + " " + std::string(KindName(p.source)) + "-" +
          std::string(KindName(p.sink))] = p.model;
  EXPECT_EQ(label["read file-user"], "read+write");
  EXPECT_EQ(label["write user-tcp"], "read+write");
  EXPECT_EQ(label["write user-file"], "from memory");
  EXPECT_EQ(label["recvfrom tcp-user"], "read (not written out)");
  EXPECT_EQ(label["mmap file-user"], "mmap (nothing written from it)");
}

// task->exit_code is a wait status: exit(3) is 768, a SIGKILL 9, a SIGSEGV with a core dump 0x8b.
TEST(Aggregate, ExitStatusIsTheCodeOrTheSignal) {
  int code = -1;
  std::string signal = "x";
  DecodeExitStatus(3 << 8, &code, &signal);
  EXPECT_EQ(code, 3);
  EXPECT_EQ(signal, "");
  DecodeExitStatus(0, &code, &signal);
  EXPECT_EQ(code, 0);
  DecodeExitStatus(9, &code, &signal);
  EXPECT_EQ(signal, "SIGKILL");
  EXPECT_EQ(code, 0);
  DecodeExitStatus(0x80 | 11, &code, &signal);
  EXPECT_EQ(signal, "SIGSEGV");
  DecodeExitStatus(255 << 8, &code, &signal);
  EXPECT_EQ(code, 255);
  EXPECT_EQ(signal, "");
}

TEST(Aggregate, ExitedProcessKeepsItsCountsAndDuration) {
  Snapshot s;
  s.now_ns = 9'000'000'000;
  ProcessSnapshot p = Process(0, 55, "short", 4);
  p.info.exit_ns = 1'500'000'000;
  p.info.exit_code = 3 << 8;  // the kernel's wait status of exit(3)
  s.processes.push_back(p);
  s.paths.push_back(Path(0, Syscall::kWrite, Kind::kUser, Kind::kNull, 2, 20));
  const Report r = Aggregate(s, {true});
  EXPECT_TRUE(r.processes[0].exited);
  EXPECT_EQ(r.processes[0].exit_code, 3);
  EXPECT_EQ(r.processes[0].exit_signal, "");
  EXPECT_DOUBLE_EQ(r.processes[0].duration_s, 0.5);
  EXPECT_EQ(r.processes[0].syscalls.at("write").bytes, 20u);
}

TEST(Aggregate, UnmodelledPathsLostCountsAndOrphansAreWarnedAbout) {
  Snapshot s;
  s.processes.push_back(Process(0, 7, "x", 1));
  s.paths.push_back(Path(0, Syscall::kTee, Kind::kFile, Kind::kTcp, 1, 10));
  s.paths.push_back(Path(9, Syscall::kRead, Kind::kFile, Kind::kUser, 1, 10));
  s.paths.push_back(Path(0, Syscall::kRead, Kind::kOther, Kind::kUser, 1, 10, ZC_FLAG_BAD_FD));
  s.health.path_map_full = 2;
  s.health.process_map_full = 1;
  const Report r = Aggregate(s, {true});
  ASSERT_EQ(r.warnings.size(), 5u);
  auto has = [&](const std::string& needle) {
    for (const auto& w : r.warnings)
      if (w.find(needle) != std::string::npos)
        return true;
    return false;
  };
  EXPECT_TRUE(has("not in the copy model"));
  EXPECT_TRUE(has("unknown process slot 9"));
  EXPECT_TRUE(has("fd closed"));
  EXPECT_TRUE(has("path map was full"));
  EXPECT_TRUE(has("process table was full"));
}

}  // namespace
}  // namespace zctrace

namespace zctrace {
namespace {

Snapshot OnePath(Syscall sc, Kind src, Kind sink, uint8_t flags, zc_path_counters counters) {
  Snapshot s;
  s.processes.push_back(Process(0, 7, "x", 100));
  PathSnapshot p;
  p.key = {0, static_cast<uint8_t>(sc), static_cast<uint8_t>(src), static_cast<uint8_t>(sink), flags};
  p.counters = counters;
  s.paths.push_back(p);
  return s;
}

AggregateOptions AllProbes() {
  AggregateOptions o;
  o.skb_copies_measured = o.disk_measured = o.nic_tx_measured = o.major_faults_measured = true;
  return o;
}

TEST(AggregateDevices, CacheHitReadIsMeasuredZeroDma) {
  zc_path_counters c{};
  c.calls = 10;
  c.bytes = 1 << 20;
  const Report r = Aggregate(OnePath(Syscall::kRead, Kind::kFile, Kind::kUser, 0, c), AllProbes());
  EXPECT_EQ(r.processes[0].paths[0].dma.bytes, 0u);
  EXPECT_EQ(r.processes[0].paths[0].dma.basis, Basis::kMeasured);
  EXPECT_EQ(r.processes[0].dma.basis, Basis::kMeasured);
}

TEST(AggregateDevices, ColdReadCountsTheBlockIo) {
  zc_path_counters c{};
  c.calls = 10;
  c.bytes = 1 << 20;
  c.disk_read_events = 3;
  c.disk_read_bytes = 1 << 20;
  const Report r = Aggregate(OnePath(Syscall::kRead, Kind::kFile, Kind::kUser, 0, c), AllProbes());
  EXPECT_EQ(r.processes[0].paths[0].dma.bytes, 1u << 20);
  EXPECT_EQ(r.processes[0].paths[0].dma.count, 3u);
}

TEST(AggregateDevices, WithoutTheBlockProbeDiskDmaIsModelled) {
  zc_path_counters c{};
  c.calls = 10;
  c.bytes = 1 << 20;
  AggregateOptions o = AllProbes();
  o.disk_measured = false;
  const Report r = Aggregate(OnePath(Syscall::kRead, Kind::kFile, Kind::kUser, 0, c), o);
  EXPECT_EQ(r.processes[0].paths[0].dma.bytes, 1u << 20);
  EXPECT_EQ(r.processes[0].paths[0].dma.basis, Basis::kModelled);
}

TEST(AggregateDevices, BufferedWritesCountDirtiedPagesAsDeferredDma) {
  zc_path_counters c{};
  c.calls = 4;
  c.bytes = 4 << 20;
  c.dirtied_events = 2;
  c.dirtied_bytes = 4 << 20;
  const Report r = Aggregate(OnePath(Syscall::kWrite, Kind::kUser, Kind::kFile, 0, c), AllProbes());
  EXPECT_EQ(r.processes[0].paths[0].dma.bytes, 4u << 20);
  EXPECT_EQ(r.processes[0].paths[0].dma.basis, Basis::kMeasured);
}

TEST(AggregateDevices, NicTransmitIsMeasuredReceiveIsModelled) {
  zc_path_counters tx{};
  tx.calls = 2;
  tx.bytes = 2000;
  tx.nic_tx_events = 2;
  tx.nic_tx_bytes = 2132;  // frames include headers
  Report r = Aggregate(OnePath(Syscall::kSendto, Kind::kUser, Kind::kTcp, 0, tx), AllProbes());
  EXPECT_EQ(r.processes[0].paths[0].dma.bytes, 2132u);
  EXPECT_EQ(r.processes[0].paths[0].dma.basis, Basis::kMeasured);

  zc_path_counters rx{};
  rx.calls = 2;
  rx.bytes = 2000;
  r = Aggregate(OnePath(Syscall::kRecvfrom, Kind::kTcp, Kind::kUser, 0, rx), AllProbes());
  EXPECT_EQ(r.processes[0].paths[0].dma.bytes, 2000u);
  EXPECT_EQ(r.processes[0].paths[0].dma.basis, Basis::kModelled);

  r = Aggregate(OnePath(Syscall::kRecvfrom, Kind::kTcp, Kind::kUser, ZC_FLAG_SOURCE_LOOPBACK, rx),
                AllProbes());
  EXPECT_EQ(r.processes[0].paths[0].dma.bytes, 0u);  // loopback: no NIC
  EXPECT_EQ(r.processes[0].paths[0].dma.basis, Basis::kMeasured);
}

AggregateOptions AllProbesWithNicRx() {
  AggregateOptions o = AllProbes();
  o.nic_rx_measured = true;
  return o;
}

// A TCP receive of 2000 bytes in 2 calls: no loopback flag (a NIC peer, or a veth one: the addresses cannot
// tell), skb copies measured.
zc_path_counters TcpReceive() {
  zc_path_counters c{};
  c.calls = 2;
  c.bytes = 2000;
  c.skb_copy_events = 3;
  c.skb_copy_bytes = 2000;
  return c;
}

bool Mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(AggregateDevices, NicReceiveIsMeasuredFromTheDeviceTheSkbsArrivedOn) {
  zc_path_counters rx = TcpReceive();
  rx.nic_rx_events = 3;
  rx.nic_rx_bytes = 2000;
  const Report r =
      Aggregate(OnePath(Syscall::kRecvfrom, Kind::kTcp, Kind::kUser, 0, rx), AllProbesWithNicRx());
  const PathReport& p = r.processes[0].paths[0];
  EXPECT_EQ(p.dma.bytes, 2000u);
  EXPECT_EQ(p.dma.count, 3u);
  EXPECT_EQ(p.dma.basis, Basis::kMeasured);
  EXPECT_EQ(p.device.nic_rx_bytes, 2000u);
  EXPECT_TRUE(Mentions(p.dma_detail, "measured: the skbs arrived on a NIC")) << p.dma_detail;
}

TEST(AggregateDevices, BytesFromAVirtualDeviceHaveNoDmaWhateverTheAddressesSay) {
  zc_path_counters rx = TcpReceive();
  rx.virtual_rx_bytes = 2000;  // a veth peer: the model, from the addresses, would say NIC
  for (const uint8_t flags : {uint8_t{0}, uint8_t{ZC_FLAG_SOURCE_LOOPBACK}}) {
    const Report r =
        Aggregate(OnePath(Syscall::kRead, Kind::kTcp, Kind::kUser, flags, rx), AllProbesWithNicRx());
    const PathReport& p = r.processes[0].paths[0];
    EXPECT_EQ(p.dma.bytes, 0u);
    EXPECT_EQ(p.dma.basis, Basis::kMeasured);
    EXPECT_EQ(p.device.virtual_rx_bytes, 2000u);
    EXPECT_TRUE(Mentions(p.dma_detail, "arrived on a virtual device / loopback: no DMA")) << p.dma_detail;
  }
}

TEST(AggregateDevices, BytesFromAnUnseenDeviceFallBackToTheModel) {
  zc_path_counters rx = TcpReceive();
  rx.nic_rx_events = 1;
  rx.nic_rx_bytes = 500;
  rx.unclassified_rx_events = 2;
  rx.unclassified_rx_bytes = 1500;
  Report r = Aggregate(OnePath(Syscall::kRecvfrom, Kind::kTcp, Kind::kUser, 0, rx), AllProbesWithNicRx());
  const PathReport& p = r.processes[0].paths[0];
  EXPECT_EQ(p.dma.bytes, 2000u);  // 500 measured + 1500 modelled as NIC from the addresses
  EXPECT_EQ(p.dma.count, 3u);
  EXPECT_EQ(p.dma.basis, Basis::kModelled);
  EXPECT_TRUE(Mentions(p.dma_detail, "another network namespace")) << p.dma_detail;
  // a loopback socket's unseen bytes: the model says no DMA, and the figure still says it is the model's
  r = Aggregate(OnePath(Syscall::kRecvfrom, Kind::kTcp, Kind::kUser, ZC_FLAG_SOURCE_LOOPBACK, rx),
                AllProbesWithNicRx());
  EXPECT_EQ(r.processes[0].paths[0].dma.bytes, 500u);
  EXPECT_EQ(r.processes[0].paths[0].dma.basis, Basis::kModelled);
}

TEST(AggregateDevices, ReceivesNoSkbCopyCoversStayModelledAndSayWhy) {
  zc_path_counters c{};
  c.calls = 2;
  c.bytes = 2000;
  const struct {
    Syscall syscall;
    Kind source, sink;
    const char* why;
  } cases[] = {{Syscall::kRecvfrom, Kind::kUdp, Kind::kUser, "copy_linear_skb"},
               {Syscall::kSplice, Kind::kTcp, Kind::kPipe, "no skb is copied to user memory"},
               {Syscall::kIoUringRead, Kind::kTcp, Kind::kUser, "io_uring"}};
  for (const auto& k : cases) {
    const Report r = Aggregate(OnePath(k.syscall, k.source, k.sink, 0, c), AllProbesWithNicRx());
    const PathReport& p = r.processes[0].paths[0];
    EXPECT_EQ(p.dma.bytes, 2000u) << p.dma_detail;
    EXPECT_EQ(p.dma.basis, Basis::kModelled) << p.dma_detail;
    EXPECT_TRUE(Mentions(p.dma_detail, k.why)) << p.dma_detail;
  }
  // the probe off: TCP too is modelled, and says so
  const Report r =
      Aggregate(OnePath(Syscall::kRecvfrom, Kind::kTcp, Kind::kUser, 0, TcpReceive()), AllProbes());
  EXPECT_EQ(r.processes[0].paths[0].dma.basis, Basis::kModelled);
  EXPECT_TRUE(Mentions(r.processes[0].paths[0].dma_detail, "nic_rx is not available"));
}

TEST(AggregateDevices, UnixReceivesPassNoDevice) {
  zc_path_counters rx = TcpReceive();  // ifindex 0: neither NIC nor virtual nor unseen
  const Report r = Aggregate(OnePath(Syscall::kRead, Kind::kUnix, Kind::kUser, 0, rx), AllProbesWithNicRx());
  EXPECT_EQ(r.processes[0].paths[0].dma.bytes, 0u);
  EXPECT_EQ(r.processes[0].paths[0].dma.basis, Basis::kMeasured);
  EXPECT_EQ(r.processes[0].paths[0].dma_detail, "no device");
}

TEST(AggregateDevices, ProcessReceiveTotalsComeFromItsCounters) {
  Snapshot s = OnePath(Syscall::kRead, Kind::kTcp, Kind::kUser, 0, TcpReceive());
  s.processes[0].counters.nic_rx_bytes = 11;
  s.processes[0].counters.virtual_rx_bytes = 22;
  s.processes[0].counters.unclassified_rx_bytes = 33;
  s.processes[0].counters.virtual_tx_bytes = 44;
  const Report r = Aggregate(s, AllProbesWithNicRx());  // kept: a reference into a temporary would dangle
  const ProcessReport& p = r.processes[0];
  EXPECT_EQ(p.device.nic_rx_bytes, 11u);
  EXPECT_EQ(p.device.virtual_rx_bytes, 22u);
  EXPECT_EQ(p.device.unclassified_rx_bytes, 33u);
  EXPECT_EQ(p.device.virtual_tx_bytes, 44u);
}

TEST(AggregateDevices, IoUringDeviceWorkIsModelled) {
  zc_path_counters c{};
  c.calls = 4;
  c.bytes = 4096;
  const Report r = Aggregate(OnePath(Syscall::kIoUringWrite, Kind::kUser, Kind::kFile, 0, c), AllProbes());
  EXPECT_EQ(r.processes[0].paths[0].dma.bytes, 4096u);
  EXPECT_EQ(r.processes[0].paths[0].dma.basis, Basis::kModelled);
}

TEST(AggregateDevices, FaultsOnAMappingAreItsModeSwitches) {
  zc_path_counters c{};
  c.calls = 1;
  c.bytes = 1 << 20;
  c.page_faults = 5;
  const Report r = Aggregate(OnePath(Syscall::kMmap, Kind::kFile, Kind::kUser, 0, c), AllProbes());
  EXPECT_EQ(r.processes[0].paths[0].page_faults, 5u);
  EXPECT_EQ(r.processes[0].paths[0].mode_switches, 2u * (1 + 5));
}

}  // namespace
}  // namespace zctrace

namespace zctrace {
namespace {

TEST(AggregateHazard, BulkMmapWriteWithoutDefencesIsWarnedTinyOneIsNot) {
  for (const uint64_t bytes : {uint64_t{1} << 20, uint64_t{100}}) {
    Snapshot s;
    s.processes.push_back(Process(0, 7, "server", 10));
    FlowSnapshot f;
    f.key.slot = 0;
    f.key.method = ZC_FLOW_MMAP_WRITE;
    f.key.source = {1, 8, 0};
    f.key.sink = {2, 9, 0};
    f.counters = {bytes, 4};
    s.flows.push_back(f);
    const Report r = Aggregate(s, {});
    const bool warned = std::any_of(r.warnings.begin(), r.warnings.end(), [](const std::string& w) {
      return w.find("SIGBUS") != std::string::npos;
    });
    EXPECT_EQ(warned, bytes >= (64u << 10)) << bytes;
  }
  // with a SIGBUS handler the bulk one is defended
  Snapshot s;
  ProcessSnapshot p = Process(0, 7, "server", 10);
  p.info.flags = ZC_PROC_SIGBUS_HANDLER;
  s.processes.push_back(p);
  FlowSnapshot f;
  f.key.method = ZC_FLOW_MMAP_WRITE;
  f.counters = {1 << 20, 4};
  s.flows.push_back(f);
  for (const std::string& w : Aggregate(s, {}).warnings)
    EXPECT_EQ(w.find("SIGBUS"), std::string::npos) << w;
}

}  // namespace
}  // namespace zctrace

namespace zctrace {
namespace {

TEST(Aggregate, PreciseModeTakesTheCopyFunctionsCountsExceptForIoUring) {
  Snapshot s = RelaySnapshot();
  s.paths[0].counters.copy_fn_events = 1000;
  s.paths[0].counters.copy_fn_bytes = 65536000;
  s.paths[1].counters.copy_fn_events = 0;  // say the kernel copied nothing: measured wins over the model
  s.paths.push_back(Path(0, Syscall::kIoUringRead, Kind::kFile, Kind::kUser, 10, 4096));
  AggregateOptions precise;
  precise.cpu_copies_measured = true;
  const Report r = Aggregate(s, precise);
  EXPECT_EQ(r.cpu_copy_mode, "precise");
  const ProcessReport& relay = r.processes.at(0);
  for (const PathReport& p : relay.paths) {
    if (p.syscall == Syscall::kRead && p.calls > 0) {
      EXPECT_EQ(p.cpu.basis, Basis::kMeasured);
      EXPECT_EQ(p.cpu.bytes, 65536000u);
      EXPECT_EQ(p.cpu.count, 1000u);
    } else if (p.syscall == Syscall::kWrite) {
      EXPECT_EQ(p.cpu.basis, Basis::kMeasured);
      EXPECT_EQ(p.cpu.bytes, 0u);
    } else if (p.syscall == Syscall::kIoUringRead) {
      EXPECT_EQ(p.cpu.basis, Basis::kModelled);  // its copies are not paired with a call
      EXPECT_EQ(p.cpu.bytes, 4096u);
    }
  }
  EXPECT_EQ(Aggregate(s, AggregateOptions{}).cpu_copy_mode, "model");
}

}  // namespace
}  // namespace zctrace

namespace zctrace {
namespace {

TEST(Aggregate, SwiotlbBouncesAreMeasuredCpuCopiesAndDmaMappingsAreReported) {
  Snapshot s = RelaySnapshot();
  s.paths[1].counters.bounce_events = 10;  // the write to the socket bounced through swiotlb
  s.paths[1].counters.bounce_bytes = 655360;
  s.paths[1].counters.dma_map_events = 10;
  s.paths[1].counters.dma_map_bytes = 655360;
  s.processes[0].counters.bounce_bytes = 655360;
  s.processes[0].counters.dma_map_bytes = 700000;  // some mapped outside any accounted call
  const Report r = Aggregate(s, AggregateOptions{});
  const ProcessReport& relay = r.processes.at(0);
  EXPECT_EQ(relay.device.bounce_bytes, 655360u);
  EXPECT_EQ(relay.device.dma_map_bytes, 700000u);
  for (const PathReport& p : relay.paths) {
    if (p.syscall == Syscall::kWrite) {
      EXPECT_EQ(p.cpu.bytes, 65536000u + 655360u);  // the model's one copy (user → socket) + the bounces
      EXPECT_EQ(p.device.bounce_bytes, 655360u);
      EXPECT_EQ(p.device.dma_map_bytes, 655360u);
    }
  }
}

TEST(Aggregate, ThreadsWithoutARecordAreWarnedAboutButLoseNothing) {
  Snapshot s;
  s.processes.push_back(Process(0, 7, "x", 1));
  s.paths.push_back(Path(0, Syscall::kRead, Kind::kFile, Kind::kUser, 3, 30));
  s.health.thread_table_full = 3;
  const Report r = Aggregate(s, {true});
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("3 syscalls ran in threads without a per-thread record"), std::string::npos);
  EXPECT_NE(r.warnings[0].find("not paired into flows"), std::string::npos);
  EXPECT_EQ(r.lost_events, 0u);  // counted in the shared maps: nothing lost
  EXPECT_EQ(r.processes[0].syscalls.at("read").bytes, 30u);
}

}  // namespace
}  // namespace zctrace
