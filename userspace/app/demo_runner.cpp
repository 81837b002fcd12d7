#include "demo_runner.h"
#include "run_info.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

#include "demo.h"
#include "kernel_info.h"
#include "output_file.h"
#include "privileges.h"
#include "render.h"

namespace zctrace {
namespace {

namespace fs = std::filesystem;

struct Finished {
  int wait_status = 0;
  std::string err;  // what it printed on stderr
};

// Runs argv to completion with stdout discarded and stderr captured.
Finished RunToCompletion(const std::vector<std::string>& argv) {
  Finished f;
  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) {
    f.wait_status = 1 << 8;
    f.err = std::strerror(errno);
    return f;
  }
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(err[1], 2);
    execv(args[0], args.data());
    _exit(127);
  }
  close(err[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(err[0], buf, sizeof(buf))) > 0)
    f.err.append(buf, static_cast<size_t>(n));
  close(err[0]);
  waitpid(pid, &f.wait_status, 0);
  while (!f.err.empty() && f.err.back() == '\n')
    f.err.pop_back();
  return f;
}

// Why a traced run failed: zctrace's first message (a hint may follow it), else the run's last line.
std::string FailureReason(const std::string& err) {
  const size_t own = err.rfind("zctrace: ", 0) == 0 ? 0 : err.find("\nzctrace: ");
  if (own != std::string::npos) {
    const size_t start = own == 0 ? 0 : own + 1;
    return err.substr(start, err.find('\n', start) - start);
  }
  std::string text = err;
  while (!text.empty() && text.back() == '\n')
    text.pop_back();
  return text.substr(text.rfind('\n') + 1);
}

// The workload's refusal, "zctrace-workload: error: X needs --sink file: why", as "X needs --sink file".
std::string WhyRefused(const std::string& err) {
  std::string line = err.substr(err.rfind('\n') + 1);
  const std::string prefix = "zctrace-workload: error: ";
  if (line.rfind(prefix, 0) == 0)
    line.erase(0, prefix.size());
  return line.substr(0, line.find(':'));
}

fs::path SelfPath() {
  return fs::read_symlink("/proc/self/exe");
}

// Where zctrace-workload may be, relative to the running zctrace: installed (a private helper under
// libexec, ZCTRACE_WORKLOAD_FROM_BINDIR from the build), in the build tree (userspace/workload/), or
// beside it (both binaries copied into one directory).
std::vector<fs::path> WorkloadCandidates() {
  const fs::path dir = SelfPath().parent_path();
  return {(dir / ZCTRACE_WORKLOAD_FROM_BINDIR).lexically_normal(), dir / "workload" / "zctrace-workload",
          dir / "zctrace-workload"};
}

std::string FindWorkload() {
  for (const fs::path& candidate : WorkloadCandidates()) {
    if (access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return {};
}

nlohmann::json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

}  // namespace

int RunDemo(const DemoOptions& options, RunInfo info) {
  if (!HasTracingPrivileges()) {
    std::cerr
        << "zctrace: needs root (or CAP_BPF and CAP_PERFMON) to load BPF programs; try: sudo zctrace demo\n";
    return 1;
  }
  const std::string workload = FindWorkload();
  if (workload.empty()) {
    std::cerr << "zctrace: demo needs zctrace-workload, found at none of";
    const char* separator = " ";
    for (const fs::path& candidate : WorkloadCandidates()) {
      std::cerr << separator << candidate.string();
      separator = ", ";
    }
    std::cerr << "\n";
    return 1;
  }
  OutputFile json_file;  // replaced only when the table is there
  const bool json_to_stdout = options.json_path && *options.json_path == "-";
  std::string error;
  if (options.json_path && !json_to_stdout && !json_file.Open(*options.json_path, &error)) {
    std::cerr << "zctrace: cannot write --json " << *options.json_path << ": " << error << "\n";
    return 1;
  }
  std::string dir_template = (fs::path(options.dir) / "zctrace-demo-XXXXXX").string();
  if (!mkdtemp(dir_template.data())) {
    std::cerr << "zctrace: cannot create a directory in " << options.dir << ": " << std::strerror(errno)
              << "\n";
    return 1;
  }
  const fs::path dir = dir_template;
  const fs::path source = dir / "source.bin";
  const fs::path truth_path = dir / "truth.json";
  const fs::path report_path = dir / "report.json";

  int status = 0;
  DemoResult result;
  info.started_at = UtcTimestamp();
  result.kernel = KernelRelease();
  result.chunk = options.chunk;
  const Finished prepared =
      RunToCompletion({workload, "prepare", "--file", source.string(), "--bytes", options.bytes});
  if (prepared.wait_status != 0) {
    std::cerr << "zctrace: demo could not prepare its source file: " << prepared.err << "\n";
    status = 1;
  }
  std::cerr << "zctrace demo: " << DemoMethods().size() * options.sinks.size() << " traced transfers of "
            << options.bytes << " each...\n";
  for (const std::string& sink : options.sinks) {
    for (const MethodLine& method : DemoMethods()) {
      if (status != 0)
        break;
      const Finished run = RunToCompletion({SelfPath().string(),
                                            "-q",
                                            "--json",
                                            report_path.string(),
                                            "--",
                                            workload,
                                            "run",
                                            "--method",
                                            std::string(method.method),
                                            "--sink",
                                            sink,
                                            "--file",
                                            source.string(),
                                            "--bytes",
                                            options.bytes,
                                            "--chunk",
                                            options.chunk,
                                            "--dir",
                                            dir.string(),
                                            "--report",
                                            truth_path.string()});
      DemoRow row;
      row.method = std::string(method.method);
      row.sink = sink;
      if (WIFSIGNALED(run.wait_status) ||
          (WIFEXITED(run.wait_status) && WEXITSTATUS(run.wait_status) >= 128)) {
        status = 130;  // interrupted: stop, clean up, report what ran
        break;
      }
      if (WIFEXITED(run.wait_status) && WEXITSTATUS(run.wait_status) == 2) {
        row.note = "n/a: " + WhyRefused(run.err);
      } else if (run.wait_status != 0) {
        row.note = "failed: " + FailureReason(run.err);
        row.failed = true;
      } else {
        try {
          row = ComputeDemoRow(row.method, sink, ReadJson(truth_path), ReadJson(report_path));
          result.bytes = row.bytes;
        } catch (const std::exception& e) {
          row.note = std::string("unreadable result: ") + e.what();
          row.failed = true;
        }
      }
      result.rows.push_back(row);
    }
  }
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  info.ended_at = UtcTimestamp();
  result.run = info;

  if (!json_to_stdout)
    RenderDemoText(result, std::cout);
  const nlohmann::json j = DemoToJson(result);
  if (json_to_stdout)
    std::cout << JsonText(j, 2) << "\n";
  if (json_file.is_open() && !json_file.Replace(JsonText(j, 2) + "\n", &error)) {
    std::cerr << "zctrace: writing --json " << *options.json_path << " failed: " << error << "\n";
    status = 1;
  }
  // a failed run is never a result: the rows say why, the exit status says that they failed
  if (const size_t failed = FailedRows(result); failed > 0) {
    std::cerr << "zctrace demo: " << failed << " of " << result.rows.size()
              << " transfers failed (see their rows)\n";
    if (status == 0)
      status = 1;
  }
  return status;
}

}  // namespace zctrace
