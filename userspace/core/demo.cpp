#include "demo.h"

#include <cstdio>
#include <ostream>

#include "copy_model.h"
#include "render.h"

namespace zctrace {

const std::vector<MethodLine>& DemoMethods() {
  static const std::vector<MethodLine> kMethods = {
      {"read-write", "read+write", 2},
      {"readv-writev", "read+write", 2},
      {"pread-pwrite", "read+write", 2},
      {"mmap-write", "mmap+write", 1},
      {"sendfile", "sendfile", 0},
      {"splice", "splice", 0},
      {"vmsplice", "splice (user pages)", -1},
      {"tee", "splice + tee", 0},
      {"copy-file-range", "in-kernel copy", -1},
      {"msg-zerocopy", "MSG_ZEROCOPY", -1},
      {"o-direct", "direct I/O + write", -1},
      {"io-uring", "read+write via io_uring", 2},
  };
  return kMethods;
}

namespace {

using nlohmann::json;

const json* ProcessByPid(const json& report, const json& pid) {
  for (const json& p : report.at("processes")) {
    if (p.at("pid") == pid)
      return &p;
  }
  return nullptr;
}

CopyFigure CopiesOf(const json& figure) {
  return {figure.at("count").get<uint64_t>(), figure.at("bytes").get<uint64_t>(),
          figure.at("basis") == "measured" ? Basis::kMeasured : Basis::kModelled,
          figure.at("measured_bytes").get<uint64_t>()};
}

double PerByte(uint64_t copied, uint64_t bytes) {
  return bytes ? static_cast<double>(copied) / static_cast<double>(bytes) : 0.0;
}

std::string Fixed(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

}  // namespace

DemoRow ComputeDemoRow(const std::string& method, const std::string& sink, const json& truth,
                       const json& report) {
  DemoRow row;
  row.method = method;
  row.sink = sink;
  for (const MethodLine& m : DemoMethods()) {
    if (m.method == method) {
      row.model = std::string(m.model);
      row.textbook_cpu_copies = m.textbook_cpu_copies;
    }
  }
  row.bytes = truth.at("bytes_transferred").get<uint64_t>();
  row.wall_s = truth.at("wall_s").get<double>();
  for (const json& process : truth.at("processes")) {
    const json* traced = ProcessByPid(report, process.at("pid"));
    if (!traced) {
      row.note = "zctrace did not see pid " + process.at("pid").dump();
      return row;
    }
    const CopyFigure cpu = CopiesOf(traced->at("copies").at("cpu"));
    if (process.at("role") != "sender") {
      const bool measured = (row.peer_cpu.bytes == 0 || row.peer_cpu.basis == Basis::kMeasured) &&
                            cpu.basis == Basis::kMeasured;
      row.peer_cpu = {row.peer_cpu.count + cpu.count, row.peer_cpu.bytes + cpu.bytes,
                      measured ? Basis::kMeasured : Basis::kModelled,
                      row.peer_cpu.measured_bytes + cpu.measured_bytes};
      continue;
    }
    row.cpu = cpu;
    row.dma = CopiesOf(traced->at("copies").at("dma"));
    row.cpu_copies_per_byte = PerByte(row.cpu.bytes, row.bytes);
    row.dma_copies_per_byte = PerByte(row.dma.bytes, row.bytes);
    const double mib = static_cast<double>(row.bytes) / (1024.0 * 1024.0);
    row.mode_switches_per_mib = mib > 0 ? traced->at("mode_switches").at("total").get<double>() / mib : 0;
    row.syscalls = traced->at("syscall_count").get<uint64_t>();
    row.page_faults = traced->at("page_faults").at("total").get<uint64_t>();
  }
  row.peer_cpu_copies_per_byte = PerByte(row.peer_cpu.bytes, row.bytes);
  const json& kernel = truth.at("kernel");
  if (kernel.value("zerocopy_copied", false))
    row.note = "kernel: zerocopy pages were copied (loopback)";
  if (kernel.value("send_zc", false))
    row.note += std::string(row.note.empty() ? "" : "; ") + "used IORING_OP_SEND_ZC";
  row.ran = true;
  return row;
}

void RenderDemoText(const DemoResult& result, std::ostream& out) {
  out << "zctrace demo — the four-copy model, measured on Linux " << result.kernel << "\n\n";
  out << "The textbook: sending a file with read()+write() costs 2 DMA copies (disk → page cache, socket\n"
         "buffer → NIC), 2 CPU copies (page cache → user → socket buffer) and 4 mode switches per chunk.\n"
         "mmap+write saves one CPU copy; sendfile with a scatter-gather NIC, and splice, save both.\n"
         "On this machine: the file was just written, so its pages are cached (no disk DMA on read);\n"
         "the TCP peer is on loopback (no NIC, no NIC DMA); the file sink's pages reach the disk later,\n"
         "at writeback (counted as DMA of the writer when it dirties them).\n"
         "Each row moved "
      << HumanBytes(result.bytes) << " in " << result.chunk
      << " chunks under tracing. CPU/B: CPU copies per byte moved by the sending process\n"
         "(PEER CPU: by the receiving process). (M) = measured from kernel events, else modelled.\n\n";
  for (const std::string& sink : {std::string("tcp"), std::string("unix"), std::string("file"),
                                  std::string("pipe"), std::string("null")}) {
    bool header = false;
    for (const DemoRow& r : result.rows) {
      if (r.sink != sink)
        continue;
      if (!header) {
        out << "sink: " << sink << "\n";
        char line[256];
        std::snprintf(line, sizeof(line), "  %-16s %-9s %-9s %-9s %-9s %-11s %-9s %-8s %-24s\n", "METHOD",
                      "CPU/B", "TEXTBOOK", "PEER CPU", "DMA/B", "SWITCH/MiB", "SYSCALLS", "WALL",
                      "MODEL LINE");
        out << line;
        header = true;
      }
      char line[512];
      if (!r.ran) {
        std::snprintf(line, sizeof(line), "  %-16s %s\n", r.method.c_str(), r.note.c_str());
        out << line;
        continue;
      }
      const std::string cpu =
          Fixed(r.cpu_copies_per_byte, 2) + (r.cpu.basis == Basis::kMeasured ? " (M)" : "");
      const std::string textbook = r.textbook_cpu_copies < 0 ? "-" : std::to_string(r.textbook_cpu_copies);
      const std::string peer = sink == "file" || sink == "null" ? "-" : Fixed(r.peer_cpu_copies_per_byte, 2);
      const std::string dma =
          Fixed(r.dma_copies_per_byte, 2) + (r.dma.basis == Basis::kMeasured ? " (M)" : "");
      std::snprintf(line, sizeof(line), "  %-16s %-9s %-9s %-9s %-9s %-11s %-9s %-8s %s%s%s\n",
                    r.method.c_str(), cpu.c_str(), textbook.c_str(), peer.c_str(), dma.c_str(),
                    Fixed(r.mode_switches_per_mib, 1).c_str(), GroupedCount(r.syscalls).c_str(),
                    (Fixed(r.wall_s * 1000, 0) + " ms").c_str(), r.model.c_str(), r.note.empty() ? "" : " — ",
                    r.note.c_str());
      out << line;
    }
    if (header)
      out << "\n";
  }
  out << "DMA/B: block I/O the sender submitted plus page cache it dirtied, per byte moved.\n"
         "CPU/B counts a /dev/zero read or an in-kernel page-cache write as a CPU pass over the bytes.\n";
}

json DemoToJson(const DemoResult& result) {
  json rows = json::array();
  for (const DemoRow& r : result.rows) {
    json row = {{"method", r.method}, {"sink", r.sink}, {"ran", r.ran}, {"note", r.note}};
    if (r.ran) {
      row.update(
          {{"bytes", r.bytes},
           {"copies",
            {{"cpu", CopyToJson(r.cpu, r.cpu_copies_per_byte)},
             {"dma", CopyToJson(r.dma, r.dma_copies_per_byte)}}},
           {"peer_copies", {{"cpu", CopyToJson(r.peer_cpu, r.peer_cpu_copies_per_byte)}}},
           {"mode_switches_per_mib", r.mode_switches_per_mib},
           {"syscalls", r.syscalls},
           {"page_faults", r.page_faults},
           {"wall_s", r.wall_s},
           {"model", r.model},
           {"textbook_cpu_copies", r.textbook_cpu_copies < 0 ? json(nullptr) : json(r.textbook_cpu_copies)}});
    }
    rows.push_back(row);
  }
  return {{"schema", "zctrace-demo/2"},
          {"run", RunToJson(result.run, result.kernel)},
          {"bytes", result.bytes},
          {"chunk", result.chunk},
          {"rows", rows}};
}

size_t FailedRows(const DemoResult& result) {
  size_t failed = 0;
  for (const DemoRow& row : result.rows)
    failed += row.failed ? 1 : 0;
  return failed;
}

}  // namespace zctrace
