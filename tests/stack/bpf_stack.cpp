// bpf_stack.cpp — see bpf_stack.h. The rules followed are the kernel's (kernel/bpf/verifier.c) and
// libbpf's (how it resolves a call to a subprogram when it links a program):
//  - a subprogram's stack depth is the deepest byte below r10 that it reaches, directly
//    (*(u64 *)(r10 - 8)) or through a pointer derived from r10 (r1 = r10; r1 += -64) that it hands on;
//  - check_max_stack_depth walks every BPF-to-BPF call (BPF_PSEUDO_CALL) and every synchronous callback
//    (a BPF_PSEUDO_FUNC address passed to bpf_loop and the like) and sums the rounded frames;
//  - a call's target: relocated against a symbol, sym.st_value / 8 + imm + 1 (imm is -1 for a global
//    function; relative to the section symbol for a static one); not relocated, relative to the call;
//    a callback's address (ld_imm64 relocated against code): (sym.st_value + imm) / 8.
#include "bpf_stack.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace zctrace::stack {
namespace {

constexpr uint8_t kCall = BPF_JMP | BPF_CALL;
constexpr uint8_t kLoadImm64 = BPF_LD | BPF_IMM | BPF_DW;
constexpr uint8_t kFramePointer = BPF_REG_10;

struct Symbol {
  std::string name;
  unsigned type = 0;
  unsigned bind = 0;
  size_t section = 0;
  uint64_t value = 0;
  uint64_t size = 0;
};

struct Section {
  std::string name;
  bool code = false;
  std::vector<bpf_insn> insns;
  std::map<uint64_t, size_t> relocations;  // byte offset of an instruction -> symbol index
};

class ElfFile {
 public:
  explicit ElfFile(const std::string& path) : path_(path) {
    if (elf_version(EV_CURRENT) == EV_NONE)
      throw std::runtime_error("libelf: " + std::string(elf_errmsg(-1)));
    fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0)
      throw std::runtime_error("cannot open " + path);
    elf_ = elf_begin(fd_, ELF_C_READ, nullptr);
    if (!elf_)
      Fail("not an ELF file");
  }
  ~ElfFile() {
    if (elf_)
      elf_end(elf_);
    if (fd_ >= 0)
      close(fd_);
  }
  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;

  [[noreturn]] void Fail(const std::string& what) const { throw std::runtime_error(path_ + ": " + what); }

  // Sections by index (index 0 stays empty), with their instructions and relocations, and the symbols.
  void Read(std::vector<Section>& sections, std::vector<Symbol>& symbols) const {
    GElf_Ehdr header;
    size_t names_index = 0;
    if (!gelf_getehdr(elf_, &header) || header.e_machine != EM_BPF)
      Fail("not a BPF object");
    if (elf_getshdrstrndx(elf_, &names_index) != 0)
      Fail("no section names");
    size_t count = 0;
    if (elf_getshdrnum(elf_, &count) != 0)
      Fail("no sections");
    sections.assign(count, Section{});
    std::vector<std::pair<size_t, Elf_Scn*>> relocation_sections;
    for (Elf_Scn* scn = elf_nextscn(elf_, nullptr); scn; scn = elf_nextscn(elf_, scn)) {
      GElf_Shdr shdr;
      if (!gelf_getshdr(scn, &shdr))
        Fail("unreadable section header");
      size_t index = elf_ndxscn(scn);
      Section& section = sections[index];
      const char* name = elf_strptr(elf_, names_index, shdr.sh_name);
      section.name = name ? name : "";
      if (shdr.sh_type == SHT_PROGBITS && (shdr.sh_flags & SHF_EXECINSTR)) {
        section.code = true;
        Elf_Data* data = elf_getdata(scn, nullptr);
        if (data && data->d_size) {
          section.insns.resize(data->d_size / sizeof(bpf_insn));
          std::copy_n(static_cast<const char*>(data->d_buf), section.insns.size() * sizeof(bpf_insn),
                      reinterpret_cast<char*>(section.insns.data()));
        }
      } else if (shdr.sh_type == SHT_SYMTAB) {
        ReadSymbols(scn, shdr, symbols);
      } else if (shdr.sh_type == SHT_REL) {
        relocation_sections.emplace_back(shdr.sh_info, scn);
      }
    }
    for (auto& [target, scn] : relocation_sections) {
      if (target >= sections.size() || !sections[target].code)
        continue;  // relocations of data (.BTF.ext, .maps...)
      Elf_Data* data = elf_getdata(scn, nullptr);
      GElf_Shdr shdr;
      gelf_getshdr(scn, &shdr);
      size_t n = shdr.sh_entsize ? shdr.sh_size / shdr.sh_entsize : 0;
      for (size_t i = 0; data && i < n; i++) {
        GElf_Rel rel;
        if (!gelf_getrel(data, static_cast<int>(i), &rel))
          Fail("unreadable relocation");
        sections[target].relocations[rel.r_offset] = GELF_R_SYM(rel.r_info);
      }
    }
  }

 private:
  void ReadSymbols(Elf_Scn* scn, const GElf_Shdr& shdr, std::vector<Symbol>& symbols) const {
    Elf_Data* data = elf_getdata(scn, nullptr);
    size_t n = shdr.sh_entsize ? shdr.sh_size / shdr.sh_entsize : 0;
    symbols.resize(n);
    for (size_t i = 0; data && i < n; i++) {
      GElf_Sym sym;
      if (!gelf_getsym(data, static_cast<int>(i), &sym))
        Fail("unreadable symbol");
      const char* name = elf_strptr(elf_, shdr.sh_link, sym.st_name);
      symbols[i] = {
          name ? name : "", GELF_ST_TYPE(sym.st_info), GELF_ST_BIND(sym.st_info), sym.st_shndx, sym.st_value,
          sym.st_size};
    }
  }

  std::string path_;
  int fd_ = -1;
  ::Elf* elf_ = nullptr;
};

// The deepest stack byte a function reaches: a forward scan that knows which registers hold r10 plus a
// constant (clang materialises a stack address as "rX = r10; rX += -N" and keeps it in a register).
// Registers are forgotten when overwritten and at calls (r0-r5 are clobbered); a pointer's own
// offset counts as reached, since what it points at lies above it within the frame. A function that
// calls bpf_loop gets 3 more stack slots when the verifier inlines the loop (optimize_bpf_loop: its
// statistics show them; the stack check runs just before): counted, so that no kernel's order matters.
constexpr uint32_t kInlinedLoopSlots = 3 * 8;

uint32_t StackDepth(const std::vector<bpf_insn>& insns, size_t begin, size_t end) {
  std::array<std::optional<int64_t>, MAX_BPF_REG> at{};
  int64_t lowest = 0;
  bool calls_loop = false;
  auto reach = [&](int64_t offset) { lowest = std::min(lowest, offset); };
  for (size_t i = begin; i < end; i++) {
    const bpf_insn& insn = insns[i];
    at[kFramePointer] = 0;
    uint8_t cls = BPF_CLASS(insn.code);
    if (insn.code == kLoadImm64) {
      at[insn.dst_reg].reset();
      i++;  // its second half
      continue;
    }
    switch (cls) {
      case BPF_ST:
      case BPF_STX:
        if (at[insn.dst_reg])
          reach(*at[insn.dst_reg] + insn.off);
        // atomics that fetch write their source register
        if (BPF_MODE(insn.code) == BPF_ATOMIC && (insn.imm & BPF_FETCH))
          at[insn.imm == BPF_CMPXCHG ? static_cast<uint8_t>(BPF_REG_0) : insn.src_reg].reset();
        break;
      case BPF_LDX:
        if (at[insn.src_reg])
          reach(*at[insn.src_reg] + insn.off);
        at[insn.dst_reg].reset();
        break;
      case BPF_ALU64:
        if (BPF_OP(insn.code) == BPF_MOV && BPF_SRC(insn.code) == BPF_X && insn.off == 0) {
          at[insn.dst_reg] = at[insn.src_reg];
        } else if (BPF_OP(insn.code) == BPF_ADD && BPF_SRC(insn.code) == BPF_K && at[insn.dst_reg]) {
          *at[insn.dst_reg] += insn.imm;
        } else if (BPF_OP(insn.code) == BPF_SUB && BPF_SRC(insn.code) == BPF_K && at[insn.dst_reg]) {
          *at[insn.dst_reg] -= insn.imm;
        } else {
          at[insn.dst_reg].reset();
        }
        if (at[insn.dst_reg])
          reach(*at[insn.dst_reg]);
        break;
      case BPF_ALU:
      case BPF_LD:
        at[insn.dst_reg].reset();
        break;
      case BPF_JMP:
        if (insn.code == kCall) {
          calls_loop |= insn.src_reg == 0 && insn.imm == BPF_FUNC_loop;
          for (int r = BPF_REG_0; r <= BPF_REG_5; r++)
            at[r].reset();
        }
        break;
      default:
        break;
    }
  }
  return static_cast<uint32_t>(-lowest) + (calls_loop ? kInlinedLoopSlots : 0);
}

}  // namespace

uint32_t RoundJit(uint32_t depth) {
  return (depth + 15) / 16 * 16;
}
uint32_t RoundInterpreter(uint32_t depth) {
  return (std::max(depth, 1u) + 31) / 32 * 32;
}

Analysis AnalyzeObject(const std::string& path) {
  ElfFile elf(path);
  std::vector<Section> sections;
  std::vector<Symbol> symbols;
  elf.Read(sections, symbols);

  Analysis out;
  std::map<std::pair<size_t, uint64_t>, size_t> by_start;  // (section, first instruction) -> function
  struct Extent {
    size_t section, begin, end;
  };
  std::vector<Extent> extents;
  for (const Symbol& sym : symbols) {
    if (sym.type != STT_FUNC || sym.section >= sections.size() || !sections[sym.section].code)
      continue;
    const Section& section = sections[sym.section];
    size_t begin = sym.value / sizeof(bpf_insn);
    size_t end = std::min(begin + sym.size / sizeof(bpf_insn), section.insns.size());
    Function f;
    f.name = sym.name;
    f.section = section.name;
    f.entry = section.name != ".text" && sym.bind == STB_GLOBAL;
    f.depth = StackDepth(section.insns, begin, end);
    by_start[{sym.section, begin}] = out.functions.size();
    extents.push_back({sym.section, begin, end});
    out.functions.push_back(std::move(f));
  }

  auto function_at = [&](size_t section, uint64_t insn, const std::string& from) -> size_t {
    auto it = by_start.find({section, insn});
    if (it == by_start.end())
      elf.Fail(from + " calls instruction " + std::to_string(insn) + " of " + sections[section].name +
               ", where no function starts");
    return it->second;
  };
  for (size_t f = 0; f < out.functions.size(); f++) {
    const Extent& e = extents[f];
    const Section& section = sections[e.section];
    for (size_t i = e.begin; i < e.end; i++) {
      const bpf_insn& insn = section.insns[i];
      auto relocation = section.relocations.find(i * sizeof(bpf_insn));
      const Symbol* target = relocation != section.relocations.end() && relocation->second < symbols.size()
                                 ? &symbols[relocation->second]
                                 : nullptr;
      bool target_is_code = target && target->section < sections.size() && sections[target->section].code;
      if (insn.code == kCall && insn.src_reg == BPF_PSEUDO_CALL) {
        if (target && target->section == SHN_UNDEF)
          continue;  // a kfunc (extern): the kernel's code, not a BPF frame
        size_t callee = target_is_code
                            ? function_at(target->section, target->value / sizeof(bpf_insn) + insn.imm + 1,
                                          out.functions[f].name)
                            : function_at(e.section, i + insn.imm + 1, out.functions[f].name);
        out.functions[f].callees.push_back(callee);
      } else if (insn.code == kLoadImm64) {
        if (target_is_code)  // a callback's address (bpf_loop...): the verifier walks it as a call
          out.functions[f].callees.push_back(function_at(
              target->section, (target->value + insn.imm) / sizeof(bpf_insn), out.functions[f].name));
        i++;
      }
    }
  }

  // Deepest chain from each function, by each rounding (BPF forbids recursion; a cycle is an error).
  std::vector<int> state(out.functions.size(), 0);  // 0 unseen, 1 in progress, 2 done
  std::vector<std::pair<uint32_t, size_t>> best16(out.functions.size()), best32(out.functions.size());
  std::function<void(size_t)> visit = [&](size_t f) {
    if (state[f] == 2)
      return;
    if (state[f] == 1)
      elf.Fail("recursive call through " + out.functions[f].name);
    state[f] = 1;
    uint32_t deepest16 = 0, deepest32 = 0;
    size_t next16 = SIZE_MAX, next32 = SIZE_MAX;
    for (size_t callee : out.functions[f].callees) {
      visit(callee);
      if (next16 == SIZE_MAX || best16[callee].first > deepest16) {
        deepest16 = best16[callee].first;
        next16 = callee;
      }
      if (next32 == SIZE_MAX || best32[callee].first > deepest32) {
        deepest32 = best32[callee].first;
        next32 = callee;
      }
    }
    best16[f] = {RoundJit(out.functions[f].depth) + deepest16, next16};
    best32[f] = {RoundInterpreter(out.functions[f].depth) + deepest32, next32};
    state[f] = 2;
  };
  for (size_t f = 0; f < out.functions.size(); f++) {
    if (!out.functions[f].entry)
      continue;
    visit(f);
    ProgramStack program;
    program.program = out.functions[f].name;
    program.section = out.functions[f].section;
    program.combined16 = best16[f].first;
    program.combined32 = best32[f].first;
    for (size_t at = f; at != SIZE_MAX; at = best32[at].second)
      program.chain.push_back({out.functions[at].name, out.functions[at].depth});
    out.programs.push_back(std::move(program));
  }
  return out;
}

std::string Describe(const ProgramStack& program) {
  std::ostringstream out;
  out << program.program << ": ";
  for (size_t i = 0; i < program.chain.size(); i++)
    out << (i ? " -> " : "") << program.chain[i].name << " " << program.chain[i].depth;
  out << " = " << program.combined16 << " B in 16-byte frames, " << program.combined32
      << " B in 32-byte frames";
  return out.str();
}

}  // namespace zctrace::stack
