// --stacks without root: stacks attributed to flows by their ends, merged per (path, frames), the copy loop
// named (call_stacks.cpp); and the symbolizer naming frames of this very test binary from a snapshot built
// the way the tracer reads one (symbolizer.cpp).
#include <gtest/gtest.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "call_stacks.h"
#include "symbolizer.h"

namespace zctrace {
namespace {

constexpr uint32_t kSlot = 7;
const zc_endpoint_id kFile{100, 1, 0};
const zc_endpoint_id kSocket{200, 2, 0};
const zc_endpoint_id kOtherSocket{300, 2, 0};

StackFrame Frame(uint64_t address, const std::string& function, const std::string& module = "/usr/bin/app") {
  StackFrame f;
  f.address = address;
  f.function = function;
  f.module = module;
  return f;
}

StackSnapshot Stack(uint8_t syscall, uint8_t source, uint8_t sink, zc_endpoint_id from, zc_endpoint_id to,
                    std::vector<StackFrame> frames, uint64_t bytes, uint64_t calls) {
  StackSnapshot s;
  s.key.path.slot = kSlot;
  s.key.path.syscall = syscall;
  s.key.path.source = source;
  s.key.path.sink = sink;
  s.key.source = from;
  s.key.sink = to;
  s.process_slot = kSlot;
  s.frames = std::move(frames);
  s.counters.calls = calls;
  s.counters.bytes = bytes;
  return s;
}

PathReport Path(Syscall syscall, Kind source, Kind sink, int cpu_copies_per_byte) {
  PathReport p;
  p.syscall = syscall;
  p.source = source;
  p.sink = sink;
  p.cpu_copies_per_byte = cpu_copies_per_byte;
  return p;
}

Endpoint End(const zc_endpoint_id& id, Kind kind) {
  Endpoint e;
  e.inode = id.ino;
  e.dev = id.dev;
  e.kind = kind;
  return e;
}

FlowReport Flow(const std::string& method, const Endpoint& source, const Endpoint& sink) {
  FlowReport f;
  f.method = method;
  f.source = source;
  f.sink = sink;
  f.cpu_copies_per_byte = method == "read+write" ? 2 : 0;
  f.better_method = method == "read+write" ? "sendfile" : "";
  return f;
}

// A relay: copy_loop reads the file and writes two connections (one flow, grouped), and serve sends the
// same file by sendfile; a header writer sends from memory to the first connection.
class CallStacks : public ::testing::Test {
 protected:
  void SetUp() override {
    snap_.stacks_captured = true;
    const auto libc = [](uint64_t a, const char* f) {
      return Frame(a, f, "/usr/lib/x86_64-linux-gnu/libc.so.6");
    };
    snap_.stacks = {
        Stack(ZC_SYS_READ, ZC_KIND_FILE, ZC_KIND_USER, kFile, {},
              {libc(1, "read"), Frame(10, "copy_loop(int)"), Frame(20, "main")}, 3000, 3),
        Stack(ZC_SYS_WRITE, ZC_KIND_USER, ZC_KIND_TCP, {}, kSocket,
              {libc(2, "write"), Frame(11, "write_all"), Frame(10, "copy_loop(int)"), Frame(20, "main")},
              2000, 2),
        // the same stack on another connection: merged in the process's stacks
        Stack(ZC_SYS_WRITE, ZC_KIND_USER, ZC_KIND_TCP, {}, kOtherSocket,
              {libc(2, "write"), Frame(11, "write_all"), Frame(10, "copy_loop(int)"), Frame(20, "main")},
              1000, 1),
        Stack(ZC_SYS_SENDFILE, ZC_KIND_FILE, ZC_KIND_TCP, kFile, kSocket,
              {libc(3, "sendfile"), Frame(12, "serve"), Frame(20, "main")}, 5000, 1),
        Stack(ZC_SYS_WRITE, ZC_KIND_USER, ZC_KIND_TCP, {}, kSocket,
              {libc(2, "write"), Frame(13, "send_header")}, 100, 1),
    };
    snap_.stacks.back().truncated = "send_header keeps no frame pointer: its callers are not known";
    // another process's stack is not this one's
    snap_.stacks.push_back(snap_.stacks.front());
    snap_.stacks.back().process_slot = kSlot + 1;

    proc_.paths = {Path(Syscall::kRead, Kind::kFile, Kind::kUser, 1),
                   Path(Syscall::kWrite, Kind::kUser, Kind::kTcp, 1),
                   Path(Syscall::kSendfile, Kind::kFile, Kind::kTcp, 0)};
    FlowReport relay = Flow("read+write", End(kFile, Kind::kFile), End(kSocket, Kind::kTcp));
    relay.members = {{End(kFile, Kind::kFile), End(kSocket, Kind::kTcp), 2000, 2},
                     {End(kFile, Kind::kFile), End(kOtherSocket, Kind::kTcp), 1000, 1}};
    proc_.flows = {relay, Flow("sendfile", End(kFile, Kind::kFile), End(kSocket, Kind::kTcp))};
    Endpoint memory;
    memory.kind = Kind::kUser;
    memory.name = "memory";
    proc_.flows.push_back(Flow("write", memory, End(kSocket, Kind::kTcp)));
  }

  Snapshot snap_;
  ProcessReport proc_;
};

TEST_F(CallStacks, EachFlowTakesTheStacksOfItsOwnCalls) {
  AttachStacks(snap_, kSlot, &proc_);
  const FlowReport& relay = proc_.flows[0];
  // the loop's reads and writes, and the header writes: their sink is the relay's, so they count there
  ASSERT_EQ(relay.call_sites.size(), 3u);
  EXPECT_EQ(relay.call_sites[0].functions, (std::vector<std::string>{"copy_loop", "main"}));
  EXPECT_EQ(relay.call_sites[0].bytes, 3000u);
  EXPECT_EQ(relay.call_sites[1].functions, (std::vector<std::string>{"write_all", "copy_loop", "main"}));
  EXPECT_EQ(relay.call_sites[1].bytes, 3000u);
  EXPECT_EQ(relay.call_sites[1].calls, 3u);
  // a stack whose callers are not known ends in "…"
  EXPECT_EQ(relay.call_sites[2].functions, (std::vector<std::string>{"send_header", "…"}));
  EXPECT_EQ(relay.call_site_advice.find("the copy loop is copy_loop"), 0u) << relay.call_site_advice;
  EXPECT_NE(relay.call_site_advice.find("sendfile there"), std::string::npos);

  const FlowReport& sendfile = proc_.flows[1];
  ASSERT_EQ(sendfile.call_sites.size(), 1u);
  EXPECT_EQ(sendfile.call_sites[0].functions, (std::vector<std::string>{"serve", "main"}));
  EXPECT_DOUBLE_EQ(sendfile.call_sites[0].share, 1.0);  // of its bytes: it copied nothing
  EXPECT_EQ(sendfile.call_sites[0].cpu_copied_bytes, 0u);
  EXPECT_TRUE(sendfile.call_site_advice.empty());

  // the writes from memory went to the relay's sink: counted with the relay
  EXPECT_TRUE(proc_.flows[2].call_sites.empty());
}

TEST_F(CallStacks, SharesAreOfTheCpuCopiedBytes) {
  AttachStacks(snap_, kSlot, &proc_);
  const FlowReport& relay = proc_.flows[0];
  double shares = 0;
  uint64_t copied = 0;
  for (const CallSite& c : relay.call_sites) {
    shares += c.share;
    copied += c.cpu_copied_bytes;
  }
  EXPECT_DOUBLE_EQ(shares, 1.0);
  EXPECT_EQ(copied, 3000u + 3000u + 100u);
  EXPECT_NEAR(relay.call_sites[2].share, 100.0 / 6100.0, 1e-12);
}

TEST_F(CallStacks, StacksAreMergedAcrossConnectionsAndSortedByCpuCopiedBytes) {
  AttachStacks(snap_, kSlot, &proc_);
  ASSERT_EQ(proc_.stacks.size(), 4u);  // the two write_all stacks are one, the other process's is not here
  EXPECT_EQ(proc_.stacks[0].path, "read file → user");
  EXPECT_EQ(proc_.stacks[0].cpu_copied_bytes, 3000u);
  EXPECT_EQ(proc_.stacks[1].path, "write user → tcp");
  EXPECT_EQ(proc_.stacks[1].bytes, 3000u);
  EXPECT_EQ(proc_.stacks[1].calls, 3u);
  EXPECT_EQ(proc_.stacks[1].mode_switches, 6u);
  EXPECT_EQ(proc_.stacks.back().path, "sendfile file → tcp");
  EXPECT_EQ(proc_.stacks.back().cpu_copied_bytes, 0u);
}

TEST_F(CallStacks, NothingWithoutStacksCaptured) {
  snap_.stacks_captured = false;
  AttachStacks(snap_, kSlot, &proc_);
  EXPECT_TRUE(proc_.stacks.empty());
  EXPECT_TRUE(proc_.flows[0].call_sites.empty());
}

// An mmap+write's sends carry the mapped file as their source; a read+write's to the same sink do not.
TEST_F(CallStacks, MappedSendsAreTheMmapWriteFlows) {
  snap_.stacks = {Stack(ZC_SYS_WRITE, ZC_KIND_USER, ZC_KIND_TCP, kFile, kSocket,
                        {Frame(2, "write"), Frame(14, "send_mapped"), Frame(20, "main")}, 4096, 1)};
  proc_.flows.push_back(Flow("mmap+write", End(kFile, Kind::kFile), End(kSocket, Kind::kTcp)));
  AttachStacks(snap_, kSlot, &proc_);
  EXPECT_TRUE(proc_.flows[0].call_sites.empty());
  ASSERT_EQ(proc_.flows.back().call_sites.size(), 1u);
  EXPECT_EQ(proc_.flows.back().call_sites[0].functions[0], "send_mapped");
}

// --- the symbolizer, on this test binary ---

extern "C" __attribute__((noinline)) int ZctraceCallStacksTestTarget(int x) {
  asm volatile("" ::: "memory");
  return x * 3 + 1;
}

struct SelfMapping {
  uint64_t start = 0, end = 0, offset = 0;
  std::string path;
};

SelfMapping MappingOf(uint64_t address) {
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    unsigned long long start = 0, end = 0, offset = 0;
    int path_at = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx %*s %llx %*s %*s %n", &start, &end, &offset, &path_at) < 3)
      continue;
    if (address >= start && address < end)
      return {start, end, offset, path_at > 0 ? line.substr(static_cast<size_t>(path_at)) : ""};
  }
  return {};
}

TEST(CallStacksSymbolizer, FramesOfThisBinaryAreNamedAndAddressesWithoutAMappingAreKept) {
  const auto target = reinterpret_cast<uint64_t>(&ZctraceCallStacksTestTarget);
  const SelfMapping m = MappingOf(target);
  ASSERT_FALSE(m.path.empty());
  // a copy of this binary at a short path: the kernel's table names a file up to ZC_PATH_DEPTH dentries deep
  const std::string copy = "/tmp/zctrace-unit-symbolizer-" + std::to_string(getpid());
  {
    std::ifstream in(m.path, std::ios::binary);
    std::ofstream out(copy, std::ios::binary);
    out << in.rdbuf();
  }
  struct stat st {};
  ASSERT_EQ(stat(copy.c_str(), &st), 0);

  Snapshot snap;
  snap.stacks_captured = true;
  ProcessSnapshot proc;
  proc.slot = kSlot;
  proc.info.tgid = static_cast<uint32_t>(getpid());
  snap.processes.push_back(proc);
  // the file, named as the kernel's endpoint table names it: its dentries from the file up to "/"
  EndpointSnapshot file;
  file.id = {static_cast<uint64_t>(st.st_ino), 42, 0};
  file.info.kind = ZC_KIND_FILE;
  std::vector<std::string> names;
  std::stringstream parts(copy);
  for (std::string part; std::getline(parts, part, '/');)
    if (!part.empty())
      names.insert(names.begin(), part);
  names.push_back("/");
  for (size_t i = 0; i < names.size(); ++i)
    std::strncpy(file.info.names[i], names[i].c_str(), ZC_NAME_LEN - 1);
  file.info.depth = static_cast<uint8_t>(names.size());
  snap.endpoints.push_back(file);
  snap.mounts.push_back({42, "/"});
  CodeMappingSnapshot mapping;
  mapping.key = {kSlot, 5, m.start};
  mapping.mapping.end = m.end;
  mapping.mapping.pgoff = m.offset / 4096;
  mapping.mapping.file = file.id;
  snap.code_mappings.push_back(mapping);

  StackSnapshot s;
  s.key.path.slot = kSlot;
  s.key.space = 5;
  s.key.stack_id = 1;
  s.process_slot = kSlot;
  snap.stacks.push_back(s);
  snap.stack_addresses[1] = {target + 1, 0x10};  // the second is in no mapping: kept as an address
  StackSnapshot lost = s;
  lost.key.stack_id = -17;  // the stack table refused it: only its innermost frame
  lost.key.leaf_ip = target + 2;
  snap.stacks.push_back(lost);

  SymbolizeStacks(&snap);
  unlink(copy.c_str());
  const StackSnapshot& named = snap.stacks[0];
  ASSERT_GE(named.frames.size(), 1u);
  EXPECT_EQ(named.frames[0].function, "ZctraceCallStacksTestTarget");
  EXPECT_EQ(named.frames[0].function_offset, 1u);
  EXPECT_EQ(named.frames[0].module, copy);
  EXPECT_EQ(named.frames[0].build_id.empty(), false);
  // the chain's next link: no mapping, so not a return address the symbolizer can vouch for
  EXPECT_EQ(named.frames.size(), 1u);
  EXPECT_FALSE(named.truncated.empty());

  const StackSnapshot& refused = snap.stacks[1];
  ASSERT_EQ(refused.frames.size(), 1u);
  EXPECT_EQ(refused.frames[0].function, "ZctraceCallStacksTestTarget");
  EXPECT_NE(refused.truncated.find("another stack held its entry"), std::string::npos) << refused.truncated;
}

}  // namespace
}  // namespace zctrace
