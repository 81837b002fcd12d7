// Robustness: many children and threads counted exactly, PID reuse, signals, SIGPIPE, load.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "harness.h"

namespace zctrace::testing {
namespace {

using nlohmann::json;

std::string Spawner() {
  return SPAWNER_BIN;
}

// Processes in a report, a folded entry (exited processes summed by name) standing for its many.
uint64_t ProcessCount(const json& report) {
  uint64_t n = 0;
  for (const json& p : report.at("processes"))
    n += std::max<uint64_t>(1, p.at("folded_processes").get<uint64_t>());
  return n;
}

uint64_t Sum(const json& report, const std::string& method, const std::string& sink,
             const std::string& field) {
  uint64_t total = 0;
  for (const json& p : report.at("processes"))
    total += PathField(p, method, "user", sink, field);
  return total;
}

TEST(Robustness, AThousandShortLivedChildrenAreAllCounted) {
  REQUIRE_ROOT();
  const Traced t = RunTraced({"--", Spawner(), "children", "1000", "10", "1024"});
  ASSERT_EQ(t.run.exit_code, 0) << t.run.err;
  EXPECT_EQ(Sum(t.report, "write", "null", "calls"), 10000u);
  EXPECT_EQ(Sum(t.report, "write", "null", "bytes"), 10240000u);
  EXPECT_EQ(ProcessCount(t.report), 1001u);  // the parent and every child, all exited
  for (const json& p : t.report.at("processes"))
    EXPECT_TRUE(p.at("exited").get<bool>());
  EXPECT_TRUE(t.report.at("warnings").empty()) << t.report.at("warnings");
  std::cout << "[ figures  ] 1000 children: writes " << Sum(t.report, "write", "null", "calls") << ", bytes "
            << Sum(t.report, "write", "null", "bytes") << "\n";
}

TEST(Robustness, SixteenThreadsAreOneProcessWithExactTotals) {
  REQUIRE_ROOT();
  const Traced t = RunTraced({"--", Spawner(), "threads", "16", "1000", "4096"});
  ASSERT_EQ(t.run.exit_code, 0) << t.run.err;
  ASSERT_EQ(t.report.at("processes").size(), 1u);
  EXPECT_EQ(Sum(t.report, "write", "null", "calls"), 16000u);
  EXPECT_EQ(Sum(t.report, "write", "null", "bytes"), 16000u * 4096);
}

// A thread other than the leader execs: the kernel gives it the leader's id (de_thread), so the record it
// kept under its own id would be found no more. What it wrote before the exec and what the new program
// writes after must both be in the report.
TEST(Robustness, AThreadThatExecsKeepsWhatItCountedBefore) {
  REQUIRE_ROOT();
  const Traced t = RunTraced({"--", Spawner(), "exec-thread", "1", "1000", "4096"});
  ASSERT_EQ(t.run.exit_code, 0) << t.run.err;
  ASSERT_EQ(t.report.at("processes").size(), 1u);
  EXPECT_EQ(Sum(t.report, "write", "null", "calls"), 2000u);
  EXPECT_EQ(Sum(t.report, "write", "null", "bytes"), 2000u * 4096);
}

// A thread's repeats on one fd are counted from what it remembers of its last call there (the memo): when
// another file takes the fd number (dup2), the bytes must go to the new file's flows, for read+write and
// for sendfile alike.
TEST(Robustness, AFileSwitchedUnderAnFdIsNotTakenForTheOldOne) {
  REQUIRE_ROOT();
  constexpr uint64_t kChunks = 64, kSize = 4096;
  const std::string a = TempPath("switch-a"), b = TempPath("switch-b");
  for (const std::string& path : {a, b})
    std::ofstream(path, std::ios::binary) << std::string(kChunks * kSize, 'x');
  const Traced t =
      RunTraced({"--", Spawner(), "fd-switch", a, b, std::to_string(kChunks), std::to_string(kSize)});
  unlink(a.c_str());
  unlink(b.c_str());
  ASSERT_EQ(t.run.exit_code, 0) << t.run.err;
  std::map<std::string, uint64_t> bytes;  // "method from-file" → bytes
  for (const json& f : t.report.at("processes")[0].at("flows")) {
    const std::string name = f.at("source").at("name");
    const std::string from = name.find("switch-a") != std::string::npos   ? "a"
                             : name.find("switch-b") != std::string::npos ? "b"
                                                                          : name;
    bytes[f.at("method").get<std::string>() + " " + from] += f.at("bytes").get<uint64_t>();
  }
  EXPECT_EQ(bytes["read+write a"], kChunks * kSize);
  EXPECT_EQ(bytes["read+write b"], kChunks * kSize);
  EXPECT_EQ(bytes["sendfile a"], kChunks * kSize);
  EXPECT_EQ(bytes["sendfile b"], kChunks * kSize);
}

// Faults on file memory count on the file's mmap path, faults on anonymous memory on none. Each thread
// remembers the VMAs it faulted in; when a mapping goes and anonymous memory takes its addresses, the
// faults there must not be taken for the file's.
TEST(Robustness, FaultsInMemoryThatReplacedAFileMappingAreNotTheFiles) {
  REQUIRE_ROOT();
  constexpr uint64_t kPages = 4096;
  const std::string file = TempPath("remap");
  std::ofstream(file, std::ios::binary) << std::string(kPages * 4096, 'x');
  const Traced t = RunTraced({"--", Spawner(), "remap", file, std::to_string(kPages)});
  unlink(file.c_str());
  ASSERT_EQ(t.run.exit_code, 0) << t.run.err;
  const json& proc = t.report.at("processes")[0];
  uint64_t file_faults = 0;
  for (const json& p : proc.at("paths")) {
    if (p.at("method") == "mmap" && p.at("source").at("kind") == "file")
      file_faults += p.at("page_faults").at("total").get<uint64_t>();
  }
  EXPECT_GE(proc.at("page_faults").at("total").get<uint64_t>(), kPages);  // the anonymous pages, one each
  // the file's own faults, read in user mode: a fault maps up to a folio's pages (2 MiB: 512)
  EXPECT_GE(file_faults, kPages / 512) << "the faults in the file's mapping were not charged to it";
  EXPECT_LT(file_faults, kPages / 4) << "faults in the anonymous memory were charged to the file";
}

// Every syscall is two mode switches, data or not: threads that only wait, poll or ask (here getppid) count
// their syscalls in their own records too, and those must reach the report when the threads exit.
TEST(Robustness, SyscallsOfThreadsThatMoveNoDataAreCounted) {
  REQUIRE_ROOT();
  const Traced t = RunTraced({"--", Spawner(), "idle-threads", "8", "1000", "0"});
  ASSERT_EQ(t.run.exit_code, 0) << t.run.err;
  ASSERT_EQ(t.report.at("processes").size(), 1u);
  const uint64_t syscalls = t.report.at("processes")[0].at("syscall_count");
  EXPECT_GE(syscalls, 8000u);
  EXPECT_LT(syscalls, 8000u + 1000u);  // the program's start-up and thread creation: a few hundred
}

// Threads count in their own records; a trace that ends while they are alive reads them through the
// task iterator (exited threads come through another way, tested above).
// Tracing ends (SIGINT, as Ctrl-C) once every thread has written and while all are still alive: their
// counts are read from live threads' records. Ended by the spawner's word, not a fixed duration: under load
// the wait for the tracer could outlast one.
TEST(Robustness, ThreadsStillAliveAtTheEndAreCountedExactly) {
  REQUIRE_ROOT();
  const std::string go = TempPath("lingering.go"), done = go + ".done",
                    json_path = TempPath("lingering.json");
  const pid_t target = fork();
  if (target == 0) {
    execl(Spawner().c_str(), "spawner", "lingering", "8", "1000", "4096", go.c_str(), nullptr);
    _exit(127);
  }
  const pid_t zc = SpawnProgram({ZctraceBin(), "-q", "--json", json_path, "-p", std::to_string(target)});
  const bool traced = WaitUntilTraced(target, 120);
  std::ofstream(go) << "go\n";
  for (int waited = 0; waited < 1200 && access(done.c_str(), F_OK) != 0; ++waited)
    usleep(50 * 1000);
  const bool written = access(done.c_str(), F_OK) == 0;
  kill(zc, SIGINT);
  const int rc = ReapProgram(zc, 60);
  kill(target, SIGKILL);
  waitpid(target, nullptr, 0);
  std::ifstream in(json_path);
  const json report = json::parse(in, nullptr, false);
  for (const std::string& f : {go, done, json_path})
    unlink(f.c_str());
  ASSERT_TRUE(traced) << "zctrace never took the process on";
  ASSERT_TRUE(written) << "the threads did not finish their writes";
  ASSERT_EQ(rc, 0);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(Sum(report, "write", "null", "calls"), 8000u);
  EXPECT_EQ(Sum(report, "write", "null", "bytes"), 8000u * 4096);
}

// The next fork of this machine gets `pid`: ns_last_pid is the kernel's own knob for this (CRIU uses it).
bool NextPidWillBe(pid_t pid) {
  std::ofstream last("/proc/sys/kernel/ns_last_pid");
  last << (pid - 1);
  return static_cast<bool>(last);
}

TEST(Robustness, AReusedPidIsNotMixedUp) {
  REQUIRE_ROOT();
  // the target: writes 100 KiB once zctrace traces it (it waits for a file the test creates then), then
  // exits while zctrace keeps tracing
  const std::string go = TempPath("reuse.go");
  const std::string script =
      "while [ ! -e " + go +
      " ]; do sleep 0.1; done; /bin/dd if=/dev/zero of=/dev/null bs=1k count=100 status=none";
  const pid_t target = fork();
  if (target == 0) {
    execl("/bin/sh", "sh", "-c", script.c_str(), nullptr);
    _exit(127);
  }
  // a second target keeps the trace going after the first has exited
  const pid_t keeper = fork();
  if (keeper == 0) {
    execl("/bin/sleep", "sleep", "6", nullptr);
    _exit(127);
  }
  const std::string json_path = TempPath("reuse.json");
  const pid_t zc = fork();
  if (zc == 0) {
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    execl(ZctraceBin().c_str(), "zctrace", "-q", "--json", json_path.c_str(), "-p",
          std::to_string(target).c_str(), "-d", "6", nullptr);
    _exit(127);
  }
  EXPECT_TRUE(WaitUntilTraced(target, 120)) << "zctrace did not take the target on";
  std::ofstream(go) << "go\n";
  int status = 0;
  waitpid(target, &status, 0);  // the target is gone; its PID is free
  // an unrelated process now takes the same PID and writes something else
  if (NextPidWillBe(target)) {
    const pid_t impostor = fork();
    if (impostor == 0) {
      execl("/bin/dd", "dd", "if=/dev/zero", "of=/dev/null", "bs=7k", "count=77", nullptr);
      _exit(127);
    }
    waitpid(impostor, &status, 0);
    EXPECT_EQ(impostor, target) << "could not reuse the PID; the test still checks the counts";
  }
  waitpid(keeper, &status, 0);
  waitpid(zc, &status, 0);
  std::ifstream in(json_path);
  ASSERT_TRUE(in);
  json report;
  in >> report;
  unlink(json_path.c_str());
  unlink(go.c_str());
  EXPECT_EQ(Sum(report, "write", "null", "bytes"), 100u * 1024) << report.dump(1);  // the target's only
  const json* first = nullptr;
  for (const json& p : report.at("processes")) {
    if (p.at("pid") == target)
      first = &p;
  }
  ASSERT_NE(first, nullptr);
  EXPECT_TRUE(first->at("exited").get<bool>());
  for (const json& p : report.at("processes")) {
    EXPECT_NE(PathField(p, "read", "zero", "user", "bytes"), 77u * 7 * 1024) << "the impostor was counted";
  }
}

TEST(Robustness, SigpipeOnStdoutDoesNotLoseTheJsonFile) {
  REQUIRE_ROOT();
  const std::string json_path = TempPath("sigpipe.json");
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  close(pipefd[0]);  // nobody reads: every write to stdout gets EPIPE/SIGPIPE
  const pid_t zc = fork();
  if (zc == 0) {
    dup2(pipefd[1], 1);
    execl(ZctraceBin().c_str(), "zctrace", "--json", json_path.c_str(), "--", "/bin/dd", "if=/dev/zero",
          "of=/dev/null", "count=10", nullptr);
    _exit(127);
  }
  close(pipefd[1]);
  int status = 0;
  waitpid(zc, &status, 0);
  std::ifstream in(json_path);
  ASSERT_TRUE(in) << "the JSON file was lost";
  json report;
  in >> report;
  unlink(json_path.c_str());
  EXPECT_EQ(Sum(report, "write", "null", "calls"), 10u);
}

TEST(Robustness, ASecondCtrlCExitsAtOnce) {
  REQUIRE_ROOT();
  const int before = SettledZctracePrograms(0);
  const pid_t zc = fork();
  if (zc == 0) {
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    // a command that ignores SIGINT, so that zctrace's first Ctrl-C waits for it
    execl(ZctraceBin().c_str(), "zctrace", "--", "/bin/sh", "-c", "trap '' INT; sleep 30", nullptr);
    _exit(127);
  }
  // both Ctrl-Cs after the load: signals sent while zctrace still loads wait, blocked, and merge into one
  EXPECT_TRUE(WaitForAttach(before, 120)) << "zctrace did not attach";
  kill(zc, SIGINT);
  usleep(200 * 1000);
  kill(zc, SIGINT);
  int status = 0;
  const auto start = std::chrono::steady_clock::now();
  waitpid(zc, &status, 0);
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // "at once": long before the 30 s the command would take (an emulated CPU needs a few seconds to
  // read and report)
  EXPECT_LT(waited, 10.0) << "the second Ctrl-C did not end zctrace at once";
  system("pkill -f 'trap .. INT; sleep 30'");
}

TEST(Robustness, ShortSoakAtAMillionSyscallsPerSecond) {
  REQUIRE_ROOT();
  // dd moves 4 KiB per call: 4M syscalls in a few seconds; every one counted, nothing dropped
  const Traced t = RunTraced({"--", "/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=4k", "count=2M"});
  ASSERT_EQ(t.run.exit_code, 0);
  const json* dd = FindProcess(t.report, "dd");
  ASSERT_NE(dd, nullptr);
  EXPECT_EQ(PathField(*dd, "read", "zero", "user", "calls"), 2u << 20);
  EXPECT_EQ(PathField(*dd, "write", "user", "null", "calls"), 2u << 20);
  EXPECT_EQ(PathField(*dd, "write", "user", "null", "bytes"), 8ull << 30);
  EXPECT_TRUE(t.report.at("warnings").empty()) << t.report.at("warnings");
  const double rate =
      static_cast<double>(dd->at("syscall_count").get<uint64_t>()) / dd->at("duration_s").get<double>();
  std::cout << "[ figures  ] soak: " << dd->at("syscall_count") << " syscalls at "
            << static_cast<uint64_t>(rate) << " per second, traced\n";
}

TEST(Robustness, HostileInputIsAOneLineError) {
  const std::vector<std::vector<std::string>> bad = {{"-d", "99999999999999", "--", "/bin/true"},
                                                     {"-d", "-0", "--", "/bin/true"},
                                                     {"-d", "inf", "--", "/bin/true"},
                                                     {"-p", "1,2,,3"},
                                                     {"-p", ""},
                                                     {"-p", "0x10"},
                                                     {"-p", "１２"},
                                                     {"--max-paths", "-1", "-p", "1"},
                                                     {"--json"},
                                                     {"-p"},
                                                     {"--", ""},
                                                     {std::string("\xff\xfe", 2)}};
  for (const auto& args : bad) {
    std::vector<std::string> argv = {ZctraceBin()};
    argv.insert(argv.end(), args.begin(), args.end());
    const RunResult r = RunProgram(argv);
    EXPECT_NE(r.exit_code, 0) << args[0];
    EXPECT_LT(r.exit_code, 128) << "crashed on " << args[0];
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace zctrace::testing

namespace zctrace::testing {
namespace {

TEST(RobustnessPrivileges, TheCommandCanRunAsAnotherUser) {
  REQUIRE_ROOT();
  const Traced t = RunTraced({"-u", "nobody", "--", "/usr/bin/id", "-u"});
  EXPECT_EQ(t.run.exit_code, 0) << t.run.err;
  EXPECT_EQ(t.run.out, "65534\n");  // the command did not inherit root
  EXPECT_NE(FindProcess(t.report, "id"), nullptr);
  const RunResult bad = RunProgram({ZctraceBin(), "-u", "no-such-user-here", "--", "/bin/true"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("no such user"), std::string::npos);
}

}  // namespace
}  // namespace zctrace::testing

namespace zctrace::testing {
namespace {

TEST(Robustness, AFullProcessTableIsACountedWarning) {
  REQUIRE_ROOT();
  // ten children alive at once: the parent and 3 of them fit
  const Traced t = RunTraced({"--max-processes", "4", "--", Spawner(), "together", "10", "1", "1"});
  ASSERT_EQ(t.run.exit_code, 0) << t.run.err;
  EXPECT_EQ(ProcessCount(t.report), 4u);
  EXPECT_EQ(t.report.at("lost_events"), 7);
  ASSERT_FALSE(t.report.at("warnings").empty());
  EXPECT_NE(t.report.at("warnings")[0].get<std::string>().find("raise --max-processes"), std::string::npos);
}

}  // namespace
}  // namespace zctrace::testing
