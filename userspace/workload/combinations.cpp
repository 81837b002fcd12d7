#include "combinations.h"

#include <sys/stat.h>

#include <set>
#include <sstream>

#include "errors.h"

namespace workload {

std::optional<std::string> combination_refusal(Method m, SourceType src, SinkType sink) {
  // /dev/zero has splice_read, so sendfile/splice/tee from it work on 6.x and are
  // allowed; these three, however, only mean something for a regular file.
  if (src == SourceType::Zero) {
    if (m == Method::MmapWrite)
      return "mmap-write needs --source file: a /dev/zero mapping is plain anonymous "
             "memory, not a file-backed page-cache mapping";
    if (m == Method::CopyFileRange)
      return "copy-file-range needs --source file: the kernel only copies between "
             "regular files (EINVAL otherwise)";
    if (m == Method::ODirect)
      return "o-direct needs --source file: /dev/zero cannot be opened with O_DIRECT "
             "(EINVAL)";
  }
  if (m == Method::CopyFileRange && sink != SinkType::File)
    return "copy-file-range needs --sink file: the kernel only copies between regular "
           "files (EINVAL otherwise)";
  if (m == Method::MsgZerocopy && sink != SinkType::Tcp)
    return "msg-zerocopy needs --sink tcp: this workload exercises MSG_ZEROCOPY on a TCP "
           "stream (AF_UNIX rejects SO_ZEROCOPY; files, pipes and /dev/null are not sockets)";
  return std::nullopt;
}

namespace {

void validate_sizes(const RunOptions& opt) {
  if (opt.bytes == 0)
    throw UsageError("--bytes must be greater than 0");
  if (opt.chunk == 0)
    throw UsageError("--chunk must be greater than 0");
  // Keeps every single data syscall below the kernel's MAX_RW_COUNT (~2 GiB).
  if (opt.chunk > (1ull << 30))
    throw UsageError("--chunk must be at most 1G");
  if (opt.method == Method::ODirect && (opt.bytes % 4096 != 0 || opt.chunk % 4096 != 0))
    throw UsageError("o-direct needs --bytes and --chunk to be multiples of 4096");
}

void validate_source(const RunOptions& opt) {
  if (opt.source == SourceType::Zero) {
    if (!opt.file.empty())
      throw UsageError("--file only applies to --source file");
    if (opt.cold)
      throw UsageError("--cold only applies to --source file");
    return;
  }
  if (opt.file.empty())
    throw UsageError("--source file needs --file PATH (create it with prepare)");
  struct stat st {};
  if (stat(opt.file.c_str(), &st) != 0)
    throw UsageError("source file " + opt.file + " does not exist (create it with prepare)");
  if (!S_ISREG(st.st_mode))
    throw UsageError("source " + opt.file + " is not a regular file");
  if (static_cast<uint64_t>(st.st_size) < opt.bytes)
    throw UsageError("source file " + opt.file + " has " + std::to_string(st.st_size) +
                     " bytes, fewer than --bytes " + std::to_string(opt.bytes));
}

}  // namespace

void validate_run(const RunOptions& opt) {
  if (auto why = combination_refusal(opt.method, opt.source, opt.sink))
    throw UsageError(*why);
  validate_sizes(opt);
  validate_source(opt);
  if (opt.sink == SinkType::File) {
    struct stat st {};
    if (stat(opt.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      throw UsageError("--dir " + opt.dir + " is not a directory");
  }
}

std::string combinations_help() {
  std::ostringstream out;
  out << "Methods:";
  for (Method m : all_methods())
    out << ' ' << name_of(m);
  out << "\nSinks:";
  for (SinkType s : all_sinks())
    out << ' ' << name_of(s);
  out << "\nSources: file zero\n\nCombinations (each cell: the sources allowed with that sink; - = "
         "refused):\n";
  out << "  method            ";
  for (SinkType s : all_sinks())
    out << ' ' << name_of(s) << std::string(10 - name_of(s).size(), ' ');
  out << '\n';
  for (Method m : all_methods()) {
    std::string name = name_of(m);
    out << "  " << name << std::string(18 - name.size(), ' ');
    for (SinkType s : all_sinks()) {
      std::string cell;
      for (SourceType src : all_sources())
        if (!combination_refusal(m, src, s))
          cell += (cell.empty() ? "" : "+") + name_of(src);
      if (cell.empty())
        cell = "-";
      out << ' ' << cell << std::string(10 - cell.size(), ' ');
    }
    out << '\n';
  }
  // Each distinct reason once; the table above already shows where it applies.
  std::set<std::string> reasons;
  for (Method m : all_methods())
    for (SourceType src : all_sources())
      for (SinkType s : all_sinks())
        if (auto why = combination_refusal(m, src, s))
          reasons.insert(*why);
  out << "\nWhy combinations are refused (exit 2):\n";
  for (const std::string& why : reasons)
    out << "  - " << why << '\n';
  out << "  Also refused: --cold or --file with --source zero; o-direct unless --bytes and\n"
         "  --chunk are multiples of 4096; a source file smaller than --bytes.\n"
         "  pread-pwrite pwrites only to the file sink and write()s to the others (sockets\n"
         "  and pipes refuse pwrite with ESPIPE), so it never pwrites to a non-seekable sink.\n";
  return out.str();
}

}  // namespace workload
