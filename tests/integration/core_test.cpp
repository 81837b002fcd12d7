// zctrace against real processes on the running kernel: exact counts, children, -p, exits, bad input.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <thread>

#include "harness.h"

namespace zctrace::testing {
namespace {

uint64_t SumOverProcesses(const nlohmann::json& report, const std::string& method, const std::string& source,
                          const std::string& sink, const std::string& field) {
  uint64_t sum = 0;
  for (const auto& p : report.at("processes"))
    sum += PathField(p, method, source, sink, field);
  return sum;
}

TEST(Core, DdFromZeroToNullIsCountedExactly) {
  REQUIRE_ROOT();
  const Traced t = RunTraced({"--", "/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=64k", "count=1000"});
  ASSERT_EQ(t.run.exit_code, 0) << t.run.err;
  const nlohmann::json* dd = FindProcess(t.report, "dd");
  ASSERT_NE(dd, nullptr) << t.report.dump(1);
  EXPECT_EQ(PathField(*dd, "read", "zero", "user", "calls"), 1000u);
  EXPECT_EQ(PathField(*dd, "read", "zero", "user", "bytes"), 65536000u);
  EXPECT_EQ(PathField(*dd, "write", "user", "null", "calls"), 1000u);
  EXPECT_EQ(PathField(*dd, "write", "user", "null", "bytes"), 65536000u);
  EXPECT_EQ(PathField(*dd, "write", "user", "null", "copies.cpu.bytes"), 0u);
  EXPECT_EQ(PathField(*dd, "read", "zero", "user", "copies.cpu.bytes"), 65536000u);
  // every syscall is two mode switches; dd made at least its 2000 transfers
  EXPECT_GE(dd->at("mode_switches").at("syscalls").get<uint64_t>(), 4000u);
  EXPECT_EQ(dd->at("mode_switches").at("total").get<uint64_t>(),
            dd->at("mode_switches").at("syscalls").get<uint64_t>() +
                dd->at("mode_switches").at("page_faults").get<uint64_t>());
  EXPECT_TRUE(dd->at("exited").get<bool>());
  EXPECT_EQ(t.report.at("schema"), "zctrace/2");
  EXPECT_TRUE(t.report.at("capabilities").at("syscalls").at("available").get<bool>());
}

TEST(Core, ChildrenOfTheCommandAreFollowed) {
  REQUIRE_ROOT();
  const Traced t = RunTraced({"--", "/bin/sh", "-c",
                              "/bin/dd if=/dev/zero of=/dev/null bs=4k count=100 2>/dev/null; "
                              "/bin/dd if=/dev/zero of=/dev/null bs=4k count=50 2>/dev/null; exit 3"});
  EXPECT_EQ(t.run.exit_code, 3);  // zctrace exits with the command's status
  EXPECT_EQ(SumOverProcesses(t.report, "read", "zero", "user", "calls"), 150u);
  EXPECT_EQ(SumOverProcesses(t.report, "read", "zero", "user", "bytes"), 150u * 4096);
  int dd_processes = 0;
  for (const auto& p : t.report.at("processes")) {
    dd_processes += p.at("comm") == "dd";
    if (p.at("comm") == "sh") {
      EXPECT_EQ(p.at("exit_code"), 3) << p.dump();  // the code, not the wait status (768)
    }
  }
  EXPECT_EQ(dd_processes, 2);
}

TEST(Core, AProcessKilledBySignalSaysWhich) {
  REQUIRE_ROOT();
  const Traced t = RunTraced({"--", "/bin/sh", "-c", "kill -KILL $$"});
  EXPECT_EQ(t.run.exit_code, 128 + SIGKILL);
  ASSERT_EQ(t.report.at("processes").size(), 1u) << t.report.dump(1);
  const auto& p = t.report.at("processes")[0];
  EXPECT_EQ(p.at("exit_signal"), "SIGKILL") << p.dump();
  EXPECT_TRUE(p.at("exit_code").is_null()) << p.dump();
}

TEST(Core, NoFollowLeavesChildrenOut) {
  REQUIRE_ROOT();
  const Traced t = RunTraced({"--no-follow", "--", "/bin/sh", "-c",
                              "/bin/dd if=/dev/zero of=/dev/null bs=4k count=100 2>/dev/null; true"});
  EXPECT_EQ(t.run.exit_code, 0);
  EXPECT_EQ(SumOverProcesses(t.report, "read", "zero", "user", "calls"), 0u);
  ASSERT_EQ(t.report.at("processes").size(), 1u);
}

TEST(Core, PidModeTracesARunningProcessUntilItExits) {
  REQUIRE_ROOT();
  // The target moves its bytes once zctrace traces it: it waits for a file that the test creates then
  // (a fixed head start is not enough where loading is slow, e.g. under an emulated CPU).
  const std::string go = TempPath("pid-mode.go");
  const std::string script =
      "while [ ! -e " + go +
      " ]; do sleep 0.1; done; /bin/dd if=/dev/zero of=/dev/null bs=4k count=300 2>/dev/null";
  const pid_t target = fork();
  if (target == 0) {
    execl("/bin/sh", "sh", "-c", script.c_str(), nullptr);
    _exit(127);
  }
  std::thread release([&] {
    WaitUntilTraced(target, 120);  // on failure the target still has to end; the report shows the rest
    std::ofstream(go) << "go\n";
  });
  const Traced t = RunTraced({"-p", std::to_string(target), "-d", "60"});
  release.join();
  unlink(go.c_str());
  int status = 0;
  waitpid(target, &status, 0);
  EXPECT_EQ(t.run.exit_code, 0) << t.run.err;
  EXPECT_EQ(SumOverProcesses(t.report, "read", "zero", "user", "calls"), 300u);
  ASSERT_FALSE(t.report.at("processes").empty());
  EXPECT_EQ(t.report.at("processes")[0].at("pid"), target);
  EXPECT_LT(t.report.at("duration_s").get<double>(), 30.0);  // ended with the target, not the deadline
}

TEST(Core, DurationEndsATrace) {
  REQUIRE_ROOT();
  const Traced t = RunTraced({"-d", "0.5", "--", "/bin/sleep", "30"});
  EXPECT_EQ(t.run.exit_code, 128 + SIGTERM);  // the command was stopped at the deadline
  EXPECT_LT(t.report.at("duration_s").get<double>(), 10.0);
  EXPECT_FALSE(t.report.at("warnings").empty());
}

pid_t DeadPid() {
  const pid_t pid = fork();
  if (pid == 0)
    _exit(0);
  int status;
  waitpid(pid, &status, 0);
  return pid;
}

void ExpectOneLineError(const RunResult& r, int code, const std::string& needle) {
  EXPECT_EQ(r.exit_code, code) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Aborted"), std::string::npos);
}

TEST(CoreBadInput, DeadPid) {
  REQUIRE_ROOT();
  ExpectOneLineError(RunProgram({ZctraceBin(), "-p", std::to_string(DeadPid())}), 1, "no process with PID");
}

TEST(CoreBadInput, NotRoot) {
  REQUIRE_ROOT();  // to become someone else
  RunOptions nobody;
  nobody.as_uid = 65534;
  ExpectOneLineError(RunProgram({ZctraceBin(), "--", "/bin/true"}, nobody), 1, "needs root");
}

TEST(CoreBadInput, CommandThatDoesNotExist) {
  REQUIRE_ROOT();
  ExpectOneLineError(RunProgram({ZctraceBin(), "--", "/nonexistent/command"}), 127, "cannot run");
}

TEST(CoreBadInput, UnwritableJsonPath) {
  REQUIRE_ROOT();
  ExpectOneLineError(RunProgram({ZctraceBin(), "--json", "/nonexistent/dir/report.json", "--", "/bin/true"}),
                     1, "cannot write --json");
}

TEST(CoreBadInput, AnOlderKernelThanSupportedIsOneLineAndTwoWithNothingTouched) {
  // ZCTRACE_TEST_KERNEL_RELEASE pretends uname's release (a test hook): the check comes before anything
  // is loaded, run or truncated, in every mode
  const std::string json_path = TempPath("old-kernel.json");
  { std::ofstream(json_path) << "before"; }
  for (const std::string& mode : {std::string(""), std::string("check "), std::string("demo ")}) {
    const std::string args = mode == "demo " ? "demo" : mode + "--json " + json_path + " -- /bin/true";
    const RunResult r = RunProgram(
        {"/bin/sh", "-c", "ZCTRACE_TEST_KERNEL_RELEASE=5.15.0-91-generic exec " + ZctraceBin() + " " + args});
    ExpectOneLineError(r, 2, "this kernel (5.15.0-91-generic) is older than Linux 6.1");
  }
  std::ifstream in(json_path);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "before");
  unlink(json_path.c_str());
}

TEST(CoreBadInput, UsageErrorsNeedNoRoot) {
  ExpectOneLineError(RunProgram({ZctraceBin(), "-p", "1", "-a"}), 2, "not several");
  ExpectOneLineError(RunProgram({ZctraceBin(), "-p", "1", "-u", "nobody", "--", "/bin/true"}), 2, "-u runs");
  ExpectOneLineError(RunProgram({ZctraceBin()}), 2, "what should be traced");
  ExpectOneLineError(RunProgram({ZctraceBin(), "-p", "1,x"}), 2, "invalid PID");
  ExpectOneLineError(RunProgram({ZctraceBin(), "-p", "1", "-d", "-3"}), 2, "-d");
}

TEST(CoreSignals, SigtermDetachesCleanlyAndReports) {
  REQUIRE_ROOT();
  // Programs of earlier tests may still be on their way out (freed after an RCU grace period).
  const int links_before = SettledZctracePrograms(0);
  const std::string json_path = TempPath("sigterm.json");
  const pid_t zc = fork();
  if (zc == 0) {
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    execl(ZctraceBin().c_str(), "zctrace", "-q", "--json", json_path.c_str(), "--", "/bin/sleep", "30",
          nullptr);
    _exit(127);
  }
  EXPECT_TRUE(WaitForAttach(links_before, 120)) << "zctrace did not attach";  // attached while running
  kill(zc, SIGTERM);
  int status = 0;
  waitpid(zc, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);  // the command was stopped by the forwarded SIGTERM
  std::ifstream in(json_path);
  ASSERT_TRUE(in) << "no report after SIGTERM";
  nlohmann::json report;
  in >> report;
  EXPECT_NE(FindProcess(report, "sleep"), nullptr);
  EXPECT_EQ(SettledZctracePrograms(links_before), links_before);  // nothing left behind
  unlink(json_path.c_str());
}

}  // namespace
}  // namespace zctrace::testing

namespace zctrace::testing {
namespace {

// A run that fails once the file is checked (here: a program the kernel refuses, forced) leaves an existing
// --json file as it was, and makes none where there was none: it is written only with a report.
TEST(Core, AFailedRunLeavesTheJsonFileAsItWas) {
  REQUIRE_ROOT();
  const std::string kept = TempPath("kept.json"), absent = TempPath("absent.json");
  std::ofstream(kept) << "yesterday's report\n";
  ForcedRefusal refuse("on_fork");
  EXPECT_EQ(RunProgram({ZctraceBin(), "--json", kept, "--", "/bin/true"}).exit_code, 1);
  EXPECT_EQ(RunProgram({ZctraceBin(), "--json", absent, "--", "/bin/true"}).exit_code, 1);
  std::ifstream in(kept);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "yesterday's report");
  EXPECT_NE(access(absent.c_str(), F_OK), 0) << "an empty file was left behind";
  unlink(kept.c_str());
  unlink(absent.c_str());
}

// Precise mode where the kernel allows fentry (the 6.1 guest), a clear refusal where it does not
// (this machine's 6.18): either way the report or the error says which.
TEST(Core, PreciseModeRunsOrSaysWhyNot) {
  REQUIRE_ROOT();
  const RunResult r = RunProgram({ZctraceBin(), "--mode", "precise", "--json", "-", "-q", "--", "/bin/dd",
                                  "if=/dev/zero", "of=/dev/null", "bs=64k", "count=16", "status=none"});
  if (r.exit_code == 0) {
    const nlohmann::json report = nlohmann::json::parse(r.out);
    EXPECT_EQ(report.at("cpu_copy_mode"), "precise");
    EXPECT_TRUE(report.at("capabilities").at("cpu_copy_functions").at("available").get<bool>());
    // /dev/zero reads: iov_iter_zero fills the buffer, measured; 16 × 64 KiB
    uint64_t zero_read = 0;
    for (const auto& p : report.at("processes").at(0).at("paths")) {
      if (p.at("method") == "read" && p.at("source").at("kind") == "zero") {
        EXPECT_EQ(p.at("copies").at("cpu").at("basis"), "measured");
        zero_read += p.at("copies").at("cpu").at("bytes").get<uint64_t>();
      }
    }
    EXPECT_EQ(zero_read, 16u * 65536u);
  } else {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("--mode precise: "), std::string::npos) << r.err;
    // said before anything is attached: an attach that fails is a kernel zctrace did not see coming
    EXPECT_EQ(r.err.find("attaching to"), std::string::npos) << r.err;
  }
  const Traced model = RunTraced({"--mode", "model", "--", "/bin/true"});
  EXPECT_EQ(model.report.at("cpu_copy_mode"), "model");
  EXPECT_FALSE(model.report.at("capabilities").at("cpu_copy_functions").at("available").get<bool>());
}

}  // namespace
}  // namespace zctrace::testing

namespace zctrace::testing {
namespace {

// --self-cost: the report states what zctrace's BPF programs and zctrace itself cost, measured; without
// it, nothing (the statistics cost every BPF run on the machine two clock reads).
TEST(CoreSelfCost, TheReportSaysWhatTracingCost) {
  REQUIRE_ROOT();
  const Traced t =
      RunTraced({"--self-cost", "--", "/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=4k", "count=20000"});
  ASSERT_EQ(t.run.exit_code, 0) << t.run.err;
  const nlohmann::json& cost = t.report.at("self_cost");
  ASSERT_TRUE(cost.is_object()) << t.report.at("capabilities").dump(1);
  EXPECT_EQ(cost.at("basis"), "measured");
  // every syscall exit on the machine runs the hot path: at least dd's 40,000 data calls
  uint64_t hot_runs = 0;
  for (const nlohmann::json& p : cost.at("bpf").at("programs"))
    if (p.at("name") == "on_sys_exit" || p.at("name") == "on_sys_exit_compat")
      hot_runs = p.at("runs").get<uint64_t>();
  EXPECT_GE(hot_runs, 40000u) << cost.dump(1);
  EXPECT_GT(cost.at("bpf").at("run_time_ns").get<uint64_t>(), 0u);
  EXPECT_GE(cost.at("bpf").at("runs").get<uint64_t>(), hot_runs);
  EXPECT_GT(cost.at("collector_cpu_s").get<double>(), 0.0);
  EXPECT_TRUE(t.report.at("capabilities").at("self_cost").at("available").get<bool>());

  const Traced plain = RunTraced({"--", "/bin/true"});
  EXPECT_TRUE(plain.report.at("self_cost").is_null());
}

}  // namespace
}  // namespace zctrace::testing
