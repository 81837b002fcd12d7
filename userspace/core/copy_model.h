// The copy model: what one path costs, from ../shared/copy-model.md, as ONE table of rows.
//
// A path is (syscall, source kind, sink kind, flags). The model says how many CPU copies and device
// (DMA) transfers each payload byte costs on that path on Linux 6.x, and which line of the classic
// four-copy model it sits on. Everything here is modelled; measured figures replace them in the
// aggregation where the kernel reported an event.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "vocabulary.h"

namespace zctrace {

struct PathSpec {
  Syscall syscall;
  Kind source;
  Kind sink;
  uint8_t flags = 0;  // ZC_FLAG_*
};

enum class Device : uint8_t { kNone, kDisk, kNic };

struct DeviceTransfer {
  int copies = 0;  // DMA copies of each byte at this end (0 or 1)
  Device device = Device::kNone;
  std::string_view what;  // e.g. "disk → page cache on a cache miss", "loopback: no NIC, no DMA"
};

struct PathCost {
  bool known = false;  // false: no row matched; cpu_copies is then 0 and a warning is due
  int cpu_copies = 0;  // CPU copies of each payload byte
  int mode_switches_per_call = 2;
  std::string_view model;        // the four-copy-model line: "read+write", "sendfile", "splice", ...
  std::string_view kernel_path;  // why: the kernel functions that do (or avoid) the copy
  DeviceTransfer source_dma;     // device transfer at the source end
  DeviceTransfer sink_dma;       // device transfer at the sink end
  int dma_copies() const { return source_dma.copies + sink_dma.copies; }
};

PathCost ModelPath(const PathSpec& path);

// The device side of one end of a path, from its kind (loopback sockets have no NIC).
DeviceTransfer DeviceTransferOf(Kind kind, bool loopback, bool is_source);

// The classic four-copy baseline, for the report header: per chunk of a file → socket transfer.
struct ClassicLine {
  std::string_view method;
  int cpu_copies;
  int dma_copies;
  int mode_switches;
  std::string_view note;
};
const ClassicLine* ClassicLines(size_t* count);

}  // namespace zctrace
