// The separate debug file of a stripped ELF file, where gdb and perf look for it: by build id under
// /usr/lib/debug (Debian's -dbgsym packages, libc6-dbg), else by its .gnu_debuglink name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "elf_reader.h"

namespace zctrace {

struct DebugFileCandidate {
  std::string path;
  std::optional<uint32_t> crc;  // the debuglink's, for a file found through it
};

// Where the usual tools (gdb, perf) look for the debug file of a stripped file, in their order.
std::vector<DebugFileCandidate> DebugFileCandidates(Elf* elf, const std::string& path,
                                                    const std::string& build_id);

// Whether debug is the debug file of the file with this build id: same build id when either has one (a
// debug file keeps its file's note), else the debuglink's CRC of the whole debug file.
bool IsDebugFileOf(const ElfReader& debug, const std::string& build_id, std::optional<uint32_t> crc);

}  // namespace zctrace
