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

#include "x86_code.h"

namespace zctrace {
namespace {

constexpr char kDebugRoot[] = "/usr/lib/debug";
constexpr uint64_t kNoEnd = std::numeric_limits<uint64_t>::max();

bool LibelfReady() {
  static const bool ready = elf_version(EV_CURRENT) != EV_NONE;
  return ready;
}

std::string LibelfError() {
  const char* message = elf_errmsg(-1);
  return message != nullptr ? message : "libelf error";
}

// Why zctrace cannot read this ELF file, or empty when it can: x86-64, 64-bit little-endian, an executable
// or a shared object.
std::string Unsupported(Elf* elf) {
  if (elf_kind(elf) != ELF_K_ELF)
    return "not an ELF file";
  size_t ident_size = 0;
  const char* ident = elf_getident(elf, &ident_size);
  if (ident == nullptr || ident_size < EI_NIDENT)
    return "not an ELF file";
  if (ident[EI_CLASS] != ELFCLASS64)
    return "not a 64-bit ELF file";
  if (ident[EI_DATA] != ELFDATA2LSB)
    return "not a little-endian ELF file";
  GElf_Ehdr header;
  if (gelf_getehdr(elf, &header) == nullptr)
    return LibelfError();
  if (header.e_machine != EM_X86_64)
    return "ELF machine " + std::to_string(header.e_machine) + " is not x86-64";
  if (header.e_type != ET_EXEC && header.e_type != ET_DYN)
    return "ELF type " + std::to_string(header.e_type) + " is neither an executable nor a shared object";
  return "";
}

// A file open for reading and libelf's handle on it, released together.
class ElfReader {
 public:
  ElfReader() = default;
  ~ElfReader() {
    if (elf_ != nullptr)
      elf_end(elf_);
    if (fd_ >= 0)
      close(fd_);
  }
  ElfReader(const ElfReader&) = delete;
  ElfReader& operator=(const ElfReader&) = delete;

  // false and *why when path cannot be read or is not an ELF file zctrace reads.
  bool Open(const std::string& path, std::string* why) {
    if (!LibelfReady()) {
      *why = LibelfError();
      return false;
    }
    fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      *why = std::strerror(errno);
      return false;
    }
    struct stat status;
    if (fstat(fd_, &status) != 0) {
      *why = std::strerror(errno);
      return false;
    }
    if (!S_ISREG(status.st_mode)) {
      *why = "not a regular file";
      return false;
    }
    size_ = static_cast<size_t>(status.st_size);
    elf_ = elf_begin(fd_, ELF_C_READ_MMAP, nullptr);
    if (elf_ == nullptr) {
      *why = LibelfError();
      return false;
    }
    *why = Unsupported(elf_);
    return why->empty();
  }
  Elf* elf() const { return elf_; }
  int fd() const { return fd_; }
  size_t size() const { return size_; }

 private:
  int fd_ = -1;
  Elf* elf_ = nullptr;
  size_t size_ = 0;
};

template <typename Visit>
void ForEachSection(Elf* elf, Visit visit) {
  for (Elf_Scn* section = elf_nextscn(elf, nullptr); section != nullptr;
       section = elf_nextscn(elf, section)) {
    GElf_Shdr header;
    if (gelf_getshdr(section, &header) != nullptr)
      visit(section, header);
  }
}

std::string SectionName(Elf* elf, const GElf_Shdr& header) {
  size_t names_index = 0;
  if (elf_getshdrstrndx(elf, &names_index) != 0)
    return "";
  const char* name = elf_strptr(elf, names_index, header.sh_name);
  return name != nullptr ? name : "";
}

std::string Hex(const uint8_t* bytes, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    hex += kDigits[bytes[i] >> 4];
    hex += kDigits[bytes[i] & 0xf];
  }
  return hex;
}

std::string BuildIdInNotes(Elf_Data* notes) {
  if (notes == nullptr || notes->d_buf == nullptr)
    return "";
  const auto* base = static_cast<const uint8_t*>(notes->d_buf);
  size_t offset = 0;
  while (offset < notes->d_size) {
    GElf_Nhdr note;
    size_t name_offset = 0, description_offset = 0;
    const size_t next = gelf_getnote(notes, offset, &note, &name_offset, &description_offset);
    if (next == 0)
      break;
    if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == sizeof(ELF_NOTE_GNU) &&
        std::memcmp(base + name_offset, ELF_NOTE_GNU, sizeof(ELF_NOTE_GNU)) == 0 && note.n_descsz > 0)
      return Hex(base + description_offset, note.n_descsz);
    offset = next;
  }
  return "";
}

// The NT_GNU_BUILD_ID note: from the note sections, else (no section headers) from the PT_NOTE segments.
std::string ReadBuildId(Elf* elf) {
  std::string build_id;
  ForEachSection(elf, [&](Elf_Scn* section, const GElf_Shdr& header) {
    if (build_id.empty() && header.sh_type == SHT_NOTE)
      build_id = BuildIdInNotes(elf_getdata(section, nullptr));
  });
  if (!build_id.empty())
    return build_id;
  size_t segment_count = 0;
  if (elf_getphdrnum(elf, &segment_count) != 0)
    return "";
  for (size_t i = 0; i < segment_count && build_id.empty(); ++i) {
    GElf_Phdr segment;
    if (gelf_getphdr(elf, static_cast<int>(i), &segment) == nullptr || segment.p_type != PT_NOTE)
      continue;
    const Elf_Type note_type = segment.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR;
    build_id = BuildIdInNotes(elf_getdata_rawchunk(elf, static_cast<int64_t>(segment.p_offset),
                                                   static_cast<size_t>(segment.p_filesz), note_type));
  }
  return build_id;
}

// The separate debug file a stripped file names: .gnu_debuglink's file name and the CRC32 of that file.
struct DebugLink {
  std::string name;
  uint32_t crc = 0;
};

std::optional<DebugLink> ReadDebugLink(Elf* elf) {
  std::optional<DebugLink> link;
  ForEachSection(elf, [&](Elf_Scn* section, const GElf_Shdr& header) {
    if (link || header.sh_type != SHT_PROGBITS || SectionName(elf, header) != ".gnu_debuglink")
      return;
    Elf_Data* data = elf_getdata(section, nullptr);
    if (data == nullptr || data->d_buf == nullptr)
      return;
    // the name, NUL-terminated, padded to 4 bytes, then the CRC (in the file's byte order: little-endian)
    const auto* bytes = static_cast<const uint8_t*>(data->d_buf);
    const auto* name_end = static_cast<const uint8_t*>(std::memchr(bytes, 0, data->d_size));
    if (name_end == nullptr || name_end == bytes)
      return;
    const size_t crc_offset = (static_cast<size_t>(name_end - bytes) + 4) & ~size_t{3};
    if (crc_offset + 4 > data->d_size)
      return;
    DebugLink found;
    found.name.assign(reinterpret_cast<const char*>(bytes), static_cast<size_t>(name_end - bytes));
    for (int i = 3; i >= 0; --i)
      found.crc = (found.crc << 8) | bytes[crc_offset + static_cast<size_t>(i)];
    link = found;
  });
  return link;
}

// The CRC32 .gnu_debuglink records (the zlib one: polynomial 0xedb88320, inverted in and out).
std::optional<uint32_t> FileCrc32(int fd) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> entries{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t value = n;
      for (int bit = 0; bit < 8; ++bit)
        value = (value & 1) != 0 ? 0xedb88320u ^ (value >> 1) : value >> 1;
      entries[n] = value;
    }
    return entries;
  }();
  uint32_t crc = 0xffffffffu;
  std::vector<uint8_t> buffer(1 << 16);
  off_t offset = 0;
  for (;;) {
    const ssize_t got = pread(fd, buffer.data(), buffer.size(), offset);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return std::nullopt;
    if (got == 0)
      break;
    for (ssize_t i = 0; i < got; ++i)
      crc = table[(crc ^ buffer[static_cast<size_t>(i)]) & 0xff] ^ (crc >> 8);
    offset += got;
  }
  return crc ^ 0xffffffffu;
}

std::string JoinPath(const std::string& directory, const std::string& name) {
  if (directory.empty() || directory.back() == '/')
    return directory + name;
  return directory + "/" + name;
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The directories a debuglink name is looked up relative to: the file's own, and the one it resolves to
// through symbolic links (/proc/<pid>/exe, /lib → usr/lib) when that differs.
std::vector<std::string> FileDirectories(const std::string& path) {
  std::vector<std::string> directories{DirectoryOf(path)};
  char resolved[PATH_MAX];
  if (realpath(path.c_str(), resolved) != nullptr) {
    const std::string real_directory = DirectoryOf(resolved);
    if (real_directory != directories.front())
      directories.push_back(real_directory);
  }
  return directories;
}

struct DebugFileCandidate {
  std::string path;
  std::optional<uint32_t> crc;  // the debuglink's, for a file found through it
};

// Where the usual tools (gdb, perf) look for the debug file of a stripped file, in their order.
std::vector<DebugFileCandidate> DebugFileCandidates(Elf* elf, const std::string& path,
                                                    const std::string& build_id) {
  std::vector<DebugFileCandidate> candidates;
  if (build_id.size() > 2)
    candidates.push_back({std::string(kDebugRoot) + "/.build-id/" + build_id.substr(0, 2) + "/" +
                              build_id.substr(2) + ".debug",
                          std::nullopt});
  const std::optional<DebugLink> link = ReadDebugLink(elf);
  if (!link || link->name.find('/') != std::string::npos)
    return candidates;
  for (const std::string& directory : FileDirectories(path)) {
    candidates.push_back({JoinPath(directory, link->name), link->crc});
    candidates.push_back({JoinPath(directory, ".debug/" + link->name), link->crc});
    if (directory.front() == '/')
      candidates.push_back({JoinPath(kDebugRoot + directory, link->name), link->crc});
  }
  return candidates;
}

// Whether debug is the debug file of the file with this build id: same build id when either has one (a
// debug file keeps its file's note), else the debuglink's CRC of the whole debug file.
bool IsDebugFileOf(const ElfReader& debug, const std::string& build_id, std::optional<uint32_t> crc) {
  const std::string debug_build_id = ReadBuildId(debug.elf());
  if (!build_id.empty() || !debug_build_id.empty())
    return build_id == debug_build_id;
  return crc && FileCrc32(debug.fd()) == crc;
}

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
