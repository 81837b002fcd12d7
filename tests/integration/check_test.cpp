// `zctrace check` as a CI pipeline runs it: exit 0 for a zero-copy server, 1 for a copying one.
#include <gtest/gtest.h>
#include <unistd.h>

#include "harness.h"

namespace zctrace::testing {
namespace {

class Check : public ::testing::Test {
 protected:
  static std::string source_;
  static void SetUpTestSuite() {
    if (!IsRoot())
      return;
    source_ = TempPath("check-source.bin");
    const RunResult r = RunProgram({WorkloadBin(), "prepare", "--file", source_, "--bytes", "8M"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    if (!source_.empty())
      unlink(source_.c_str());
  }
  RunResult CheckTransfer(const std::string& method, std::vector<std::string> check_args = {}) {
    std::vector<std::string> argv = {ZctraceBin(), "check"};
    argv.insert(argv.end(), check_args.begin(), check_args.end());
    argv.insert(argv.end(), {"--", WorkloadBin(), "run", "--method", method, "--sink", "tcp", "--file",
                             source_, "--bytes", "8M", "--report", "/dev/null"});
    return RunProgram(argv);
  }
};
std::string Check::source_;

TEST_F(Check, ReadWriteRelayFailsAndSaysWhy) {
  REQUIRE_ROOT();
  const RunResult r = CheckTransfer("read-write");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAIL"), std::string::npos);
  EXPECT_NE(r.out.find(source_), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sendfile would remove 2 CPU copies"), std::string::npos) << r.out;
}

TEST_F(Check, SendfilePasses) {
  REQUIRE_ROOT();
  const RunResult r = CheckTransfer("sendfile");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PASS"), std::string::npos);
}

TEST_F(Check, ExpectAndTheBarAsData) {
  REQUIRE_ROOT();
  RunResult r = CheckTransfer("mmap-write", {"--max-cpu-copies-per-byte", "1", "--json", "-"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json verdict = nlohmann::json::parse(r.out);
  EXPECT_EQ(verdict.at("verdict"), "pass");
  EXPECT_EQ(verdict.at("bulk_flows")[0].at("flow").at("method"), "mmap+write");
  r = CheckTransfer("sendfile", {"--expect", "splice"});
  EXPECT_EQ(r.exit_code, 1);
  r = CheckTransfer("splice", {"--expect", "splice"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

TEST_F(Check, ErrorsAreTwo) {
  REQUIRE_ROOT();
  EXPECT_EQ(RunProgram({ZctraceBin(), "check", "--", "/nonexistent/server"}).exit_code, 2);
  EXPECT_EQ(RunProgram({ZctraceBin(), "check", "--min-bytes", "x", "--", "/bin/true"}).exit_code, 2);
}

// A gate that could not look does not pass: programs the kernel refuses (forced here) are exit 2.
TEST_F(Check, ProgramsThatDoNotLoadAreTwoNotAPass) {
  REQUIRE_ROOT();
  ForcedRefusal refuse("on_fork");
  const RunResult r =
      RunProgram({ZctraceBin(), "check", "--", WorkloadBin(), "run", "--method", "sendfile", "--sink", "tcp",
                  "--file", source_, "--bytes", "1M", "--report", "/dev/null"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("zctrace: could not trace: the kernel's verifier rejected BPF program 'on_fork'"),
            std::string::npos)
      << r.err;
  // what the user can do, on a line of its own
  EXPECT_NE(r.err.find("\nzctrace: this build of zctrace does not load on kernel "), std::string::npos)
      << r.err;
  EXPECT_EQ(r.out.find("PASS"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace zctrace::testing
