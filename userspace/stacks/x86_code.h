// Recognizing x86-64 machine code the symbolizer relies on: a prologue that sets up a frame pointer, and
// the indirect call an address follows (a return address). Byte patterns, not a disassembler.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace zctrace {

// How many bytes of a function's start PrologueSetsUpFramePointer looks at.
constexpr size_t kPrologueBytes = 32;
// The longest indirect call EndsWithIndirectCall recognizes: REX, ff, ModRM, SIB, disp32.
constexpr size_t kLongestIndirectCall = 8;

// Whether a function's first bytes set up a frame pointer: `push %rbp` and then `mov %rsp,%rbp` (either
// encoding). Compilers schedule body instructions between the two (push %rbp; xor %eax,%eax; mov %rsp,%rbp)
// and shrink-wrap the prologue after an early return's test (test %rcx,%rcx; je ...; push %rbp; ...);
// mov %rsp,%rbp sets up a frame pointer and little else.
bool PrologueSetsUpFramePointer(const std::vector<uint8_t>& prologue);

// Whether bytes[0..length) end with exactly one call through a register or memory (ff /2): with an
// optional REX of 41 (or 42/43 with a SIB byte), register, [reg], [reg+disp8/32], SIB forms, disp32 with
// no base, and RIP-relative (without REX).
bool EndsWithIndirectCall(const uint8_t* bytes, size_t length);

}  // namespace zctrace
