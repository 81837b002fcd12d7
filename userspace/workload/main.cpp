// zctrace-workload: moves N bytes from a source to a sink with one chosen transfer
// method and reports, as JSON, every data-moving syscall it made -- the ground truth a
// kernel tracer's counts are compared against.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "combinations.h"
#include "commands.h"
#include "errors.h"
#include "extents.h"

using namespace workload;

namespace {

const char* kReportRule =
    "\nReport: after the transfer the JSON document is written with ONE write() to\n"
    "--report PATH (default stdout). That write is the only data syscall not listed in\n"
    "the document; it is described under \"report_write\" (add 1 call and the\n"
    "document's length to write user-><kind of that fd>). Helper children send their\n"
    "records to the sender through a pipe; those writes and reads are in the document.\n";

template <typename E>
std::vector<std::string> names(const std::vector<E>& values) {
  std::vector<std::string> out;
  for (E v : values)
    out.push_back(name_of(v));
  return out;
}

template <typename E>
E from_name(const std::vector<E>& values, const std::string& name) {
  for (E v : values)
    if (name_of(v) == name)
      return v;
  throw UsageError("unknown name: " + name);
}

}  // namespace

int main(int argc, char** argv) {
  // Serve every allocation from the brk heap: no anonymous mmap()/munmap() by malloc,
  // so the only mmap/munmap calls a tracer sees are the recorded, file-backed ones.
  mallopt(M_MMAP_MAX, 0);

  CLI::App app{
      "Ground-truth reference workload for zctrace: moves data with one transfer "
      "method and prints every data syscall it made as JSON.",
      "zctrace-workload"};
  app.require_subcommand(1);

  std::string file, bytes_text = "64M", chunk_text = "64K";
  std::string method_name, sink_name, source_name = "file", report_path;
  RunOptions opt;

  CLI::App* prepare =
      app.add_subcommand("prepare", "create the source file and fsync it (run OUTSIDE tracing)");
  prepare->add_option("--file", file, "path of the file to create")->required();
  prepare->add_option("--bytes", bytes_text, "size, e.g. 8M (suffixes K/M/G, binary)")->capture_default_str();

  CLI::App* extents = app.add_subcommand(
      "extents", "print a file's size and the bytes of its extents it shares with another file (a reflink)");
  extents->add_option("--file", file, "the file")->required();

  CLI::App* run = app.add_subcommand("run", "do the transfer and print the JSON ground truth");
  run->add_option("--method", method_name, "transfer method")
      ->required()
      ->check(CLI::IsMember(names(all_methods())));
  run->add_option("--sink", sink_name, "where the data goes")
      ->required()
      ->check(CLI::IsMember(names(all_sinks())));
  run->add_option("--source", source_name, "file (--file) or zero (/dev/zero)")
      ->check(CLI::IsMember(names(all_sources())))
      ->capture_default_str();
  run->add_option("--file", file, "source file (made by prepare), at least --bytes long");
  run->add_option("--bytes", bytes_text, "how much to move (suffixes K/M/G)")->capture_default_str();
  run->add_option("--chunk", chunk_text, "at most this much per data syscall (suffixes K/M/G)")
      ->capture_default_str();
  run->add_flag("--cold", opt.cold, "drop the source file from the page cache first (POSIX_FADV_DONTNEED)");
  run->add_option("--dir", opt.dir, "directory for the file sink's destination (removed afterwards)")
      ->capture_default_str();
  run->add_option("--report", report_path, "write the JSON here instead of stdout");
  run->footer(combinations_help() + kReportRule);
  app.footer(combinations_help() + kReportRule);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fprintf(stderr, "zctrace-workload: error: %s (see --help)\n", e.what());
    return 2;
  }

  try {
    if (prepare->parsed()) {
      prepare_command(file, parse_size(bytes_text));
    } else if (extents->parsed()) {
      extents_command(file);
    } else {
      opt.method = from_name(all_methods(), method_name);
      opt.sink = from_name(all_sinks(), sink_name);
      opt.source = from_name(all_sources(), source_name);
      opt.file = file;
      opt.bytes = parse_size(bytes_text);
      opt.chunk = parse_size(chunk_text);
      if (!report_path.empty())
        opt.report_path = report_path;
      run_command(opt);
    }
  } catch (const UsageError& e) {
    fprintf(stderr, "zctrace-workload: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fprintf(stderr, "zctrace-workload: failed: %s\n", e.what());
    return 1;
  }
  return 0;
}
