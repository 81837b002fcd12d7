#include "x86_code.h"

namespace zctrace {
namespace {

// Whether bytes[0..length) is exactly one call through a register or memory (ff /2), in the forms
// EndsWithIndirectCall documents.
bool IsIndirectCall(const uint8_t* bytes, size_t length) {
  size_t at = 0;
  uint8_t rex = 0;
  if (bytes[0] == 0x41 || bytes[0] == 0x42 || bytes[0] == 0x43) {
    rex = bytes[0];
    at = 1;
  }
  if (at + 2 > length || bytes[at] != 0xff)
    return false;
  const uint8_t modrm = bytes[at + 1];
  at += 2;
  const unsigned mode = modrm >> 6, operation = (modrm >> 3) & 7, rm = modrm & 7;
  if (operation != 2)
    return false;
  const bool rex_base = (rex & 0x01) != 0, rex_index = (rex & 0x02) != 0;
  size_t displacement = mode == 1 ? 1 : mode == 2 ? 4 : 0;
  if (mode != 3 && rm == 4) {  // a SIB byte follows
    if (at + 1 > length)
      return false;
    const unsigned base = bytes[at] & 7;
    at += 1;
    if (mode == 0 && base == 5) {  // no base register: disp32 (and REX.B would mean nothing)
      if (rex_base)
        return false;
      displacement = 4;
    }
  } else {
    if (rex_index)
      return false;              // REX.X names an index register: only with a SIB byte
    if (mode == 0 && rm == 5) {  // RIP-relative
      if (rex != 0)
        return false;
      displacement = 4;
    }
  }
  return at + displacement == length;
}

}  // namespace

bool PrologueSetsUpFramePointer(const std::vector<uint8_t>& prologue) {
  bool pushed = false;
  for (size_t i = 0; i + 3 <= prologue.size(); ++i) {
    if (prologue[i] == 0x55)  // push %rbp
      pushed = true;
    else if (pushed && prologue[i] == 0x48 &&
             ((prologue[i + 1] == 0x89 && prologue[i + 2] == 0xe5) ||
              (prologue[i + 1] == 0x8b && prologue[i + 2] == 0xec)))
      return true;
  }
  return false;
}

bool EndsWithIndirectCall(const uint8_t* bytes, size_t length) {
  for (size_t call = 2; call <= length && call <= kLongestIndirectCall; ++call) {
    if (IsIndirectCall(bytes + length - call, call))
      return true;
  }
  return false;
}

}  // namespace zctrace
