// What zctrace is pointed at: a thread id, a kernel thread and a zombie given to -p are named for what they
// are; --cgroup holds exactly the processes in the cgroup (those moved in after attaching too) and --comm
// those of the name, each held to the bytes the workload moved.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "harness.h"

namespace zctrace::testing {
namespace {

using nlohmann::json;

constexpr uint64_t kChunk = 4096;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The workload reading N chunks of /dev/zero into /dev/null: N reads of kChunk bytes, ground truth.
std::string WorkloadCommand(const std::string& binary, uint64_t chunks) {
  return binary + " run --method read-write --source zero --sink null --bytes " +
         std::to_string(chunks * kChunk) + " --chunk " + std::to_string(kChunk) + " --report /dev/null";
}

// Reads of /dev/zero by the processes of a report, by pid.
std::map<uint32_t, uint64_t> ZeroReadBytes(const json& report) {
  std::map<uint32_t, uint64_t> bytes;
  for (const json& p : report.at("processes"))
    if (uint64_t b = PathField(p, "read", "zero", "user", "bytes"))
      bytes[p.at("pid").get<uint32_t>()] = b;
  return bytes;
}

TEST(Targets, AThreadIdIsTracedAsItsProcess) {
  REQUIRE_ROOT();
  std::atomic<pid_t> tid{0};
  std::atomic<bool> go{false}, done{false};
  constexpr int kWrites = 1000;
  std::thread writer([&] {
    tid = static_cast<pid_t>(syscall(SYS_gettid));
    while (!go)
      usleep(10 * 1000);
    const int null = open("/dev/null", O_WRONLY);
    char byte = 0;
    for (int i = 0; i < kWrites; ++i)
      EXPECT_EQ(write(null, &byte, 1), 1);
    close(null);
    done = true;
  });
  while (!tid)
    usleep(1000);
  const std::string json_path = TempPath("thread.json"), log = TempPath("thread.log");
  const std::set<int> earlier_maps = TracedMapIds();
  const pid_t zc = SpawnProgram(
      {ZctraceBin(), "-q", "--no-children", "-p", std::to_string(tid.load()), "-d", "3", "--json", json_path},
      log);
  EXPECT_TRUE(WaitUntilTraced(getpid(), 30, earlier_maps)) << ReadText(log);
  go = true;
  writer.join();
  EXPECT_EQ(ReapProgram(zc, 30), 0) << ReadText(log);
  const std::string err = ReadText(log);
  EXPECT_NE(err.find("is a thread of process " + std::to_string(getpid())), std::string::npos) << err;
  const json report = json::parse(ReadText(json_path), nullptr, false);
  unlink(json_path.c_str());
  unlink(log.c_str());
  ASSERT_FALSE(report.is_discarded()) << err;
  ASSERT_EQ(report.at("processes").size(), 1u) << report.dump(1);
  const json& me = report.at("processes")[0];
  EXPECT_EQ(me.at("pid").get<pid_t>(), getpid());
  EXPECT_EQ(PathField(me, "write", "user", "null", "calls"), static_cast<uint64_t>(kWrites)) << me.dump(1);
}

TEST(Targets, AKernelThreadAndAZombieAreRefused) {
  REQUIRE_ROOT();
  const RunResult kernel = RunProgram({ZctraceBin(), "-p", "2", "-d", "1"});
  EXPECT_EQ(kernel.exit_code, 1);
  EXPECT_NE(kernel.err.find("is a kernel thread"), std::string::npos) << kernel.err;
  EXPECT_EQ(std::count(kernel.err.begin(), kernel.err.end(), '\n'), 1) << kernel.err;

  const pid_t child = fork();
  if (child == 0)
    _exit(0);
  for (int i = 0;
       i < 200 && ReadText("/proc/" + std::to_string(child) + "/stat").find(") Z ") == std::string::npos; ++i)
    usleep(10 * 1000);
  const RunResult zombie = RunProgram({ZctraceBin(), "-p", std::to_string(child), "-d", "1"});
  const RunResult check = RunProgram({ZctraceBin(), "check", "-p", std::to_string(child), "-d", "1"});
  waitpid(child, nullptr, 0);
  EXPECT_EQ(zombie.exit_code, 1);
  EXPECT_NE(zombie.err.find("is a zombie"), std::string::npos) << zombie.err;
  EXPECT_EQ(std::count(zombie.err.begin(), zombie.err.end(), '\n'), 1) << zombie.err;
  EXPECT_EQ(check.exit_code, 2) << check.err;  // check: 2 for "could not look", never 0 or 1
}

// A cgroup of the test's own under the cgroup2 mount; removed (its processes gone) at the end.
class TestCgroup {
 public:
  TestCgroup() {
    std::ifstream mounts("/proc/self/mountinfo");
    std::string line;
    while (std::getline(mounts, line)) {
      const size_t dash = line.find(" - cgroup2 ");
      char root[4096], point[4096];
      if (dash != std::string::npos &&
          sscanf(line.c_str(), "%*u %*u %*u:%*u %4095s %4095s", root, point) == 2 &&
          std::string(root) == "/") {
        mount_ = point;
        break;
      }
    }
    if (mount_.empty())
      return;
    relative_ = "/zctrace-test-" + std::to_string(getpid());
    if (mkdir(Dir().c_str(), 0755) != 0)
      mount_.clear();
  }
  ~TestCgroup() {
    if (!mount_.empty())
      rmdir(Dir().c_str());
  }
  bool Made() const { return !mount_.empty(); }
  std::string Dir() const { return mount_ + relative_; }
  const std::string& Relative() const { return relative_; }

 private:
  std::string mount_, relative_;
};

TEST(Targets, CgroupHoldsExactlyItsProcessesIncludingLaterOnes) {
  REQUIRE_ROOT();
  TestCgroup cgroup;
  if (!cgroup.Made())
    GTEST_SKIP() << "no cgroup2 file system is mounted here, or a cgroup cannot be made in it";
  const std::string fifo = TempPath("cgroup.fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0) << strerror(errno);
  const std::string enter = "echo $$ > " + cgroup.Dir() + "/cgroup.procs && ";
  // already in the cgroup when zctrace starts: it waits, then runs the workload twice, in children
  const pid_t before =
      SpawnProgram({"/bin/sh", "-c",
                    enter + "read go < " + fifo + " && " + WorkloadCommand(WorkloadBin(), 100) + " && " +
                        WorkloadCommand(WorkloadBin(), 50)});
  for (int i = 0;
       i < 300 &&
       ReadText("/proc/" + std::to_string(before) + "/cgroup").find(cgroup.Relative()) == std::string::npos;
       ++i)
    usleep(10 * 1000);
  const std::string json_path = TempPath("cgroup.json"), log = TempPath("cgroup.log");
  const std::set<int> earlier_maps = TracedMapIds();
  const pid_t zc =
      SpawnProgram({ZctraceBin(), "-q", "--cgroup", cgroup.Relative(), "-d", "5", "--json", json_path}, log);
  EXPECT_TRUE(WaitUntilTraced(before, 30, earlier_maps)) << ReadText(log);
  // moved in after zctrace attached, then the workload (exec: same pid)
  const pid_t later = SpawnProgram({"/bin/sh", "-c", enter + "exec " + WorkloadCommand(WorkloadBin(), 200)});
  // never in it
  const pid_t outside = SpawnProgram({"/bin/sh", "-c", "exec " + WorkloadCommand(WorkloadBin(), 300)});
  std::ofstream(fifo) << "go\n";
  EXPECT_EQ(ReapProgram(before, 30), 0);
  EXPECT_EQ(ReapProgram(later, 30), 0);
  EXPECT_EQ(ReapProgram(outside, 30), 0);
  EXPECT_EQ(ReapProgram(zc, 30), 0) << ReadText(log);
  unlink(fifo.c_str());
  const json report = json::parse(ReadText(json_path), nullptr, false);
  unlink(json_path.c_str());
  ASSERT_FALSE(report.is_discarded()) << ReadText(log);
  unlink(log.c_str());

  const std::map<uint32_t, uint64_t> reads = ZeroReadBytes(report);
  EXPECT_EQ(reads.count(static_cast<uint32_t>(outside)), 0u)
      << "a process outside the cgroup: " << report.dump(1);
  ASSERT_EQ(reads.count(static_cast<uint32_t>(later)), 1u) << report.dump(1);
  EXPECT_EQ(reads.at(static_cast<uint32_t>(later)), 200 * kChunk);
  uint64_t total = 0;
  for (const auto& [pid, bytes] : reads)
    total += bytes;
  EXPECT_EQ(total, (100 + 50 + 200) * kChunk) << report.dump(1);
  for (const json& p : report.at("processes")) {
    if (p.at("pid").get<pid_t>() == later || p.at("pid").get<pid_t>() == before) {
      EXPECT_EQ(p.at("cgroup"), cgroup.Relative()) << p.dump(1);
    }
  }
}

TEST(Targets, CommTracesEveryProcessOfTheName) {
  REQUIRE_ROOT();
  // a name of the test's own: the workload through a link, whose name becomes the process's
  const std::string dir = TempPath("comm");
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  const std::string named = dir + "/zc-named-wl";
  ASSERT_EQ(symlink(WorkloadBin().c_str(), named.c_str()), 0) << strerror(errno);
  // of that name before zctrace starts (prctl), waiting; then it runs the workload
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  const std::string command = WorkloadCommand(named, 100);
  const pid_t before = fork();
  if (before == 0) {
    prctl(PR_SET_NAME, "zc-named-wl");
    close(go[1]);
    char byte;
    if (read(go[0], &byte, 1) != 1)
      _exit(3);
    execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(go[0]);
  const pid_t other = SpawnProgram({"/bin/sh", "-c", "exec " + WorkloadCommand(WorkloadBin(), 300)});
  const std::string json_path = dir + "/report.json", log = dir + "/zctrace.log";
  const std::set<int> earlier_maps = TracedMapIds();
  const pid_t zc =
      SpawnProgram({ZctraceBin(), "-q", "--comm", "zc-named-wl", "-d", "4", "--json", json_path}, log);
  EXPECT_TRUE(WaitUntilTraced(before, 30, earlier_maps)) << ReadText(log);
  const pid_t after = SpawnProgram({"/bin/sh", "-c", "exec " + WorkloadCommand(named, 200)});
  EXPECT_EQ(write(go[1], "g", 1), 1);
  close(go[1]);
  EXPECT_EQ(ReapProgram(before, 30), 0);
  EXPECT_EQ(ReapProgram(other, 30), 0);
  EXPECT_EQ(ReapProgram(after, 30), 0);
  EXPECT_EQ(ReapProgram(zc, 30), 0) << ReadText(log);
  const json report = json::parse(ReadText(json_path), nullptr, false);
  RunProgram({"/bin/rm", "-rf", dir});
  ASSERT_FALSE(report.is_discarded());
  const std::map<uint32_t, uint64_t> reads = ZeroReadBytes(report);
  EXPECT_EQ(reads.count(static_cast<uint32_t>(other)), 0u) << report.dump(1);
  ASSERT_EQ(reads.count(static_cast<uint32_t>(after)), 1u) << report.dump(1);
  EXPECT_EQ(reads.at(static_cast<uint32_t>(after)), 200 * kChunk);
  ASSERT_EQ(reads.count(static_cast<uint32_t>(before)), 1u) << report.dump(1);
  EXPECT_EQ(reads.at(static_cast<uint32_t>(before)), 100 * kChunk);
}

// A service that forks for days, in small: 10,000 children one after another in a cgroup, traced in a table
// of 64 processes. Exited processes hand their entries back, the oldest are folded by name, and every write
// is counted; no child finds the table full.
TEST(Targets, AForkLoopRunsInASmallTableWithNothingLost) {
  REQUIRE_ROOT();
  TestCgroup cgroup;
  if (!cgroup.Made())
    GTEST_SKIP() << "no cgroup2 file system is mounted here, or a cgroup cannot be made in it";
  constexpr uint64_t kChildren = 10000, kWrites = 2, kSize = 100;
  const std::string json_path = TempPath("forks.json"), log = TempPath("forks.log"),
                    fifo = TempPath("forks.fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0) << strerror(errno);
  // in the cgroup first, waiting: once zctrace traces it, it is attached and has scanned the cgroup
  const pid_t loop = SpawnProgram({"/bin/sh", "-c",
                                   "echo $$ > " + cgroup.Dir() + "/cgroup.procs && read go < " + fifo +
                                       " && exec " + SPAWNER_BIN + " fork-loop " + std::to_string(kChildren) +
                                       " " + std::to_string(kWrites) + " " + std::to_string(kSize)});
  for (int i = 0; i < 300 && ReadText("/proc/" + std::to_string(loop) + "/cgroup").find(cgroup.Relative()) ==
                                 std::string::npos;
       ++i)
    usleep(10 * 1000);
  const std::set<int> earlier_maps = TracedMapIds();
  // -d: a bound in case the test fails before its SIGINT
  const pid_t zc = SpawnProgram({ZctraceBin(), "-q", "--cgroup", cgroup.Relative(), "--max-processes", "64",
                                 "-d", "240", "--json", json_path},
                                log);
  EXPECT_TRUE(WaitUntilTraced(loop, 30, earlier_maps)) << ReadText(log);
  std::ofstream(fifo) << "go\n";
  EXPECT_EQ(ReapProgram(loop, 300), 0);
  unlink(fifo.c_str());
  kill(zc, SIGINT);
  EXPECT_EQ(ReapProgram(zc, 60), 0) << ReadText(log);
  const json report = json::parse(ReadText(json_path), nullptr, false);
  unlink(json_path.c_str());
  ASSERT_FALSE(report.is_discarded()) << ReadText(log);
  unlink(log.c_str());

  EXPECT_EQ(report.at("lost_events"), 0) << report.at("warnings").dump(1);
  uint64_t writes = 0, bytes = 0, children = 0, folded = 0;
  for (const json& p : report.at("processes")) {
    writes += PathField(p, "write", "user", "null", "calls");
    bytes += PathField(p, "write", "user", "null", "bytes");
    const uint64_t n = p.at("folded_processes").get<uint64_t>();
    folded += n;
    if (p.at("comm") == "spawner")
      children += n ? n : 1;
  }
  EXPECT_EQ(writes, kChildren * kWrites);
  EXPECT_EQ(bytes, kChildren * kWrites * kSize);
  EXPECT_EQ(children, kChildren + 1);  // and the loop itself
  EXPECT_GT(folded, 0u);
  EXPECT_LT(report.at("processes").size(), 600u);  // 512 kept one by one, the rest folded
}

}  // namespace
}  // namespace zctrace::testing
