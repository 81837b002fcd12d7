// Writes the hand-made seeds of the snapshot targets (flows, aggregate): realistic traces, built here as
// Snapshots and encoded in the fuzz format, so that the fuzzer starts from inputs that reach deep into
// the code instead of from bytes it would take minutes to shape.
//
//   zctrace_fuzz_write_seeds DIR...   writes seed-<name> into each DIR
//
// The committed tests/fuzz/corpus/{flows,aggregate}/seed-* are its output; rerun it when the format in
// snapshot_codec.h or the map structs in bpf/zctrace.h change.
#include <arpa/inet.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_input.h"
#include "snapshot_codec.h"

namespace zctrace::fuzz {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;

ProcessSnapshot Process(uint32_t slot, uint32_t pid, const char* comm, uint64_t syscalls) {
  ProcessSnapshot p;
  p.slot = slot;
  p.info.tgid = pid;
  p.info.parent_tgid = 1;
  p.info.start_ns = kSecond;
  std::strncpy(p.info.comm, comm, sizeof(p.info.comm) - 1);
  p.counters.syscalls = syscalls;
  return p;
}

PathSnapshot Path(uint32_t slot, zc_syscall sc, zc_kind source, zc_kind sink, uint64_t calls, uint64_t bytes,
                  uint8_t flags = 0) {
  PathSnapshot p;
  p.key = {slot, static_cast<uint8_t>(sc), static_cast<uint8_t>(source), static_cast<uint8_t>(sink), flags};
  p.counters.calls = calls;
  p.counters.bytes = bytes;
  return p;
}

EndpointSnapshot File(uint64_t ino, uint32_t dev, std::initializer_list<const char*> leaf_first) {
  EndpointSnapshot e;
  e.id = {ino, dev, 0};
  e.info.kind = ZC_KIND_FILE;
  e.info.depth = static_cast<uint8_t>(leaf_first.size());
  int i = 0;
  for (const char* name : leaf_first)
    std::strncpy(e.info.names[i++], name, ZC_NAME_LEN - 1);
  return e;
}

EndpointSnapshot Socket(uint64_t ino, zc_kind kind, int family, const char* local, uint16_t local_port,
                        const char* peer, uint16_t peer_port) {
  EndpointSnapshot e;
  e.id = {ino, 9, 0};
  e.info.kind = static_cast<uint8_t>(kind);
  e.info.family = static_cast<uint16_t>(family);
  inet_pton(family, local, e.info.local_addr);
  inet_pton(family, peer, e.info.peer_addr);
  e.info.local_port = local_port;
  e.info.peer_port = peer_port;
  return e;
}

EndpointSnapshot Pipe(uint64_t ino) {
  EndpointSnapshot e;
  e.id = {ino, 12, 0};
  e.info.kind = ZC_KIND_PIPE;
  return e;
}

FlowSnapshot Flow(uint32_t slot, zc_flow_method method, const EndpointSnapshot& source,
                  const EndpointSnapshot& sink, uint64_t bytes, uint64_t chunks) {
  FlowSnapshot f;
  f.key.slot = slot;
  f.key.method = static_cast<uint8_t>(method);
  f.key.source = source.id;
  f.key.sink = sink.id;
  f.counters = {bytes, chunks};
  return f;
}

Snapshot Base() {
  Snapshot s;
  s.duration_s = 2;
  s.now_ns = 3 * kSecond;
  s.kernel = "6.1.0-18-amd64";
  s.capabilities = {{"syscalls", true, "raw_syscalls:sys_exit"},
                    {"skb_copy", true, "skb:skb_copy_datagram_iovec"},
                    {"nic_tx", false, "net:net_dev_start_xmit: not in this kernel"}};
  s.mounts = {{8, "/"}, {20, "/mnt/data"}};
  return s;
}

// The textbook: read a file, write it to a socket on loopback.
FuzzCase ReadWrite() {
  FuzzCase c;
  c.options.skb_copies_measured = true;
  Snapshot& s = c.snapshot = Base();
  const EndpointSnapshot file = File(1, 8, {"big.iso", "www", "srv", "/"});
  const EndpointSnapshot tcp = Socket(4, ZC_KIND_TCP, AF_INET, "127.0.0.1", 8080, "127.0.0.1", 50000);
  s.endpoints = {file, tcp};
  s.processes = {Process(0, 100, "relay", 2005)};
  s.paths = {Path(0, ZC_SYS_READ, ZC_KIND_FILE, ZC_KIND_USER, 1000, 64 << 20),
             Path(0, ZC_SYS_WRITE, ZC_KIND_USER, ZC_KIND_TCP, 1000, 64 << 20, ZC_FLAG_SINK_LOOPBACK)};
  s.flows = {Flow(0, ZC_FLOW_READ_WRITE, file, tcp, 64 << 20, 1000)};
  return c;
}

// sendfile from a second filesystem to a remote peer, with the device side measured.
FuzzCase Sendfile() {
  FuzzCase c;
  c.options.disk_measured = c.options.nic_tx_measured = c.options.major_faults_measured = true;
  Snapshot& s = c.snapshot = Base();
  const EndpointSnapshot file = File(2, 20, {"x", "/"});
  const EndpointSnapshot tcp = Socket(5, ZC_KIND_TCP, AF_INET, "10.0.0.1", 443, "10.0.0.2", 41234);
  s.endpoints = {file, tcp};
  s.processes = {Process(0, 200, "nginx", 50)};
  s.processes[0].counters.disk_read_bytes = 1 << 20;
  s.processes[0].counters.nic_tx_bytes = 1 << 20;
  s.processes[0].counters.major_faults = 3;
  PathSnapshot p = Path(0, ZC_SYS_SENDFILE, ZC_KIND_FILE, ZC_KIND_TCP, 16, 1 << 20);
  p.counters.disk_read_events = 16;
  p.counters.disk_read_bytes = 1 << 20;
  p.counters.nic_tx_events = 720;
  p.counters.nic_tx_bytes = (1 << 20) + 720 * 66;
  s.paths = {p};
  s.flows = {Flow(0, ZC_FLOW_SENDFILE, file, tcp, 1 << 20, 16)};
  return c;
}

// A client receiving over a NIC, a veth and a device in another network namespace, and a UDP receive
// that no skb copy covers: the receive side's device table at work.
FuzzCase Receive() {
  FuzzCase c;
  c.options.skb_copies_measured = c.options.nic_tx_measured = c.options.nic_rx_measured = true;
  Snapshot& s = c.snapshot = Base();
  s.processes = {Process(0, 300, "curl", 40)};
  s.processes[0].counters.nic_rx_bytes = 3 << 20;
  s.processes[0].counters.virtual_rx_bytes = 1 << 20;
  s.processes[0].counters.unclassified_rx_bytes = 4096;
  s.processes[0].counters.virtual_tx_bytes = 600;
  PathSnapshot tcp = Path(0, ZC_SYS_RECVFROM, ZC_KIND_TCP, ZC_KIND_USER, 200, (4 << 20) + 4096);
  tcp.counters.skb_copy_events = 260;
  tcp.counters.skb_copy_bytes = (4 << 20) + 4096;
  tcp.counters.nic_rx_events = 190;
  tcp.counters.nic_rx_bytes = 3 << 20;
  tcp.counters.virtual_rx_bytes = 1 << 20;
  tcp.counters.unclassified_rx_events = 1;
  tcp.counters.unclassified_rx_bytes = 4096;
  s.paths = {tcp, Path(0, ZC_SYS_RECVFROM, ZC_KIND_UDP, ZC_KIND_USER, 2, 80)};
  return c;
}

// splice file → pipe → unix socket: the relay flow and the two legs it absorbs.
FuzzCase SpliceRelay() {
  FuzzCase c;
  Snapshot& s = c.snapshot = Base();
  const EndpointSnapshot file = File(1, 8, {"log", "var", "/"});
  const EndpointSnapshot pipe = Pipe(6);
  EndpointSnapshot unix_socket = Pipe(7);
  unix_socket.info.kind = ZC_KIND_UNIX;
  s.endpoints = {file, pipe, unix_socket};
  s.processes = {Process(3, 300, "shipper", 40)};
  s.paths = {Path(3, ZC_SYS_SPLICE, ZC_KIND_FILE, ZC_KIND_PIPE, 10, 1000),
             Path(3, ZC_SYS_SPLICE, ZC_KIND_PIPE, ZC_KIND_UNIX, 10, 1000)};
  s.flows = {Flow(3, ZC_FLOW_SPLICE, file, pipe, 1000, 10),
             Flow(3, ZC_FLOW_SPLICE, pipe, unix_socket, 1000, 10),
             Flow(3, ZC_FLOW_SPLICE_RELAY, file, unix_socket, 1000, 10)};
  return c;
}

// Writes from a file mapping, without a SIGBUS handler, and a SIGBUS received: the hazard warnings.
FuzzCase MmapWrite() {
  FuzzCase c;
  Snapshot& s = c.snapshot = Base();
  const EndpointSnapshot file = File(3, 8, {"h", "g", "f", "e", "d", "c", "b", "a"});  // deeper than kept
  const EndpointSnapshot udp = Socket(8, ZC_KIND_UDP, AF_INET6, "::1", 5353, "::ffff:127.0.0.1", 5353);
  s.endpoints = {file, udp};
  ProcessSnapshot p = Process(1, 400, "mapper", 30);
  p.info.flags = ZC_PROC_FILE_MMAP;
  p.info.sigbus = 1;
  p.info.exit_ns = 2 * kSecond;
  p.info.exit_code = 135;
  p.counters.page_faults = 256;
  s.processes = {p};
  PathSnapshot mmap = Path(1, ZC_SYS_MMAP, ZC_KIND_FILE, ZC_KIND_USER, 1, 1 << 20);
  mmap.counters.page_faults = 256;
  s.paths = {mmap, Path(1, ZC_SYS_MUNMAP, ZC_KIND_ANON, ZC_KIND_USER, 1, 1 << 20),
             Path(1, ZC_SYS_SENDTO, ZC_KIND_USER, ZC_KIND_UDP, 16, 1 << 20, ZC_FLAG_SINK_LOOPBACK)};
  s.flows = {Flow(1, ZC_FLOW_MMAP_WRITE, file, udp, 1 << 20, 16)};
  return c;
}

// Odds and ends: io_uring, MSG_ZEROCOPY, a closed fd, an unmodelled path, a path of an unknown slot, an
// endpoint the full map did not name, full maps, and warnings.
FuzzCase Mixed() {
  FuzzCase c;
  c.options = {true, true, true, true};
  Snapshot& s = c.snapshot = Base();
  const EndpointSnapshot tcp = Socket(9, ZC_KIND_TCP, AF_INET6, "2001:db8::1", 80, "2001:db8::2", 1234);
  EndpointSnapshot unnamed;
  unnamed.id = {77, 8, 0};  // not recorded: the endpoint map was full
  s.endpoints = {tcp, File(10, 30, {"data", "srv", "/"})};
  s.processes = {Process(0, 500, "server", 100), Process(1, 501, "worker", 60)};
  s.processes[0].counters.skb_copy_bytes_unattributed = 4096;
  s.paths = {Path(0, ZC_SYS_IO_URING_READ, ZC_KIND_TCP, ZC_KIND_USER, 8, 32768),
             Path(0, ZC_SYS_IO_URING_SEND_ZC, ZC_KIND_USER, ZC_KIND_TCP, 8, 32768),
             Path(1, ZC_SYS_SENDMSG, ZC_KIND_USER, ZC_KIND_TCP, 4, 16384, ZC_FLAG_MSG_ZEROCOPY),
             Path(1, ZC_SYS_RECVMSG, ZC_KIND_TCP, ZC_KIND_USER, 4, 16384),
             Path(1, ZC_SYS_WRITE, ZC_KIND_USER, ZC_KIND_OTHER, 2, 10, ZC_FLAG_BAD_FD),
             Path(1, ZC_SYS_TEE, ZC_KIND_FILE, ZC_KIND_FILE, 1, 1),  // no row covers tee between files
             Path(7, ZC_SYS_READ, ZC_KIND_FILE, ZC_KIND_USER, 1, 1)};
  s.paths[3].counters.skb_copy_events = 4;
  s.paths[3].counters.skb_copy_bytes = 16384;
  s.paths[4].counters.errors = 1;
  s.flows = {Flow(1, ZC_FLOW_READ_WRITE, tcp, unnamed, 16384, 4),
             Flow(1, ZC_FLOW_COPY_FILE_RANGE, s.endpoints[1], s.endpoints[1], 4096, 1),
             Flow(0, ZC_FLOW_VMSPLICE, unnamed, tcp, 100, 1), Flow(0, ZC_FLOW_TEE, tcp, tcp, 0, 0)};
  s.health = {3, 1, 2, 4, 5};
  s.warnings = {"stopped by Interrupt"};
  return c;
}

}  // namespace
}  // namespace zctrace::fuzz

int main(int argc, char** argv) {
  using namespace zctrace::fuzz;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR...\n", argv[0]);
    return 2;
  }
  const std::pair<const char*, FuzzCase> seeds[] = {
      {"empty", FuzzCase{}},           {"read-write", ReadWrite()}, {"sendfile", Sendfile()},
      {"splice-relay", SpliceRelay()}, {"mmap-write", MmapWrite()}, {"mixed", Mixed()},
      {"receive", Receive()},
  };
  for (const auto& [name, seed] : seeds) {
    const std::string bytes = FuzzCaseEncoder().Encode(seed);
    // The decoder must read back what the encoder wrote: re-encoding the decoded case gives the same bytes.
    FuzzInput in(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    if (FuzzCaseEncoder().Encode(DecodeFuzzCase(in)) != bytes) {
      std::fprintf(stderr, "write_seeds: seed %s does not survive decoding\n", name);
      return 1;
    }
    for (int i = 1; i < argc; ++i) {
      const std::string path = std::string(argv[i]) + "/seed-" + name;
      std::ofstream out(path, std::ios::binary);
      out << bytes;
      if (!out.flush()) {
        std::fprintf(stderr, "write_seeds: cannot write %s\n", path.c_str());
        return 1;
      }
    }
  }
  return 0;
}
