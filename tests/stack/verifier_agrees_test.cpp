// The running kernel's verifier against bpf_stack.h: the probe's deep chain is refused (or, on a kernel
// that gives tracing programs a private stack, accepted) with exactly the frames and sum the analysis
// computes, and the verifier's own per-function depths (its statistics line) are the analysis's.
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "bpf_stack.h"

namespace zctrace::stack {
namespace {

int Quiet(enum libbpf_print_level, const char*, va_list) {
  return 0;
}

struct LoadResult {
  int error = 0;
  std::string log;
};

// Loads one program of the probe object (the others not), with the verifier's log at `level`.
LoadResult LoadOne(const std::string& program, uint32_t level) {
  static std::vector<char> buffer(1 << 20);
  libbpf_set_print(Quiet);
  LoadResult result;
  bpf_object* object = bpf_object__open_file(STACK_PROBE_OBJECT, nullptr);
  if (!object) {
    result.error = -errno;
    return result;
  }
  bpf_program* prog;
  bpf_object__for_each_program(prog, object) {
    bool wanted = program == bpf_program__name(prog);
    bpf_program__set_autoload(prog, wanted);
    if (wanted) {
      buffer[0] = 0;
      bpf_program__set_log_buf(prog, buffer.data(), buffer.size());
      bpf_program__set_log_level(prog, level);
    }
  }
  result.error = bpf_object__load(object);
  result.log = buffer.data();
  bpf_object__close(object);
  return result;
}

bool JitEnabled() {
  std::ifstream in("/proc/sys/net/core/bpf_jit_enable");
  int on = 0;
  return (in >> on) && on != 0;
}

// "stack depth 0+200+200+200" (log level 4): the verifier's depth of each function, in its order. Parsed
// by hand: std::regex trips GCC 12's -Wmaybe-uninitialized under the sanitizers.
std::vector<uint32_t> VerifierDepths(const std::string& log) {
  std::vector<uint32_t> depths;
  const std::string label = "stack depth ";
  size_t at = log.find(label);
  if (at == std::string::npos)
    return depths;
  at += label.size();
  while (at < log.size() && std::isdigit(static_cast<unsigned char>(log[at]))) {
    size_t end = at;
    while (end < log.size() && std::isdigit(static_cast<unsigned char>(log[end])))
      ++end;
    depths.push_back(static_cast<uint32_t>(std::stoul(log.substr(at, end - at))));
    at = end < log.size() && log[end] == '+' ? end + 1 : log.size();
  }
  return depths;
}

// "combined stack size of 4 calls is 624": the frames and bytes of the chain the verifier refused.
bool CombinedStack(const std::string& log, unsigned* calls, unsigned* bytes) {
  const size_t at = log.find("combined stack size of ");
  return at != std::string::npos &&
         std::sscanf(log.c_str() + at, "combined stack size of %u calls is %u", calls, bytes) == 2;
}

class VerifierAgrees : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0)
      GTEST_SKIP() << "loading BPF programs needs root (CI runs as root)";
    analysis_ = AnalyzeObject(STACK_PROBE_OBJECT);
  }
  const ProgramStack& Program(const std::string& name) {
    for (const ProgramStack& p : analysis_.programs)
      if (p.program == name)
        return p;
    throw std::runtime_error("no program " + name);
  }
  Analysis analysis_;
};

TEST_F(VerifierAgrees, OnTheDeepChain) {
  const ProgramStack& expected = Program("too_deep");
  LoadResult result = LoadOne("too_deep", 4);
  unsigned calls = 0, bytes = 0;
  if (result.error != 0) {
    ASSERT_TRUE(CombinedStack(result.log, &calls, &bytes))
        << "refused for another reason:\n"
        << result.log.substr(result.log.size() > 2000 ? result.log.size() - 2000 : 0);
    EXPECT_EQ(calls, expected.chain.size());
    EXPECT_EQ(bytes, JitEnabled() ? expected.combined16 : expected.combined32);
  } else {
    // a kernel with private stacks for tracing programs: it loads, and its statistics still say depths
    std::cout << "this kernel accepts a " << expected.combined16
              << "-byte chain (private stack): comparing depths only\n";
  }
  std::vector<uint32_t> depths = VerifierDepths(result.log);
  std::vector<uint32_t> ours;
  for (const Frame& f : expected.chain)
    ours.push_back(f.depth);
  EXPECT_EQ(depths, ours) << result.log.substr(result.log.size() > 2000 ? result.log.size() - 2000 : 0);
}

TEST_F(VerifierAgrees, OnGlobalFunctionsAndCallbacks) {
  const ProgramStack& expected = Program("fits");
  LoadResult result = LoadOne("fits", 4);
  ASSERT_EQ(result.error, 0) << result.log.substr(result.log.size() > 2000 ? result.log.size() - 2000 : 0);
  std::vector<uint32_t> depths = VerifierDepths(result.log);
  std::vector<uint32_t> ours;
  for (const Frame& f : expected.chain)
    ours.push_back(f.depth);
  std::sort(depths.begin(), depths.end());
  std::sort(ours.begin(), ours.end());
  EXPECT_EQ(depths, ours) << result.log.substr(result.log.size() > 2000 ? result.log.size() - 2000 : 0);
}

}  // namespace
}  // namespace zctrace::stack
