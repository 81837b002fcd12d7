// `zctrace demo` end to end: the four-copy model's lines, measured on this kernel.
#include <gtest/gtest.h>

#include "harness.h"

namespace zctrace::testing {
namespace {

TEST(Demo, ShowsTheFourCopyModelOnThisKernel) {
  REQUIRE_ROOT();
  const RunResult r = RunProgram({ZctraceBin(), "demo", "--json", "-", "--bytes", "16M"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json demo = nlohmann::json::parse(r.out);
  EXPECT_EQ(demo.at("schema"), "zctrace-demo/2");
  auto cpu_per_byte = [&](const std::string& method, const std::string& sink) {
    for (const auto& row : demo.at("rows")) {
      if (row.at("method") == method && row.at("sink") == sink) {
        EXPECT_TRUE(row.at("ran").get<bool>()) << row.dump();
        return row.at("copies").at("cpu").at("per_byte").get<double>();
      }
    }
    ADD_FAILURE() << "no row " << method << " " << sink;
    return -1.0;
  };
  // the seed's table: read+write 2 CPU copies, mmap+write 1, sendfile and splice 0
  EXPECT_NEAR(cpu_per_byte("read-write", "tcp"), 2.0, 0.001);
  EXPECT_NEAR(cpu_per_byte("mmap-write", "tcp"), 1.0, 0.001);
  EXPECT_NEAR(cpu_per_byte("sendfile", "tcp"), 0.0, 0.001);
  EXPECT_NEAR(cpu_per_byte("splice", "tcp"), 0.0, 0.001);
  // into a file the destination page cache is written by the CPU, whatever the method
  EXPECT_NEAR(cpu_per_byte("sendfile", "file"), 1.0, 0.001);
  EXPECT_NEAR(cpu_per_byte("copy-file-range", "file"), 1.0, 0.001);
  int ran = 0;
  for (const auto& row : demo.at("rows"))
    ran += row.at("ran").get<bool>();
  EXPECT_EQ(ran, 22);  // 12 methods × 2 sinks, less copy-file-range → tcp and msg-zerocopy → file
}

TEST(Demo, TextTableNamesTheMethods) {
  REQUIRE_ROOT();
  const RunResult r = RunProgram({ZctraceBin(), "demo", "--bytes", "4M", "--sinks", "tcp"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* needle :
       {"four-copy model", "read-write", "mmap-write", "sendfile", "splice", "io-uring"}) {
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle << "\n" << r.out;
  }
}

// A failed run is never a result: with its hot-path program refused by the verifier (forced), every row
// says why and the demo exits non-zero, saying how many failed.
TEST(Demo, FailedRowsMakeItFail) {
  REQUIRE_ROOT();
  ForcedRefusal refuse("on_fork");
  const RunResult r = RunProgram({ZctraceBin(), "demo", "--bytes", "1M", "--sinks", "tcp"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("12 of 12 transfers failed"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("failed: zctrace: the kernel's verifier rejected BPF program 'on_fork'"),
            std::string::npos)
      << r.out;
}

TEST(Demo, BadSinkIsAUsageError) {
  const RunResult r = RunProgram({ZctraceBin(), "demo", "--sinks", "tcp,carrier-pigeon"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown sink"), std::string::npos);
}

}  // namespace
}  // namespace zctrace::testing
