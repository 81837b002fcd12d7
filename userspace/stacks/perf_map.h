// The symbols a JIT runtime writes for profilers to /tmp/perf-<pid>.map (the JVM with perf-map-agent, Node
// with --perf-basic-prof, .NET with DOTNET_PerfMapEnabled): one line a symbol, "START SIZE name", START and
// SIZE in hex with or without 0x, the name running to the end of the line (it may hold spaces).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "elf_file.h"  // ElfSymbol

namespace zctrace {

class PerfMap {
 public:
  // nullopt when the file cannot be read (or is no regular file: a FIFO planted in /tmp must not block).
  // Lines that do not parse, and empty ranges, are skipped.
  static std::optional<PerfMap> Load(const std::string& path);
  // The symbol whose range holds address; where ranges overlap, the later line's (a JIT may re-emit code at
  // an address). start = the line's START.
  std::optional<ElfSymbol> Symbolize(uint64_t address) const;
  size_t size() const { return entries_.size(); }  // the lines loaded

 private:
  struct Entry {
    uint64_t start = 0;
    std::string name;
  };
  struct Range {  // the part of an entry's range no later entry covers
    uint64_t start = 0;
    uint64_t end = 0;
    size_t entry = 0;
  };

  std::vector<Entry> entries_;  // in the file's order
  std::vector<Range> ranges_;   // disjoint, sorted by start
};

}  // namespace zctrace
