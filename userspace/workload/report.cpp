#include "report.h"

#include <sys/syscall.h>
#include <unistd.h>

#include "errors.h"

namespace workload {

std::string render_report(const RunSummary& s) {
  using json = nlohmann::ordered_json;
  const RunOptions& o = s.options;

  json processes = json::array();
  for (const ProcessRecord& p : s.processes)
    processes.push_back({{"pid", p.pid}, {"role", p.role}, {"paths", p.paths.to_json()}});

  const KernelNotes& k = s.kernel;
  json kernel = {
      {"zerocopy_sends", k.zerocopy_sends},
      {"zerocopy_completions", k.zerocopy_completions},
      {"zerocopy_notifications", k.zerocopy_notifications},
      {"zerocopy_copied", k.zerocopy_copied},
      {"zerocopy_copied_completions", k.zerocopy_copied_completions},
      {"send_zc", k.send_zc},
      {"o_direct_fallback", k.o_direct_fallback ? json(*k.o_direct_fallback) : json(nullptr)},
      {"sink_shared_bytes", k.sink_shared_bytes ? json(*k.sink_shared_bytes) : json(nullptr)},
  };

  json doc = {
      {"schema", "zctrace-workload/1"},
      {"method", name_of(o.method)},
      {"sink", name_of(o.sink)},
      {"source", name_of(o.source)},
      {"source_file", o.source == SourceType::File ? json(o.file) : json(nullptr)},
      {"cold", o.cold},
      {"bytes_requested", o.bytes},
      {"chunk", o.chunk},
      {"bytes_transferred", s.bytes_transferred},
      {"wall_s", s.wall_s},
      {"processes", processes},
      {"kernel", kernel},
      {"report_write",
       {{"syscall", "write"},
        {"source", kUser},
        {"sink", s.report_sink_kind},
        {"calls", 1},
        {"note",
         "this document is emitted by the sender with one write() that is not counted in "
         "processes[].paths; add 1 call and the document's length in bytes"}}},
  };
  return doc.dump(2) + "\n";
}

void write_report(int fd, const std::string& doc) {
  long w = syscall(SYS_write, fd, doc.data(), doc.size());
  if (w < 0)
    throw_errno("write report");
  if (static_cast<size_t>(w) != doc.size())
    throw RunError("report write was short (" + std::to_string(w) + " of " + std::to_string(doc.size()) +
                   " bytes)");
}

}  // namespace workload
