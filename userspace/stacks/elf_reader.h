// Reading an ELF file with libelf, for the symbolizer's files: a reader that owns the file and libelf's
// handle, its sections, its build id. Internal to userspace/stacks.
#pragma once

#include <gelf.h>
#include <libelf.h>

#include <cstddef>
#include <string>

namespace zctrace {

// A file open for reading and libelf's handle on it, released together.
class ElfReader {
 public:
  ElfReader() = default;
  ~ElfReader();
  ElfReader(const ElfReader&) = delete;
  ElfReader& operator=(const ElfReader&) = delete;

  // false and *why when path cannot be read or is not an ELF file zctrace reads.
  bool Open(const std::string& path, std::string* why);
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

std::string SectionName(Elf* elf, const GElf_Shdr& header);
// The NT_GNU_BUILD_ID note (lower-case hex): from the note sections, else (no section headers) from the
// PT_NOTE segments; empty when there is none.
std::string ReadBuildId(Elf* elf);
// libelf's last error, in words.
std::string LibelfError();

}  // namespace zctrace
