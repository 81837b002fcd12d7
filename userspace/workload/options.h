// What a `run` is asked to do, plus the names used on the command line and in JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace workload {

enum class Method {
  ReadWrite,
  ReadvWritev,
  PreadPwrite,
  MmapWrite,
  Sendfile,
  Splice,
  Vmsplice,
  Tee,
  CopyFileRange,
  MsgZerocopy,
  ODirect,
  IoUring,
};

enum class SinkType { Tcp, Unix, File, Pipe, Null };
enum class SourceType { File, Zero };

const std::vector<Method>& all_methods();
const std::vector<SinkType>& all_sinks();
const std::vector<SourceType>& all_sources();

std::string name_of(Method m);
std::string name_of(SinkType s);
std::string name_of(SourceType s);

struct RunOptions {
  Method method = Method::ReadWrite;
  SinkType sink = SinkType::Null;
  SourceType source = SourceType::File;
  std::string file;                        // source file path (source == File)
  uint64_t bytes = 64ull << 20;            // how much to move
  uint64_t chunk = 64ull << 10;            // bytes per data syscall (at most)
  bool cold = false;                       // drop the source's page cache first
  std::string dir = "/tmp";                // where a `file` sink's destination is created
  std::optional<std::string> report_path;  // default: stdout
};

// Parses "123", "64K", "8M", "1G" (binary multiples; an optional trailing "B"/"iB"
// is accepted). Throws UsageError on anything else.
uint64_t parse_size(const std::string& text);

}  // namespace workload
