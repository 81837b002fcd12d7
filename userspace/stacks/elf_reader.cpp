#include "elf_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace zctrace {
namespace {

bool LibelfReady() {
  static const bool ready = elf_version(EV_CURRENT) != EV_NONE;
  return ready;
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

}  // namespace

std::string LibelfError() {
  const char* message = elf_errmsg(-1);
  return message != nullptr ? message : "libelf error";
}

ElfReader::~ElfReader() {
  if (elf_ != nullptr)
    elf_end(elf_);
  if (fd_ >= 0)
    close(fd_);
}

bool ElfReader::Open(const std::string& path, std::string* why) {
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

std::string SectionName(Elf* elf, const GElf_Shdr& header) {
  size_t names_index = 0;
  if (elf_getshdrstrndx(elf, &names_index) != 0)
    return "";
  const char* name = elf_strptr(elf, names_index, header.sh_name);
  return name != nullptr ? name : "";
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

}  // namespace zctrace
