// Runs zctrace (and other programs) as subprocesses and parses what they print, for the integration
// tests that load the real BPF programs.
#pragma once

#include <sys/types.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace zctrace::testing {

struct RunResult {
  int exit_code = -1;  // shell-style: 128 + signal when killed
  std::string out;
  std::string err;
};

struct RunOptions {
  std::optional<unsigned> as_uid;  // drop to this uid (and gid) before exec
  double timeout_s = 120;          // killed (SIGKILL) past this: a hang is a failure, not a stuck suite
};

RunResult RunProgram(const std::vector<std::string>& argv, const RunOptions& options = {});

// zctrace --json FILE -q ARGS...: the parsed report (or a test failure when there is none).
struct Traced {
  RunResult run;
  nlohmann::json report;
};
Traced RunTraced(const std::vector<std::string>& zctrace_args);

std::string ZctraceBin();
std::string WorkloadBin();
std::string TempPath(const std::string& name);  // unique per test process

// The process in a report with this comm (first one), or null json.
const nlohmann::json* FindProcess(const nlohmann::json& report, const std::string& comm);
// Sum of a path's field over all processes' paths matching method/source/sink.
uint64_t PathField(const nlohmann::json& process, const std::string& method, const std::string& source,
                   const std::string& sink, const std::string& field);

bool IsRoot();

// A loopback TCP port nobody listens on right now (the kernel picks it).
int FreeLoopbackPort();
// Starts a program in the background, its stdout and stderr to `out_path` ("/dev/null" for none).
pid_t SpawnProgram(const std::vector<std::string>& argv, const std::string& out_path = "/dev/null");
// Its exit status (128 + signal when killed), waiting at most `seconds`: then SIGKILL, and -1.
int ReapProgram(pid_t pid, double seconds);

// While it lives, the zctraces the test starts have the kernel's verifier refuse PROGRAM (the tracer's
// ZCTRACE_TEST_REJECT hook), to see how a failed load is reported.
class ForcedRefusal {
 public:
  explicit ForcedRefusal(const std::string& program);
  ~ForcedRefusal();
  ForcedRefusal(const ForcedRefusal&) = delete;
  ForcedRefusal& operator=(const ForcedRefusal&) = delete;
};

// The absolute path of a program found in PATH, or "" when there is none (the 6.1 guest of
// scripts/test-vm.sh has busybox, but no ip or curl of its own).
std::string FindProgram(const std::string& name);

// zctrace's programs in the kernel (bpftool's listing of the kernel's own): loaded or attached, they show.
int CountZctracePrograms();
// The count once it has come down to `target` or stopped falling within a few seconds.
int SettledZctracePrograms(int target);
// True once more zctrace programs are in the kernel than `before`: a zctrace started meanwhile has loaded.
// Tests wait for this instead of assuming a fixed head start: loading takes 0.7 s on the host, seconds
// under an emulated CPU (the 6.1 guest of scripts/test-vm.sh).
bool WaitForAttach(int before, double seconds);
// True once `pid` is in a zctrace's table of traced processes (its `traced` map, read with bpftool): a
// `zctrace -p PID` started meanwhile has loaded, attached and taken the process on.
// `ignored_maps` (TracedMapIds() taken before starting it) leaves out the maps of zctraces that were there
// before, which the kernel may free a moment after they exit.
bool WaitUntilTraced(pid_t pid, double seconds, const std::set<int>& ignored_maps = {});
std::set<int> TracedMapIds();

}  // namespace zctrace::testing

// Integration tests load BPF: without root they cannot run, and say so.
#define REQUIRE_ROOT()                                   \
  do {                                                   \
    if (!::zctrace::testing::IsRoot())                   \
      GTEST_SKIP() << "needs root to load BPF programs"; \
  } while (0)
