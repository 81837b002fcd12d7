#include "elf_file.h"

#include <cxxabi.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "debug_file.h"
#include "elf_reader.h"
#include "x86_code.h"

namespace zctrace {
namespace {

constexpr uint64_t kNoEnd = std::numeric_limits<uint64_t>::max();

Elf_Scn* FindSection(Elf* elf, GElf_Word type) {
  Elf_Scn* found = nullptr;
  ForEachSection(elf, [&](Elf_Scn* section, const GElf_Shdr& header) {
    if (found == nullptr && header.sh_type == type)
      found = section;
  });
  return found;
}

// "memcpy@GLIBC_2.2.5" → "memcpy": the version suffix a .symtab keeps on versioned definitions.
std::string WithoutVersion(const char* name) {
  const char* at = std::strchr(name, '@');
  return at != nullptr && at != name ? std::string(name, static_cast<size_t>(at - name)) : std::string(name);
}

std::string Demangle(const std::string& name) {
  if (name.compare(0, 2, "_Z") != 0)
    return name;
  int status = 0;
  char* demangled = abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status);
  std::string result = status == 0 && demangled != nullptr ? demangled : name;
  std::free(demangled);
  return result;
}

struct FunctionCandidate {
  uint64_t start = 0;
  uint64_t size = 0;
  uint64_t section_end = kNoEnd;
  std::string name;
  unsigned char binding = STB_LOCAL;
};

struct SymbolTableContents {
  std::vector<FunctionCandidate> functions;
  // The start of every named symbol of code or data: where an unsized function before it ends.
  std::vector<uint64_t> symbol_starts;
};

SymbolTableContents ReadSymbolTable(Elf* elf, Elf_Scn* table) {
  SymbolTableContents contents;
  GElf_Shdr table_header;
  Elf_Data* data = elf_getdata(table, nullptr);
  if (gelf_getshdr(table, &table_header) == nullptr || data == nullptr || table_header.sh_entsize == 0)
    return contents;

  // Where each section ends, by index: an unsized function does not run past its section.
  size_t section_count = 0;
  std::vector<uint64_t> section_ends;
  if (elf_getshdrnum(elf, &section_count) == 0) {
    section_ends.assign(section_count, kNoEnd);
    ForEachSection(elf, [&](Elf_Scn* section, const GElf_Shdr& header) {
      const size_t index = elf_ndxscn(section);
      if (index < section_ends.size())
        section_ends[index] = header.sh_addr + header.sh_size;
    });
  }

  const size_t symbol_count = static_cast<size_t>(table_header.sh_size / table_header.sh_entsize);
  for (size_t i = 1; i < symbol_count; ++i) {  // entry 0 is the null symbol
    GElf_Sym symbol;
    if (gelf_getsym(data, static_cast<int>(i), &symbol) == nullptr)
      break;
    const unsigned char type = GELF_ST_TYPE(symbol.st_info);
    if (symbol.st_shndx == SHN_UNDEF || symbol.st_shndx == SHN_ABS || symbol.st_shndx == SHN_COMMON ||
        type == STT_SECTION || type == STT_FILE || type == STT_TLS)
      continue;
    const char* name = elf_strptr(elf, table_header.sh_link, symbol.st_name);
    if (name == nullptr || name[0] == '\0' || name[0] == '$')
      continue;
    contents.symbol_starts.push_back(symbol.st_value);
    if (type != STT_FUNC && type != STT_GNU_IFUNC)
      continue;
    FunctionCandidate function;
    function.start = symbol.st_value;
    function.size = symbol.st_value + symbol.st_size >= symbol.st_value ? symbol.st_size : 0;
    if (symbol.st_shndx < section_ends.size())
      function.section_end = section_ends[symbol.st_shndx];
    function.name = WithoutVersion(name);
    function.binding = GELF_ST_BIND(symbol.st_info);
    contents.functions.push_back(std::move(function));
  }
  return contents;
}

size_t LeadingUnderscores(const std::string& name) {
  return std::min(name.find_first_not_of('_'), name.size());
}

// Of the names one address has, the one to show: a global (or weak) one over a local alias, then the one
// with the fewest leading underscores ("read" over "__libc_read"), a strong over a weak one, the shortest.
bool BetterName(const FunctionCandidate& a, const FunctionCandidate& b) {
  const bool a_local = a.binding == STB_LOCAL, b_local = b.binding == STB_LOCAL;
  if (a_local != b_local)
    return !a_local;
  const size_t a_underscores = LeadingUnderscores(a.name), b_underscores = LeadingUnderscores(b.name);
  if (a_underscores != b_underscores)
    return a_underscores < b_underscores;
  const bool a_weak = a.binding == STB_WEAK, b_weak = b.binding == STB_WEAK;
  if (a_weak != b_weak)
    return !a_weak;
  if (a.name.size() != b.name.size())
    return a.name.size() < b.name.size();
  return a.name < b.name;
}

}  // namespace

ElfFile::~ElfFile() {
  if (image_ != nullptr)
    munmap(const_cast<uint8_t*>(image_), image_size_);
}

std::unique_ptr<ElfFile> ElfFile::Open(const std::string& path, std::string* error) {
  const auto fail = [&](const std::string& why) -> std::unique_ptr<ElfFile> {
    if (error != nullptr)
      *error = path + ": " + why;
    return nullptr;
  };
  ElfReader reader;
  std::string why;
  if (!reader.Open(path, &why))
    return fail(why);

  std::unique_ptr<ElfFile> file(new ElfFile);
  file->path_ = path;
  void* image = mmap(nullptr, reader.size(), PROT_READ, MAP_PRIVATE, reader.fd(), 0);
  if (image == MAP_FAILED)
    return fail(std::string("mmap: ") + std::strerror(errno));
  file->image_ = static_cast<const uint8_t*>(image);
  file->image_size_ = reader.size();

  size_t segment_count = 0;
  if (elf_getphdrnum(reader.elf(), &segment_count) != 0)
    return fail(LibelfError());
  for (size_t i = 0; i < segment_count; ++i) {
    GElf_Phdr header;
    if (gelf_getphdr(reader.elf(), static_cast<int>(i), &header) == nullptr || header.p_type != PT_LOAD)
      continue;
    Segment segment;
    segment.file_offset = header.p_offset;
    segment.file_size = header.p_filesz;
    segment.readable_size = header.p_offset < file->image_size_
                                ? std::min<uint64_t>(header.p_filesz, file->image_size_ - header.p_offset)
                                : 0;
    segment.address = header.p_vaddr;
    segment.memory_size = header.p_memsz;
    segment.executable = (header.p_flags & PF_X) != 0;
    file->segments_.push_back(segment);
  }
  file->build_id_ = ReadBuildId(reader.elf());
  file->LoadSymbols(reader.elf());
  return file;
}

void ElfFile::LoadSymbols(Elf* elf) {
  // The function symbols of a table of this type in elf, or none.
  const auto read_table = [](Elf* from, GElf_Word type) {
    Elf_Scn* table = FindSection(from, type);
    return table != nullptr ? ReadSymbolTable(from, table) : SymbolTableContents{};
  };
  SymbolTableContents contents = read_table(elf, SHT_SYMTAB);
  if (!contents.functions.empty()) {
    symbols_from_ = ".symtab";
  } else {
    // Stripped: a debug file's .symtab has the local functions .dynsym lacks. Its code sections are NOBITS,
    // but its symbols carry the same virtual addresses.
    for (const DebugFileCandidate& candidate : DebugFileCandidates(elf, path_, build_id_)) {
      ElfReader debug;
      std::string ignored;
      if (!debug.Open(candidate.path, &ignored) || !IsDebugFileOf(debug, build_id_, candidate.crc))
        continue;
      contents = read_table(debug.elf(), SHT_SYMTAB);
      if (!contents.functions.empty()) {
        symbols_from_ = candidate.path;
        break;
      }
    }
  }
  if (contents.functions.empty()) {
    contents = read_table(elf, SHT_DYNSYM);
    if (!contents.functions.empty())
      symbols_from_ = ".dynsym";
  }

  std::vector<FunctionCandidate>& candidates = contents.functions;
  std::sort(candidates.begin(), candidates.end(),
            [](const FunctionCandidate& a, const FunctionCandidate& b) { return a.start < b.start; });
  std::vector<uint64_t>& starts = contents.symbol_starts;
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());

  for (size_t first = 0; first < candidates.size();) {
    size_t last = first;
    const FunctionCandidate* best = &candidates[first];
    uint64_t size = candidates[first].size;
    while (last + 1 < candidates.size() && candidates[last + 1].start == candidates[first].start) {
      ++last;
      if (BetterName(candidates[last], *best))
        best = &candidates[last];
      size = std::max(size, candidates[last].size);  // aliases may be sized or not: one sized makes it sized
    }
    Function function;
    function.start = best->start;
    function.size = size;
    if (size == 0) {
      const auto next_start = std::upper_bound(starts.begin(), starts.end(), function.start);
      function.fallback_end = std::min(best->section_end, next_start != starts.end() ? *next_start : kNoEnd);
    }
    function.name = best->name;
    functions_.push_back(std::move(function));
    first = last + 1;
  }

  reach_.reserve(functions_.size());
  uint64_t reach = 0;
  for (const Function& function : functions_) {
    if (function.size > 0)
      reach = std::max(reach, function.start + function.size);
    reach_.push_back(reach);
  }
}

std::optional<uint64_t> ElfFile::AddressOfOffset(uint64_t file_offset) const {
  for (const Segment& segment : segments_) {
    if (file_offset >= segment.file_offset && file_offset - segment.file_offset < segment.file_size)
      return segment.address + (file_offset - segment.file_offset);
  }
  return std::nullopt;
}

std::optional<ElfSymbol> ElfFile::Symbolize(uint64_t address) const {
  const auto after =
      std::upper_bound(functions_.begin(), functions_.end(), address,
                       [](uint64_t value, const Function& function) { return value < function.start; });
  if (after == functions_.begin())
    return std::nullopt;
  const size_t nearest = static_cast<size_t>(after - functions_.begin()) - 1;
  const auto symbol = [&](const Function& function) {
    return ElfSymbol{Demangle(function.name), function.start, address - function.start};
  };
  // The containing sized symbol that starts last. Usually the nearest; an earlier one only when symbols nest,
  // and reach_ stops the walk as soon as nothing earlier extends to address.
  for (size_t i = nearest;; --i) {
    if (reach_[i] <= address)
      break;
    const Function& function = functions_[i];
    if (function.size > 0 && address - function.start < function.size)
      return symbol(function);
    if (i == 0)
      break;
  }
  const Function& unsized = functions_[nearest];
  if (unsized.size == 0 && address < unsized.fallback_end)
    return symbol(unsized);
  return std::nullopt;
}

const ElfFile::Segment* ElfFile::SegmentHolding(uint64_t address) const {
  for (const Segment& segment : segments_) {
    if (address >= segment.address && address - segment.address < segment.readable_size)
      return &segment;
  }
  return nullptr;
}

bool ElfFile::IsExecutableAddress(uint64_t address) const {
  return std::any_of(segments_.begin(), segments_.end(), [address](const Segment& segment) {
    return segment.executable && address >= segment.address &&
           address - segment.address < segment.memory_size;
  });
}

std::vector<uint8_t> ElfFile::Read(uint64_t address, size_t n) const {
  const Segment* segment = SegmentHolding(address);
  if (segment == nullptr)
    return {};
  const uint64_t skip = address - segment->address;
  const size_t count = static_cast<size_t>(std::min<uint64_t>(n, segment->readable_size - skip));
  const uint8_t* from = image_ + segment->file_offset + skip;
  return std::vector<uint8_t>(from, from + count);
}

bool ElfFile::SetsUpFramePointer(uint64_t function_start) const {
  return PrologueSetsUpFramePointer(Read(function_start, kPrologueBytes));
}

bool ElfFile::FollowsCall(uint64_t address) const {
  if (address == 0)
    return false;
  const Segment* segment = SegmentHolding(address - 1);
  if (segment == nullptr || !segment->executable)
    return false;
  const size_t available =
      static_cast<size_t>(std::min<uint64_t>(kLongestIndirectCall, address - segment->address));
  const uint8_t* end = image_ + segment->file_offset + (address - segment->address);

  if (available >= 5 && end[-5] == 0xe8) {
    int32_t displacement = 0;
    std::memcpy(&displacement, end - 4, sizeof(displacement));  // little-endian, as the file
    const uint64_t target = address + static_cast<uint64_t>(static_cast<int64_t>(displacement));
    if (IsExecutableAddress(target))
      return true;
  }
  return EndsWithIndirectCall(end - available, available);
}

}  // namespace zctrace
