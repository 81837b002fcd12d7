// An ELF file on disk, indexed to name the functions of user call stacks: a file offset (from a process's
// memory map) → its ELF virtual address → the function symbol that holds it. x86-64, 64-bit little-endian
// executables (PIE or not) and shared libraries. Names come from .symtab, else from a separate debug file's
// .symtab (Debian's -dbgsym packages), else from .dynsym.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct Elf;  // libelf's handle (<libelf.h>): only the indexing code in elf_file.cpp sees it

namespace zctrace {

struct ElfSymbol {
  std::string name;
  uint64_t start = 0;   // the symbol's ELF virtual address
  uint64_t offset = 0;  // of the looked-up address from start
};

class ElfFile {
 public:
  // Opens and indexes path: nullptr and *error (one line: "path: why") when it is not a readable ELF file.
  static std::unique_ptr<ElfFile> Open(const std::string& path, std::string* error);
  ~ElfFile();
  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;

  const std::string& path() const { return path_; }
  const std::string& build_id() const { return build_id_; }  // NT_GNU_BUILD_ID, lower-case hex; empty: none
  // Where the function names came from: ".symtab", ".dynsym", or the path of the separate debug file whose
  // .symtab was used; empty when the file has no function symbols at all.
  const std::string& symbols_from() const { return symbols_from_; }

  // The ELF virtual address a file offset is loaded at (through the PT_LOAD segment whose file range holds
  // it).
  std::optional<uint64_t> AddressOfOffset(uint64_t file_offset) const;

  // The function (STT_FUNC or STT_GNU_IFUNC symbol, defined, sized) that contains address; when several
  // sized ones do, the one that starts last. For an address in no sized symbol: the nearest preceding
  // function symbol if its size is 0 and no other symbol starts in between (nor its section ends).
  // Names are demangled. nullopt when none.
  std::optional<ElfSymbol> Symbolize(uint64_t address) const;

  // Up to n bytes of the file's contents at an ELF virtual address (from its PT_LOAD; fewer at the end of the
  // segment's file bytes; empty when unmapped).
  std::vector<uint8_t> Read(uint64_t address, size_t n) const;

  // Whether the function starting at function_start sets up a frame pointer: a push %rbp (55) and then
  // mov %rsp,%rbp (48 89 e5, or its other encoding 48 8b ec) in its first 32 bytes (compilers schedule
  // body instructions in between, and shrink-wrap the prologue after an early return's test).
  bool SetsUpFramePointer(uint64_t function_start) const;

  // Whether the bytes just before address, in an executable segment, end a call instruction: whether address
  // is a plausible return address. Accepted, ending exactly at address:
  //  - call rel32 (e8 + 4 bytes) whose target lies in an executable segment of this file (code calls other
  //    files through its PLT), which rules out most chance e8 bytes;
  //  - call through a register or memory, ff /2, with its ModRM, SIB and displacement bytes decoded:
  //    ff d0..d7 (register), ff 10..17 (base register, no displacement), ff 14 SIB, ff 15 disp32 (RIP),
  //    ff 50..57 disp8, ff 54 SIB disp8, ff 90..97 disp32, ff 94 SIB disp32, ff 14 SIB(no base) disp32;
  //    preceded by no prefix or by one REX prefix that names an extended register: 41 (base or register
  //    r8..r15), 42/43 (index r8..r15; SIB forms only). Not RIP-relative with REX, not other prefixes
  //    (notrack 3e, segment overrides, 66), not far calls (ff /3).
  bool FollowsCall(uint64_t address) const;

 private:
  struct Segment {  // a PT_LOAD
    uint64_t file_offset = 0;
    uint64_t file_size = 0;      // p_filesz
    uint64_t readable_size = 0;  // of file_size, the bytes the file really holds (it may be truncated)
    uint64_t address = 0;
    uint64_t memory_size = 0;
    bool executable = false;
  };
  struct Function {
    uint64_t start = 0;
    uint64_t size = 0;          // 0: unsized, it then extends to fallback_end
    uint64_t fallback_end = 0;  // for an unsized one: the next symbol's start or its section's end
    std::string name;           // as in the symbol table (mangled); without a symbol version suffix
  };

  ElfFile() = default;
  // Fills functions_ and symbols_from_ from the first source that has function symbols.
  void LoadSymbols(Elf* elf);
  // The segment whose file bytes hold address.
  const Segment* SegmentHolding(uint64_t address) const;
  bool IsExecutableAddress(uint64_t address) const;

  std::string path_;
  std::string build_id_;
  std::string symbols_from_;
  std::vector<Segment> segments_;
  std::vector<Function> functions_;  // sorted by start, one per start address
  std::vector<uint64_t> reach_;      // reach_[i]: the largest end of the sized functions_[0..i]
  const uint8_t* image_ = nullptr;   // the whole file, mapped read-only
  size_t image_size_ = 0;
};

}  // namespace zctrace
