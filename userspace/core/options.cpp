#include "options.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>

namespace zctrace {
namespace {

constexpr double kMaxDurationS = 366.0 * 24 * 3600;  // a year: beyond that a typo is likelier than intent
constexpr const char* kVersion = "zctrace 0.1.0";

ParseResult UsageError(const std::string& message) {
  return {std::nullopt, 2, "zctrace: " + message + " (see zctrace --help)"};
}

// "a,b,,c" → {"a", "b", "", "c"}: empty items are kept so that callers can reject them.
std::vector<std::string> SplitCommas(const std::string& list) {
  std::vector<std::string> items;
  size_t start = 0;
  for (;;) {
    const size_t comma = list.find(',', start);
    items.push_back(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos)
      return items;
    start = comma + 1;
  }
}

ParseResult ParseDemo(const std::vector<std::string>& args) {
  CLI::App app{
      "zctrace demo — moves the same file by every transfer method, each under tracing, and prints "
      "what each cost side by side: the four-copy model measured on this kernel.",
      "zctrace demo"};
  Options opts;
  opts.mode = Options::Mode::kDemo;
  std::string json_path, sinks;
  app.add_option("--json", json_path, "write the table as JSON to FILE ('-' for stdout)");
  app.add_option("--bytes", opts.demo.bytes, "bytes per transfer (K/M/G suffixes; default 64M)");
  app.add_option("--chunk", opts.demo.chunk, "chunk size (default 64K)");
  app.add_option("--sinks", sinks, "comma-separated sinks: tcp, unix, file, pipe, null (default tcp,file)");
  app.add_option("--dir", opts.demo.dir,
                 "directory for the source file and the file sink (default /var/tmp)");
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    return {std::nullopt, 0, app.help()};
  } catch (const CLI::ParseError& e) {
    return UsageError(std::string("demo: ") + e.what());
  }
  if (app.count("--json")) {
    if (json_path.empty())
      return UsageError("demo: --json needs a file name or '-'");
    opts.demo.json_path = json_path;
  }
  if (!sinks.empty()) {
    opts.demo.sinks = SplitCommas(sinks);
    for (const std::string& sink : opts.demo.sinks) {
      if (sink != "tcp" && sink != "unix" && sink != "file" && sink != "pipe" && sink != "null") {
        return UsageError("demo: unknown sink '" + sink + "'");
      }
    }
  }
  ParseResult result;
  result.options = std::move(opts);
  return result;
}

}  // namespace

ParseResult ParseOptions(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "demo")
    return ParseDemo({args.begin() + 1, args.end()});

  // Everything after the first "--" is the command to run, verbatim: it is never parsed as our options.
  auto dashdash = std::find(args.begin(), args.end(), "--");
  std::vector<std::string> own(args.begin(), dashdash);
  Options opts;
  if (dashdash != args.end())
    opts.command.assign(dashdash + 1, args.end());

  CLI::App app{
      "zctrace — how a process moves bytes, from the kernel's view: CPU copies, DMA copies and "
      "user/kernel mode switches per path, against the four-copy model.",
      "zctrace"};
  app.footer(
      "Usage:\n  zctrace -p PID[,PID...] [-d SECONDS] [OPTIONS]   trace running processes\n"
      "  zctrace [OPTIONS] -- CMD [ARGS...]              run CMD and trace it and its children\n"
      "  zctrace demo [--json FILE]                      every transfer method side by side (see demo "
      "--help)\n"
      "Needs root (or CAP_BPF and CAP_PERFMON). Exit status: the command's with --, else 0; 1 on errors, 2 "
      "on "
      "usage errors.");
  std::string pid_list;
  double duration = 0;
  bool no_follow = false;
  std::string json_path;
  app.add_option("-p,--pid", pid_list, "trace these processes (comma-separated), with all their threads");
  app.add_option("-d,--duration", duration,
                 "stop after SECONDS (default: until the command or targets exit, or Ctrl-C)");
  app.add_option("--json", json_path, "write the report as JSON to FILE ('-' for stdout)");
  app.add_flag("-q,--quiet", opts.quiet, "no text report");
  app.add_flag("--no-follow", no_follow, "do not trace the children the targets fork");
  app.add_option("--max-processes", opts.max_processes, "process table size (kernel map)")
      ->check(CLI::Range(1u, 1u << 20));
  app.add_option("--max-paths", opts.max_paths, "path table size (kernel map)")
      ->check(CLI::Range(16u, 1u << 22));
  app.set_version_flag("-V,--version", kVersion);

  std::vector<std::string> reversed(own.rbegin(), own.rend());  // CLI11 consumes a reversed vector
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    return {std::nullopt, 0, app.help()};
  } catch (const CLI::CallForVersion&) {
    return {std::nullopt, 0, kVersion};
  } catch (const CLI::ParseError& e) {
    return UsageError(e.what());
  }

  if (!pid_list.empty()) {
    size_t start = 0;
    while (start <= pid_list.size()) {
      size_t comma = pid_list.find(',', start);
      if (comma == std::string::npos)
        comma = pid_list.size();
      std::string item = pid_list.substr(start, comma - start);
      if (item.empty() || item.size() > 9 || !std::all_of(item.begin(), item.end(), ::isdigit) ||
          std::stol(item) <= 0) {
        return UsageError("invalid PID '" + item + "' in -p");
      }
      opts.pids.push_back(static_cast<int>(std::stol(item)));
      start = comma + 1;
    }
  }
  if (app.count("--duration")) {
    if (!std::isfinite(duration) || duration <= 0 || duration > kMaxDurationS) {
      return UsageError("-d needs a duration in seconds, greater than 0 and at most a year");
    }
    opts.duration_s = duration;
  }
  if (app.count("--json")) {
    if (json_path.empty())
      return UsageError("--json needs a file name or '-'");
    opts.json_path = json_path;
  }
  opts.follow_children = !no_follow;

  const bool have_command = dashdash != args.end();
  if (have_command && opts.command.empty())
    return UsageError("nothing to run after '--'");
  if (have_command == !opts.pids.empty()) {
    return UsageError(have_command ? "give either -p PID or -- CMD, not both"
                                   : "give -p PID or -- CMD: what should be traced?");
  }
  ParseResult result;
  result.options = std::move(opts);
  return result;
}

}  // namespace zctrace
