// bpf_stack.h — the BPF stack each program of a compiled object needs, counted the way the kernel's
// verifier counts it (check_max_stack_depth): every frame along a BPF-to-BPF call chain, each rounded
// up, summed, against 512 bytes. Read from the object's instructions, symbols and relocations alone, so
// the answer does not depend on what the running kernel lets through.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace zctrace::stack {

// One function of the object: an entry program (in its SEC section) or a subprogram (.text).
struct Function {
  std::string name;
  std::string section;
  bool entry = false;           // a program the kernel loads, not a subprogram it calls
  uint32_t depth = 0;           // bytes below the frame pointer (r10) the function touches or points at
  std::vector<size_t> callees;  // indices into Analysis::functions: calls and callbacks (bpf_loop)
};

struct Frame {
  std::string name;
  uint32_t depth = 0;
};

// The deepest chain from one entry program, with two roundings of each frame: 16 bytes (JIT, Linux 6.7
// and later) and 32 bytes of at least 1 (the interpreter, and every kernel before 6.7: Debian's 6.1).
struct ProgramStack {
  std::string program;
  std::string section;
  std::vector<Frame> chain;  // the entry first
  uint32_t combined16 = 0;
  uint32_t combined32 = 0;
  uint32_t worst() const { return combined32 > combined16 ? combined32 : combined16; }
};

struct Analysis {
  std::vector<Function> functions;
  std::vector<ProgramStack> programs;  // one per entry program, in the object's order
};

uint32_t RoundJit(uint32_t depth);          // round_up(depth, 16)
uint32_t RoundInterpreter(uint32_t depth);  // round_up(max(depth, 1), 32)

// Throws std::runtime_error when the file is not a BPF ELF object or a call cannot be resolved.
Analysis AnalyzeObject(const std::string& path);

// "on_sys_exit 272 -> track_flow 160 -> ... = 448 (16-byte frames), 480 (32-byte frames)"
std::string Describe(const ProgramStack& program);

}  // namespace zctrace::stack
