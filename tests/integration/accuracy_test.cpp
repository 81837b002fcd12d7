// Accuracy: for every transfer method × sink, zctrace's per-path counts equal the reference
// workload's own ground truth exactly, its CPU-copied bytes equal the model's copies × bytes (or the
// kernel's measured skb copies), and its mode switches are two per syscall.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <tuple>

#include "harness.h"

namespace zctrace::testing {
namespace {

using nlohmann::json;

constexpr const char* kSourceBytes = "16M";
constexpr uint64_t kSourceSize = 16ull << 20;
constexpr int kRepetitions = 2;

struct Case {
  std::string method;
  std::string sink;
  std::string source = "file";
  bool cold = false;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.method << " " << c.source << "->" << c.sink << (c.cold ? " (cold)" : "");
}

std::string CaseName(const ::testing::TestParamInfo<std::tuple<Case, int>>& info) {
  const Case& c = std::get<0>(info.param);
  std::string name = c.method + "_" + c.sink + "_" + c.source + (c.cold ? "_cold" : "") + "_run" +
                     std::to_string(std::get<1>(info.param));
  for (char& ch : name) {
    if (!isalnum(static_cast<unsigned char>(ch)))
      ch = '_';
  }
  return name;
}

using PathKey = std::tuple<std::string, std::string, std::string>;  // syscall, source, sink
struct Counts {
  uint64_t calls = 0, bytes = 0, errors = 0;
  bool operator==(const Counts& o) const {
    return calls == o.calls && bytes == o.bytes && errors == o.errors;
  }
};
using PathCounts = std::map<PathKey, Counts>;

std::string Describe(const PathCounts& counts) {
  std::string s;
  for (const auto& [key, c] : counts) {
    s += "  " + std::get<0>(key) + " " + std::get<1>(key) + "->" + std::get<2>(key) + ": calls " +
         std::to_string(c.calls) + " bytes " + std::to_string(c.bytes) + " errors " +
         std::to_string(c.errors) + "\n";
  }
  return s;
}

class Accuracy : public ::testing::TestWithParam<std::tuple<Case, int>> {
 protected:
  static std::string source_path_;

  static void SetUpTestSuite() {
    if (!IsRoot())
      return;
    source_path_ = TempPath("source.bin");
    const RunResult r =
        RunProgram({WorkloadBin(), "prepare", "--file", source_path_, "--bytes", kSourceBytes});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    if (!source_path_.empty())
      unlink(source_path_.c_str());
  }
};
std::string Accuracy::source_path_;

// Whether this kernel splices from /dev/zero. It has no splice_read there on 6.1 (Debian 12), where
// sendfile and splice from it fail with EINVAL; 6.18 copies with copy_splice_read (copy-model.md).
bool KernelSplicesFromDevZero() {
  const int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
  int p[2];
  if (zero < 0 || pipe2(p, O_CLOEXEC) != 0)
    return true;  // cannot tell: let the test run and say what fails
  const bool refused = sendfile(p[1], zero, nullptr, 4096) < 0 && errno == EINVAL;
  close(zero);
  close(p[0]);
  close(p[1]);
  return !refused;
}

TEST_P(Accuracy, ZctraceMatchesGroundTruthExactly) {
  REQUIRE_ROOT();
  const Case& c = std::get<0>(GetParam());
  if (c.source == "zero" && (c.method == "sendfile" || c.method == "splice") && !KernelSplicesFromDevZero())
    GTEST_SKIP()
        << "this kernel cannot splice from /dev/zero (sendfile: EINVAL; no splice_read there on 6.1)";
  const std::string report_path = TempPath("workload.json");
  std::vector<std::string> args = {"--",   WorkloadBin(), "run",        "--method", c.method,   "--sink",
                                   c.sink, "--bytes",     kSourceBytes, "--report", report_path};
  if (c.source == "file") {
    args.insert(args.end(), {"--file", source_path_});
  } else {
    args.insert(args.end(), {"--source", c.source});
  }
  if (c.cold)
    args.push_back("--cold");
  const Traced traced = RunTraced(args);
  ASSERT_EQ(traced.run.exit_code, 0) << traced.run.err;

  std::ifstream in(report_path);
  ASSERT_TRUE(in) << "the workload wrote no ground truth";
  json truth;
  in >> truth;
  struct stat st {};
  stat(report_path.c_str(), &st);
  unlink(report_path.c_str());
  ASSERT_EQ(truth.at("bytes_transferred").get<uint64_t>(), kSourceSize);

  const json& report = traced.report;
  ASSERT_EQ(report.at("processes").size(), truth.at("processes").size())
      << "zctrace saw other processes than the workload's:\n"
      << report.dump(1);
  for (const json& expected_process : truth.at("processes")) {
    const json* actual = nullptr;
    for (const json& p : report.at("processes")) {
      if (p.at("pid") == expected_process.at("pid"))
        actual = &p;
    }
    ASSERT_NE(actual, nullptr) << "zctrace missed pid " << expected_process.at("pid");

    PathCounts expected, got;
    for (const json& p : expected_process.at("paths")) {
      Counts& e = expected[{p.at("syscall"), p.at("source"), p.at("sink")}];
      e.calls += p.at("calls").get<uint64_t>();
      e.bytes += p.at("bytes").get<uint64_t>();
      e.errors += p.at("errors").get<uint64_t>();
    }
    if (expected_process.at("role") == "sender") {  // the one report write the document cannot list
      Counts& e = expected[{"write", "user", truth.at("report_write").at("sink")}];
      e.calls += 1;
      e.bytes += static_cast<uint64_t>(st.st_size);
    }
    uint64_t data_calls = 0;
    for (const json& p : actual->at("paths")) {
      // the C library's own anonymous mappings are not the workload's doing (it records none)
      if (p.at("source").at("kind") == "anon")
        continue;
      // faults on file-backed memory the process did not mmap itself (its executable, mapped by
      // execve) form an mmap path with faults but no calls: not a syscall of the ground truth
      const uint64_t faults = p.at("page_faults").at("total");
      EXPECT_EQ(p.at("mode_switches").at("total").get<uint64_t>(),
                2 * (p.at("calls").get<uint64_t>() + faults));
      if (p.at("calls") == 0 && faults > 0)
        continue;
      Counts& g = got[{p.at("method"), p.at("source").at("kind"), p.at("sink").at("kind")}];
      g.calls += p.at("calls").get<uint64_t>();
      g.bytes += p.at("bytes").get<uint64_t>();
      g.errors += p.at("errors").get<uint64_t>();
      if (p.at("method").get<std::string>().rfind("io_uring_", 0) != 0)
        data_calls += p.at("calls").get<uint64_t>();

      // CPU copies: the kernel's measured skb copies, or the model's copies × bytes
      const json& cpu = p.at("copies").at("cpu");
      const uint64_t bytes = p.at("bytes");
      if (cpu.at("basis") == "measured" && report.at("cpu_copy_mode") == "precise") {
        // precise mode (a kernel that allows fentry): the copy functions' own count must agree with
        // the model wherever the model claims to know the path
        EXPECT_EQ(cpu.at("bytes").get<uint64_t>(), cpu.at("per_byte").get<uint64_t>() * bytes)
            << "measured CPU copies disagree with the model: " << p.dump();
      } else if (cpu.at("basis") == "measured") {
        EXPECT_EQ(cpu.at("bytes").get<uint64_t>(), bytes) << p.dump();
      } else {
        EXPECT_EQ(cpu.at("bytes").get<uint64_t>(), cpu.at("per_byte").get<uint64_t>() * bytes) << p.dump();
      }
      EXPECT_TRUE(p.at("in_model").get<bool>()) << "unmodelled path " << p.dump();

      // MSG_ZEROCOPY: what the kernel told the workload decides whether the pages were copied
      if (p.at("source").at("kind") == "user" && p.at("sink").at("kind") == "tcp" &&
          (c.method == "msg-zerocopy" || p.at("method") == "io_uring_send_zc")) {
        const bool copied = truth.at("kernel").at("zerocopy_copied").get<bool>();
        EXPECT_EQ(cpu.at("per_byte").get<int>(), copied ? 1 : 0) << p.dump();
      }
    }
    EXPECT_EQ(got, expected) << "pid " << expected_process.at("pid") << " (" << expected_process.at("role")
                             << ")\nzctrace:\n"
                             << Describe(got) << "ground truth:\n"
                             << Describe(expected);
    // two mode switches per syscall; the workload made at least its data syscalls
    const json& switches = actual->at("mode_switches");
    EXPECT_EQ(switches.at("syscalls").get<uint64_t>(), 2 * actual->at("syscall_count").get<uint64_t>());
    EXPECT_GE(actual->at("syscall_count").get<uint64_t>(), data_calls);
    EXPECT_EQ(switches.at("total").get<uint64_t>(),
              switches.at("syscalls").get<uint64_t>() + switches.at("page_faults").get<uint64_t>());
  }
}

std::vector<Case> AllCases() {
  const std::vector<std::string> sinks = {"tcp", "unix", "file", "pipe", "null"};
  std::vector<Case> cases;
  for (const char* method : {"read-write", "readv-writev", "pread-pwrite", "mmap-write", "sendfile", "splice",
                             "vmsplice", "tee", "o-direct", "io-uring"}) {
    for (const std::string& sink : sinks)
      cases.push_back({method, sink});
  }
  cases.push_back({"copy-file-range", "file"});
  cases.push_back({"msg-zerocopy", "tcp"});
  cases.push_back({"read-write", "tcp", "zero"});
  cases.push_back({"sendfile", "pipe", "zero"});
  cases.push_back({"read-write", "tcp", "file", true});
  cases.push_back({"sendfile", "tcp", "file", true});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(EveryMethodAndSink, Accuracy,
                         ::testing::Combine(::testing::ValuesIn(AllCases()),
                                            ::testing::Range(1, kRepetitions + 1)),
                         CaseName);

}  // namespace
}  // namespace zctrace::testing
