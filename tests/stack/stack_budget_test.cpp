// The stack budget: every program zctrace loads fits the verifier's 512 bytes along its deepest call
// chain with 64 bytes to spare, counted from the object itself (bpf_stack.h), so that a kernel that is
// lenient (a private stack for tracing programs) cannot hide a chain that another kernel refuses.
#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <vector>

#include "bpf_stack.h"

namespace zctrace::stack {
namespace {

// The verifier's 512 bytes, less room for the next feature, in 16-byte frames (the JIT's rounding since
// Linux 6.7); in 32-byte frames (6.1's rounding, and the interpreter's) the chain must still fit the 512.
constexpr uint32_t kBudget = 448;
constexpr uint32_t kVerifierLimit = 512;

const ProgramStack* Find(const Analysis& analysis, const std::string& name) {
  for (const ProgramStack& p : analysis.programs)
    if (p.program == name)
      return &p;
  return nullptr;
}

TEST(StackBudget, Rounding) {
  EXPECT_EQ(RoundJit(0), 0u);
  EXPECT_EQ(RoundJit(1), 16u);
  EXPECT_EQ(RoundJit(200), 208u);
  EXPECT_EQ(RoundInterpreter(0), 32u);
  EXPECT_EQ(RoundInterpreter(200), 224u);
  EXPECT_EQ(RoundInterpreter(224), 224u);
}

// The probe's chains are known by construction; the kernel here refuses too_deep with "combined stack
// size of 4 calls is 624" (the verifier test checks that against the running kernel).
TEST(StackBudget, ProbeChainsAreCountedAsTheVerifierCounts) {
  Analysis analysis = AnalyzeObject(STACK_PROBE_OBJECT);
  const ProgramStack* too_deep = Find(analysis, "too_deep");
  ASSERT_NE(too_deep, nullptr);
  EXPECT_EQ(Describe(*too_deep),
            "too_deep: too_deep 0 -> first 200 -> second 200 -> third 200 = 624 B in 16-byte frames, "
            "704 B in 32-byte frames");
  EXPECT_GT(too_deep->combined16, kBudget);
  EXPECT_GT(too_deep->combined32, kVerifierLimit);

  // a global function and a bpf_loop callback are frames of the chain too
  const ProgramStack* fits = Find(analysis, "fits");
  ASSERT_NE(fits, nullptr);
  ASSERT_EQ(fits->chain.size(), 3u);
  EXPECT_EQ(fits->chain[1].name, "probe_global");
  EXPECT_EQ(fits->chain[2].name, "add_one");
  EXPECT_EQ(fits->chain[2].depth, 40u);
  EXPECT_EQ(fits->combined16, RoundJit(fits->chain[0].depth) + RoundJit(fits->chain[1].depth) + 48u);
  EXPECT_LE(fits->combined16, kBudget);
}

TEST(StackBudget, EveryZctraceProgramFitsWithRoomToSpare) {
  Analysis analysis = AnalyzeObject(ZCTRACE_BPF_OBJECT);
  // the programs the hot path and the device side run: the analysis must have found them
  for (const char* name : {"on_sys_exit", "on_sys_exit_compat", "on_skb_copy", "on_net_xmit",
                           "on_page_fault_user", "on_block_bio_queue", "dump_threads"})
    EXPECT_NE(Find(analysis, name), nullptr) << name;
  uint32_t worst16 = 0, worst32 = 0;
  for (const ProgramStack& p : analysis.programs) {
    std::cout << Describe(p) << "\n";
    EXPECT_LE(p.combined16, kBudget) << Describe(p);
    EXPECT_LE(p.combined32, kVerifierLimit) << Describe(p);
    worst16 = std::max(worst16, p.combined16);
    worst32 = std::max(worst32, p.combined32);
  }
  std::cout << "worst chain: " << worst16 << " B in 16-byte frames (budget " << kBudget << "), " << worst32
            << " B in 32-byte frames (limit " << kVerifierLimit << ")\n";
}

TEST(StackBudget, NotABpfObjectIsAnError) {
  EXPECT_THROW(AnalyzeObject("/proc/self/exe"), std::runtime_error);
  EXPECT_THROW(AnalyzeObject("/nonexistent/zctrace.bpf.o"), std::runtime_error);
}

}  // namespace
}  // namespace zctrace::stack
