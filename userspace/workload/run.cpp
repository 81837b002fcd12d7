// `run`: validate, set everything up (sink and its helper child, source, buffer),
// transfer, collect the children's records, and emit the report. Nothing between
// the first and the last data syscall of the transfer prints or logs anything.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>

#include "combinations.h"
#include "commands.h"
#include "errors.h"
#include "fd_util.h"
#include "report.h"
#include "sink.h"
#include "transfer.h"

namespace workload {
namespace {

Fd open_source(const RunOptions& opt, KernelNotes& kernel) {
  if (opt.source == SourceType::Zero)
    return open_or_throw("/dev/zero", O_RDONLY, "source");

  Fd fd;
  if (opt.method == Method::ODirect) {
    // A filesystem without O_DIRECT support refuses it at open(); fall back to
    // buffered reads and say so, instead of failing (the fd's kind then is "file").
    fd = Fd(open(opt.file.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC));
    kernel.o_direct_fallback = !fd.valid() && errno == EINVAL;
  }
  if (!fd.valid())
    fd = open_or_throw(opt.file.c_str(), O_RDONLY, "source");

  if (opt.cold) {
    // prepare fsynced the file, so its pages are clean and DONTNEED really drops them.
    int err = posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED);
    if (err != 0) {
      errno = err;
      throw_errno("posix_fadvise(DONTNEED) " + opt.file);
    }
  }
  return fd;
}

// The transfer buffer: page-aligned (O_DIRECT, vmsplice and MSG_ZEROCOPY work on whole
// pages) and allocated before any data moves.
using Buffer = std::unique_ptr<char, decltype(&free)>;
Buffer allocate_buffer(size_t size) {
  size_t rounded = (size + 4095) / 4096 * 4096;
  char* p = static_cast<char*>(aligned_alloc(4096, rounded));
  if (p == nullptr)
    throw RunError("out of memory for a " + std::to_string(size) + "-byte buffer");
  return Buffer(p, &free);
}

}  // namespace

void run_command(const RunOptions& opt) {
  validate_run(opt);
  // A dead receiver must show up as an EPIPE error, not kill the sender silently.
  signal(SIGPIPE, SIG_IGN);

  Fd report_file;
  if (opt.report_path)
    report_file = open_or_throw(opt.report_path->c_str(), O_WRONLY | O_CREAT | O_TRUNC, "report");
  const int report_fd = report_file.valid() ? report_file.get() : STDOUT_FILENO;

  Recorder sender_paths;
  Io io(sender_paths);
  KernelNotes kernel;
  std::vector<int> not_for_children;
  if (report_file.valid())
    not_for_children.push_back(report_file.get());
  Sink sink = open_sink(opt, not_for_children);
  Fd source = open_source(opt, kernel);
  Buffer buffer = allocate_buffer(opt.chunk);

  Transfer t{
      io,    endpoint(source.get()), endpoint(sink.fd.get()), opt.sink, opt.bytes, opt.chunk, buffer.get(),
      kernel};
  auto start = std::chrono::steady_clock::now();
  uint64_t moved = run_method(opt.method, t);
  std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
  source.reset();

  std::vector<ProcessRecord> children;
  finish_sink(sink, io, moved, children);

  std::vector<ProcessRecord> processes;
  processes.push_back(ProcessRecord{getpid(), "sender", sender_paths});
  for (ProcessRecord& c : children)
    processes.push_back(std::move(c));

  RunSummary summary{opt, moved, wall.count(), processes, kernel, fd_kind(report_fd)};
  write_report(report_fd, render_report(summary));
}

}  // namespace workload
