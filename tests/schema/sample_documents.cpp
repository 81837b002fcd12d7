// Writes one document of every kind zctrace emits, built from reports with every optional part filled
// (grouped flows with members and advice, exits by code and by signal, measured and modelled figures), so
// that the schemas are checked against each shape without root: sample_documents DIR.
#include <fstream>
#include <iostream>
#include <string>

#include "aggregate.h"
#include "check.h"
#include "demo.h"
#include "render.h"
#include "top_view.h"

namespace zctrace {
namespace {

Endpoint Socket(const std::string& local_ip, uint16_t local_port, uint16_t peer_port, uint64_t inode) {
  Endpoint e;
  e.kind = Kind::kTcp;
  e.local = SocketAddress{local_ip, local_port};
  e.peer = SocketAddress{"127.0.0.1", peer_port};
  e.name = "tcp " + local_ip + ":" + std::to_string(local_port) + " → 127.0.0.1:" + std::to_string(peer_port);
  e.group = "tcp " + local_ip + ":" + std::to_string(local_port) + " (accepted)";
  e.loopback = true;
  e.inode = inode;
  e.accepted = true;
  return e;
}

Report Sample(uint64_t scale) {
  Report r;
  r.run.tool_version = ToolVersion();
  r.run.hostname = "sample";
  r.run.started_at = "2026-12-07T10:00:00.000Z";
  r.run.ended_at = "2026-12-07T10:00:02.500Z";
  r.run.argv = {"zctrace", "-p", "4242", "--json", "-"};
  r.run.pids = {4242};
  r.kernel = "6.18.0-sample";
  r.duration_s = 2.5;
  r.capabilities = {{"syscalls", true, "raw_syscalls:sys_exit"}, {"skb_copies", false, "not attached"}};

  ProcessReport server;
  server.pid = 4242;
  server.parent_pid = 1;
  server.comm = "nginx";
  server.cgroup = "/system.slice/nginx.service";
  server.unit = "nginx.service";
  server.duration_s = 2.5;
  server.syscall_count = 100 * scale;
  server.page_faults = 3 * scale;
  server.major_faults = scale;
  server.major_faults_measured = true;
  server.mode_switches = 2 * (server.syscall_count + server.page_faults);
  server.cpu = {10 * scale, 40960 * scale, Basis::kModelled, 4096 * scale};
  server.dma = {5 * scale, 81920 * scale, Basis::kMeasured, 0};
  server.bytes_moved = 90000 * scale;
  server.zero_copy_bytes = 80000 * scale;
  server.syscalls["sendfile"] = {20 * scale, 80000 * scale, 1};
  server.device.disk_read_bytes = 8192 * scale;
  server.device.virtual_tx_bytes = 81000 * scale;

  PathReport sendfile;
  sendfile.syscall = Syscall::kSendfile;
  sendfile.source = Kind::kFile;
  sendfile.sink = Kind::kTcp;
  sendfile.flags = ZC_FLAG_SINK_LOOPBACK;
  sendfile.calls = 20 * scale;
  sendfile.bytes = 80000 * scale;
  sendfile.errors = 1;
  sendfile.dma = {2, 8192 * scale, Basis::kMeasured, 0};
  sendfile.dma_copies_per_byte = 1;
  sendfile.model = "sendfile/splice";
  sendfile.kernel_path = "splice_to_socket";
  sendfile.dma_detail = "disk → page cache (measured); loopback: no NIC, no DMA";
  sendfile.mode_switches = 2 * sendfile.calls;
  sendfile.device.disk_read_bytes = 8192 * scale;
  sendfile.device.virtual_tx_counted = false;
  server.paths.push_back(sendfile);
  // the flags' and verdicts' other words: a kTLS socket offloaded to the NIC, TLS records the program
  // wrote, a clone the filesystem refused
  PathReport offloaded = sendfile;
  offloaded.flags = ZC_FLAG_SINK_KTLS | ZC_FLAG_SINK_KTLS_DEVICE_ZEROCOPY;
  server.paths.push_back(offloaded);
  PathReport records = sendfile;
  records.syscall = Syscall::kWrite;
  records.source = Kind::kUser;
  records.flags = ZC_FLAG_SINK_USER_TLS;
  server.paths.push_back(records);
  PathReport refused;
  refused.syscall = Syscall::kFiclone;
  refused.source = refused.sink = Kind::kFile;
  refused.calls = refused.errors = 1;
  refused.model = "reflink";
  refused.zero_copy = ZeroCopyVerdict{
      "FICLONE", Achieved::kRefused, "clone_refused", "the kernel refused the clone", Basis::kMeasured, 0};
  server.paths.push_back(refused);

  FlowReport served;
  served.method = "sendfile";
  served.source.kind = Kind::kFile;
  served.source.name = served.source.group = served.source.path = "/srv/www/index.html";
  served.source.inode = 1234;
  served.sink = Socket("127.0.0.1", 8080, 50000, 0);
  served.sink.name = served.sink.group;
  served.sink.peer.reset();
  served.bytes = 80000 * scale;
  served.chunks = 20 * scale;
  served.dma_copies_per_byte = 1;
  served.mode_switches_per_chunk = 2;
  served.model = "sendfile";
  served.members = {{served.source, Socket("127.0.0.1", 8080, 50000, 77), 50000 * scale, 12 * scale},
                    {served.source, Socket("127.0.0.1", 8080, 50002, 78), 30000 * scale, 8 * scale}};
  server.flows.push_back(served);

  FlowReport copied;
  copied.method = "read+write";
  copied.source = served.source;
  copied.sink = Socket("127.0.0.1", 8080, 50004, 79);
  copied.bytes = 10000 * scale;
  copied.chunks = 3 * scale;
  copied.cpu_copies_per_byte = 2;
  copied.dma_copies_per_byte = 1;
  copied.mode_switches_per_chunk = 4;
  copied.model = "read+write";
  copied.better_method = "sendfile";
  copied.cpu_copies_saved_per_byte = 2;
  copied.mode_switches_saved_per_chunk = 2;
  copied.advice = "sendfile would remove 2 CPU copies of every byte";
  copied.notes = {"a note"};
  // --stacks: a flow's call sites and a process's stacks
  copied.call_sites = {{{"copy_loop", "serve", "main"}, 20000 * scale, 20000 * scale, 6 * scale, 1.0}};
  copied.call_site_advice = "the copy loop is copy_loop";
  server.flows.push_back(copied);
  CallStack stack;
  stack.pid = server.pid;
  stack.comm = server.comm;
  stack.path = "read file → user";
  stack.syscall = Syscall::kRead;
  stack.source = Kind::kFile;
  stack.sink = Kind::kUser;
  StackFrame wrapper;
  wrapper.address = 0x7f0000012345;
  wrapper.module = "/usr/lib/x86_64-linux-gnu/libc.so.6";
  wrapper.module_offset = 0x12345;
  wrapper.build_id = "0123456789abcdef0123456789abcdef01234567";
  wrapper.function = "read";
  wrapper.function_offset = 0x15;
  StackFrame unnamed;
  unnamed.address = 0x5600000001c0;
  unnamed.module = "/usr/sbin/server";
  unnamed.module_offset = 0x11c0;
  unnamed.leaf_caller = true;
  stack.frames = {wrapper, unnamed};
  stack.truncated = "server code keeps no frame pointer: its callers are not known";
  stack.calls = 3 * scale;
  stack.bytes = 10000 * scale;
  stack.cpu_copied_bytes = 10000 * scale;
  stack.mode_switches = 6 * scale;
  server.stacks.push_back(stack);
  r.stacks_captured = true;
  SelfCost cost;
  cost.programs = {{"on_sys_exit", 2000 * scale, 300000 * scale}, {"on_fork", 3, 9000}};
  cost.bpf_runs = 2000 * scale + 3;
  cost.bpf_run_time_ns = 300000 * scale + 9000;
  cost.collector_cpu_s = 0.25;
  r.self_cost = cost;
  r.processes.push_back(server);

  ProcessReport killed;
  killed.pid = 4300;
  killed.parent_pid = 4242;
  killed.comm = "worker";
  killed.exited = true;
  killed.exit_signal = "SIGKILL";
  killed.syscall_count = scale;
  r.processes.push_back(killed);

  ProcessReport folded;
  folded.comm = "cgi";
  folded.folded_processes = 12;
  folded.exited = true;
  folded.syscall_count = 40 * scale;
  r.processes.push_back(folded);

  ProcessReport exited = killed;
  exited.pid = 4301;
  exited.exit_signal.clear();
  exited.exit_code = 3;
  r.processes.push_back(exited);

  for (const ProcessReport& p : r.processes)
    r.totals = Add(r.totals, TotalsOf(p));
  r.warnings = {"a warning"};
  return r;
}

DemoResult SampleDemo() {
  DemoResult d;
  d.run = Sample(1).run;
  d.kernel = "6.18.0-sample";
  d.bytes = 1 << 20;
  d.chunk = "64K";
  DemoRow ran;
  ran.method = "read-write";
  ran.sink = "tcp";
  ran.ran = true;
  ran.bytes = 1 << 20;
  ran.cpu = {32, 2 << 20, Basis::kModelled, 0};
  ran.dma = {16, 1 << 20, Basis::kMeasured, 0};
  ran.peer_cpu = {16, 1 << 20, Basis::kMeasured, 1 << 20};
  ran.cpu_copies_per_byte = 2;
  ran.dma_copies_per_byte = 1;
  ran.peer_cpu_copies_per_byte = 1;
  ran.mode_switches_per_mib = 64;
  ran.syscalls = 32;
  ran.wall_s = 0.01;
  ran.model = "read+write";
  ran.textbook_cpu_copies = 2;
  d.rows.push_back(ran);
  DemoRow refused;
  refused.method = "copy-file-range";
  refused.sink = "tcp";
  refused.note = "n/a: needs --sink file";
  d.rows.push_back(refused);
  return d;
}

bool Write(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

}  // namespace
}  // namespace zctrace

int main(int argc, char** argv) {
  using namespace zctrace;
  if (argc != 2) {
    std::cerr << "usage: sample_documents DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  const Report first = Sample(1), second = Sample(3);
  CheckOptions check;
  check.expect = "sendfile";
  const std::string lines = JsonText(JsonLinesStart(first, "2026-12-07T10:00:00.000Z", 1)) + "\n" +
                            JsonText(JsonLine(first, nullptr, 1, "2026-12-07T10:00:01.000Z")) + "\n" +
                            JsonText(JsonLinesEnd(second, &first, 2.5, "2026-12-07T10:00:02.500Z")) + "\n";
  TopScreen screen;
  const std::string top =
      TopJson(TopRows(second, &first, 1, TopGroup::kProcess, TopSort::kCpuCopied), screen).dump() + "\n";
  const bool ok =
      Write(dir + "/report.json", JsonText(ReportToJson(second), 2)) &&
      Write(dir + "/check.json", JsonText(CheckToJson(EvaluateCheck(second, check), check, second), 2)) &&
      Write(dir + "/demo.json", JsonText(DemoToJson(SampleDemo()), 2)) &&
      Write(dir + "/lines.jsonl", lines) && Write(dir + "/top.jsonl", top);
  if (!ok) {
    std::cerr << "sample_documents: cannot write in " << dir << "\n";
    return 1;
  }
  return 0;
}
