#include "debug_file.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <cstring>

namespace zctrace {
namespace {

constexpr char kDebugRoot[] = "/usr/lib/debug";

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

}  // namespace

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

bool IsDebugFileOf(const ElfReader& debug, const std::string& build_id, std::optional<uint32_t> crc) {
  const std::string debug_build_id = ReadBuildId(debug.elf());
  if (!build_id.empty() || !debug_build_id.empty())
    return build_id == debug_build_id;
  return crc && FileCrc32(debug.fd()) == crc;
}

}  // namespace zctrace
