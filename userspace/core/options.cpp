#include "options.h"

#include "flows.h"
#include "targets.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string_view>

namespace zctrace {
namespace {

constexpr double kMaxDurationS = 366.0 * 24 * 3600;  // a year: beyond that a typo is likelier than intent
constexpr const char* kVersion = "zctrace " ZCTRACE_VERSION;

// isdigit() on a plain char is undefined for bytes >= 0x80.
bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// An error is one line whatever the user typed: control characters in echoed arguments are escaped.
std::string OneLine(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

ParseResult UsageError(const std::string& message) {
  return {std::nullopt, 2, "zctrace: " + OneLine(message) + " (see zctrace --help)"};
}

// One usage text, ours, where CLI11 would print its generated "Usage: zctrace [OPTIONS]" line.
class UsageFormatter : public CLI::Formatter {
 public:
  explicit UsageFormatter(std::string usage) : usage_(std::move(usage)) {}
  std::string make_usage(const CLI::App*, std::string) const override { return usage_ + "\n"; }

 private:
  std::string usage_;
};

// Parses args (CLI11 takes them reversed); unexpected arguments are named in the order they were typed.
// Empty: parsed; else the result to return (help, version, or a usage error).
std::optional<ParseResult> Parse(CLI::App& app, const std::vector<std::string>& args,
                                 const std::string& what) {
  app.allow_extras();
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    return ParseResult{std::nullopt, 0, app.help()};
  } catch (const CLI::CallForVersion&) {
    return ParseResult{std::nullopt, 0, kVersion};
  } catch (const CLI::ParseError& e) {
    return UsageError(what + e.what());
  }
  const std::vector<std::string> extra = app.remaining();
  if (!extra.empty()) {
    std::string listed;
    for (const std::string& a : extra)
      listed += (listed.empty() ? "" : " ") + a;
    const bool option = extra[0].rfind('-', 0) == 0, several = extra.size() > 1;
    return UsageError(what + (option ? "unknown option" : "unexpected argument") + (several ? "s: " : ": ") +
                      listed);
  }
  return std::nullopt;
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

// "64M", "1G", "4096": bytes, with binary K/M/G suffixes.
std::optional<uint64_t> ParseSize(const std::string& text) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0])))
    return std::nullopt;
  size_t used = 0;
  unsigned long long value = 0;
  try {
    value = std::stoull(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const std::string suffix = text.substr(used);
  int shift = 0;
  if (suffix == "K" || suffix == "k")
    shift = 10;
  else if (suffix == "M" || suffix == "m")
    shift = 20;
  else if (suffix == "G" || suffix == "g")
    shift = 30;
  else if (!suffix.empty())
    return std::nullopt;
  if (value > (~0ull >> shift))
    return std::nullopt;
  return static_cast<uint64_t>(value) << shift;
}

ParseResult ParseDemo(const std::vector<std::string>& args) {
  CLI::App app{
      "zctrace demo — moves the same file by every transfer method, each under tracing, and prints "
      "what each cost side by side: the four-copy model measured on this kernel.",
      "zctrace demo"};
  Options opts;
  opts.mode = Options::Mode::kDemo;
  std::string json_path, sinks;
  app.formatter(std::make_shared<UsageFormatter>(
      "Usage: zctrace demo [--json FILE] [--bytes SIZE] [--chunk SIZE] [--sinks LIST] [--dir DIR]"));
  app.add_option("--json", json_path, "write the table as JSON to FILE ('-' for stdout)")->type_name("FILE");
  app.add_option("--bytes", opts.demo.bytes, "bytes per transfer (K/M/G suffixes; default 64M)")
      ->type_name("SIZE");
  app.add_option("--chunk", opts.demo.chunk, "chunk size (default 64K)")->type_name("SIZE");
  app.add_option("--sinks", sinks, "comma-separated sinks: tcp, unix, file, pipe, null (default tcp,file)")
      ->type_name("LIST");
  app.add_option("--dir", opts.demo.dir, "directory for the source file and the file sink (default /var/tmp)")
      ->type_name("DIR");
  app.set_version_flag("-V,--version", kVersion);
  if (auto done = Parse(app, args, "demo: "))
    return *done;
  // sizes checked here, before any transfer runs: a bad one is a usage error, not a failed demo
  const std::optional<uint64_t> bytes = ParseSize(opts.demo.bytes), chunk = ParseSize(opts.demo.chunk);
  if (!bytes || *bytes == 0 || *bytes > (uint64_t{64} << 30))
    return UsageError("demo: --bytes needs a size from 1 to 64G, such as 64M, not '" + opts.demo.bytes + "'");
  if (!chunk || *chunk == 0 || *chunk > (uint64_t{1} << 30))
    return UsageError("demo: --chunk needs a size from 1 to 1G, such as 64K, not '" + opts.demo.chunk + "'");
  if (*chunk > *bytes)
    return UsageError("demo: --chunk is larger than --bytes");
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

// The options shared by tracing and `check`: what to trace, for how long, where the JSON goes.
struct TraceFlags {
  std::vector<std::string> pid_lists;
  std::string cgroup;
  std::string comm;
  std::string top_sort = "cpu-copied";
  std::string top_group = "pid";
  double duration = 0;
  bool no_follow = false;
  std::string json_path;
  std::string user;
  double interval = 0;
  std::string json_lines;
  std::string prometheus;
  std::string copy_mode = "auto";
  std::string folded;
  std::string pprof;
};

void AddTraceOptions(CLI::App& app, Options& opts, TraceFlags& flags) {
  app.add_option("-p,--pid", flags.pid_lists,
                 "trace these processes (commas or spaces between; may repeat), with all their threads and "
                 "descendants")
      ->allow_extra_args(false)
      ->type_name("PID");
  app.add_option(
         "--cgroup", flags.cgroup,
         "trace every process in this cgroup v2 and the cgroups below it, also those that enter later: "
         "a path (/system.slice/nginx.service, or under the cgroup2 mount) or a unit name (nginx.service)")
      ->type_name("PATH|UNIT");
  app.add_flag("-a,--all", opts.all,
               "trace every process on the machine (the processes that start later too); with -- CMD, while "
               "CMD runs");
  app.add_option("--comm", flags.comm,
                 "trace every process of this name (as in /proc/PID/comm), also those that exec it later")
      ->type_name("NAME");
  app.add_option(
         "-d,--duration", flags.duration,
         "stop after SECONDS (default: until the command or targets exit, or Ctrl-C); with -p, --cgroup, "
         "--comm or -a, -- CMD also ends tracing when CMD exits (CMD itself is not traced, but with -a)")
      ->type_name("SECONDS");
  app.add_option("--json", flags.json_path, "write the report as JSON to FILE ('-' for stdout)")
      ->type_name("FILE");
  app.add_flag("-q,--quiet", opts.quiet, "no text report (with --json, --json-lines or --prometheus)");
  app.add_flag("--no-children,--no-follow", flags.no_follow,
               "trace the targets only: not their descendants, nor the children they fork");
  app.add_option("--interval", flags.interval, "a refreshed view every SECONDS while tracing")
      ->type_name("SECONDS");
  app.add_option("--json-lines", flags.json_lines,
                 "one JSON record per interval (deltas and running totals) to FILE ('-' for stdout)")
      ->type_name("FILE");
  app.add_option("--prometheus", flags.prometheus,
                 "serve /metrics on [ADDR:]PORT while tracing (default 127.0.0.1)")
      ->type_name("[ADDR:]PORT");
  app.add_flag("--prometheus-pid-label", opts.prometheus_pid_label,
               "add a pid label to the metrics (unbounded cardinality: for short runs only)");
  app.add_flag("--connections", opts.per_connection,
               "text report: list each grouped flow's connections (the JSON report always has them)");
  app.add_option("-u,--user", flags.user,
                 "with --: run the command as USER (name or uid), so it does not inherit root")
      ->type_name("USER");
  app.add_option("--mode", flags.copy_mode,
                 "CPU copies: precise (hook the kernel's copy functions: needs fentry), model (from the "
                 "path), or auto (precise where the kernel allows it; the default)")
      ->type_name("MODE");
  app.add_flag("--stacks", opts.stacks,
               "where in the program: the user call stack of every data call, counted in the kernel "
               "(costs each traced data call a stack walk); the report names each flow's top call sites");
  app.add_option("--folded", flags.folded,
                 "with --stacks implied: write folded stacks to FILE (flamegraph.pl, inferno, speedscope), "
                 "CPU-copied bytes as the count")
      ->type_name("FILE");
  app.add_option("--pprof", flags.pprof,
                 "with --stacks implied: write a pprof profile to FILE (gzip'd profile.proto; sample types "
                 "cpu_copied_bytes, bytes, calls, mode_switches)")
      ->type_name("FILE");
  app.add_flag("--self-cost", opts.self_cost,
               "report what tracing costs, measured: zctrace's BPF run time and runs (the kernel's run-time "
               "statistics, on while it traces: two clock reads per BPF program run) and its own CPU time");
  app.add_option("--max-processes", opts.max_processes, "process table size (kernel map; 1 to 1048576)")
      ->type_name("N");
  app.add_option("--max-paths", opts.max_paths,
                 "path, flow and endpoint table sizes (kernel maps; 16 to 4194304)")
      ->type_name("N");
}

// Validates what CLI11 cannot: PID lists, durations, and that exactly one of -p and -- is given.
std::optional<ParseResult> FinishTraceOptions(const CLI::App& app, Options& opts, const TraceFlags& flags,
                                              bool have_command) {
  for (const std::string& list : flags.pid_lists) {
    const std::vector<std::string> items = SplitPidList(list);
    if (items.empty())
      return UsageError("-p needs a PID");
    for (const std::string& item : items) {
      if (item.empty() || item.size() > 9 || !std::all_of(item.begin(), item.end(), IsDigit) ||
          std::stol(item) <= 0)
        return UsageError("invalid PID '" + item + "' in -p");
      const int pid = static_cast<int>(std::stol(item));
      if (std::find(opts.pids.begin(), opts.pids.end(), pid) == opts.pids.end())
        opts.pids.push_back(pid);
    }
  }
  if (app.count("--cgroup")) {
    if (flags.cgroup.empty())
      return UsageError("--cgroup needs a cgroup path or a unit name");
    opts.cgroup = flags.cgroup;
  }
  if (app.count("--comm")) {
    if (flags.comm.empty() || flags.comm.size() > 15)
      return UsageError("--comm needs a process name of 1 to 15 characters (the kernel keeps 15)");
    opts.comm = flags.comm;
  }
  if (app.count("--duration")) {
    if (!std::isfinite(flags.duration) || flags.duration <= 0 || flags.duration > kMaxDurationS) {
      return UsageError("-d needs a duration in seconds, greater than 0 and at most a year");
    }
    opts.duration_s = flags.duration;
  }
  if (app.count("--json")) {
    if (flags.json_path.empty())
      return UsageError("--json needs a file name or '-'");
    opts.json_path = flags.json_path;
  }
  opts.follow_children = !flags.no_follow;
  if (opts.max_processes < 1 || opts.max_processes > (1u << 20))
    return UsageError("--max-processes needs a number from 1 to 1048576");
  if (opts.max_paths < 16 || opts.max_paths > (1u << 22))
    return UsageError("--max-paths needs a number from 16 to 4194304");
  static const std::map<std::string, CopyMode> kCopyModes = {
      {"auto", CopyMode::kAuto}, {"precise", CopyMode::kPrecise}, {"model", CopyMode::kModel}};
  if (auto mode = kCopyModes.find(flags.copy_mode); mode != kCopyModes.end())
    opts.copy_mode = mode->second;
  else
    return UsageError("--mode must be auto, precise or model, not '" + flags.copy_mode + "'");
  if (app.count("--folded")) {
    if (flags.folded.empty())
      return UsageError("--folded needs a file name or '-'");
    opts.folded_path = flags.folded;
    opts.stacks = true;
  }
  if (app.count("--pprof")) {
    if (flags.pprof.empty() || flags.pprof == "-")
      return UsageError("--pprof needs a file name (the profile is binary)");
    opts.pprof_path = flags.pprof;
    opts.stacks = true;
  }
  if (app.count("--interval")) {
    if (!std::isfinite(flags.interval) || flags.interval < 0.1 || flags.interval > 86400)
      return UsageError("--interval needs seconds between 0.1 and 86400");
    opts.interval_s = flags.interval;
  }
  if (app.count("--json-lines")) {
    if (flags.json_lines.empty())
      return UsageError("--json-lines needs a file name or '-'");
    opts.json_lines_path = flags.json_lines;
    if (flags.json_lines == "-" && app.count("--json") && flags.json_path == "-")
      return UsageError("--json - and --json-lines - cannot both write to stdout");
    if (!opts.interval_s)
      opts.interval_s = 1.0;  // a record per second unless told otherwise
  }
  if (app.count("--prometheus")) {
    const size_t colon = flags.prometheus.rfind(':');
    const std::string host = colon == std::string::npos ? "127.0.0.1" : flags.prometheus.substr(0, colon);
    const std::string port =
        colon == std::string::npos ? flags.prometheus : flags.prometheus.substr(colon + 1);
    if (host.empty() || port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), IsDigit) ||
        std::stoul(port) == 0 || std::stoul(port) > 65535) {
      return UsageError("--prometheus needs [ADDR:]PORT, e.g. 9435 or 0.0.0.0:9435");
    }
    opts.prometheus_host = host;
    opts.prometheus_port = static_cast<uint16_t>(std::stoul(port));
  }
  // -q with nothing else to show would trace and print nothing; check's exit status is its output
  if (opts.quiet && opts.mode == Options::Mode::kTrace && !opts.json_path && !opts.json_lines_path &&
      !opts.prometheus_host && !opts.folded_path && !opts.pprof_path)
    return UsageError(
        "-q leaves no output: add --json FILE, --json-lines FILE, --prometheus PORT, --folded FILE or "
        "--pprof FILE");
  // two outputs into one file (or both to stdout) would leave one of them, or neither, readable
  const std::pair<const char*, const std::optional<std::string>*> outputs[] = {
      {"--json", &opts.json_path},
      {"--json-lines", &opts.json_lines_path},
      {"--folded", &opts.folded_path},
      {"--pprof", &opts.pprof_path}};
  for (size_t a = 0; a < std::size(outputs); ++a) {
    for (size_t b = a + 1; b < std::size(outputs); ++b) {
      if (*outputs[a].second && *outputs[a].second == *outputs[b].second)
        return UsageError(std::string(outputs[a].first) + " and " + outputs[b].first +
                          " cannot both write to " +
                          (**outputs[a].second == "-" ? "stdout" : "the same file"));
    }
  }
  if (opts.prometheus_pid_label && !opts.prometheus_host)
    return UsageError("--prometheus-pid-label goes with --prometheus");
  if (app.count("--user")) {
    if (!have_command)
      return UsageError("-u runs a command as another user: it needs -- CMD");
    if (flags.user.empty())
      return UsageError("-u needs a user name or uid");
    opts.run_as = flags.user;
  }
  if (have_command && opts.command.empty())
    return UsageError("nothing to run after '--'");
  if (opts.mode == Options::Mode::kTop) {
    if (have_command)
      return UsageError("top watches running processes: no -- CMD");
    if (opts.stacks)
      return UsageError("--stacks, --folded and --pprof go with a report, not with top");
    if (opts.pids.empty() && !opts.cgroup && !opts.comm)
      opts.all = true;  // top, as is: the whole machine
    if (!ParseTopSort(flags.top_sort, &opts.top_sort))
      return UsageError("--sort must be cpu-copied, bytes, switches or dma, not '" + flags.top_sort + "'");
    if (!ParseTopGroup(flags.top_group, &opts.top_group))
      return UsageError("--by must be pid, comm or cgroup, not '" + flags.top_group + "'");
    if (!opts.interval_s)
      opts.interval_s = 1.0;
  }
  // With a target, -- CMD says how long: -a -- CMD the whole machine while CMD runs (as `perf record -a --
  // sleep 10`), -p PID -- CMD that process while CMD (a load generator, say) runs, CMD itself untraced.
  const int targets =
      (opts.pids.empty() ? 0 : 1) + (opts.cgroup ? 1 : 0) + (opts.comm ? 1 : 0) + (opts.all ? 1 : 0);
  if (targets > 1)
    return UsageError("give one of -p PID, --cgroup, --comm or -a, not several");
  if (targets == 0 && !have_command)
    return UsageError("give -p PID, --cgroup PATH, --comm NAME, -a or -- CMD: what should be traced?");
  if (targets && opts.run_as)
    return UsageError("-u runs the traced command as another user: not with -p, --cgroup, --comm or -a");
  return std::nullopt;
}

}  // namespace

const char* ToolVersion() {
  return ZCTRACE_VERSION;
}

ParseResult ParseOptions(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "demo")
    return ParseDemo({args.begin() + 1, args.end()});
  const bool check = !args.empty() && args[0] == "check";
  const bool top = !args.empty() && args[0] == "top";
  const std::vector<std::string> rest(args.begin() + (check || top ? 1 : 0), args.end());

  // Everything after the first "--" is the command to run, verbatim: it is never parsed as our options.
  auto dashdash = std::find(rest.begin(), rest.end(), "--");
  std::vector<std::string> own(rest.begin(), dashdash);
  Options opts;
  if (check)
    opts.mode = Options::Mode::kCheck;
  if (top)
    opts.mode = Options::Mode::kTop;
  if (dashdash != rest.end())
    opts.command.assign(dashdash + 1, rest.end());

  CLI::App app{
      check ? "zctrace check — trace, then exit 0 when the bulk flows meet the bar (by default: no CPU "
              "copy), 1 when they do not, 2 on usage or tracing errors. For CI pipelines."
      : top ? "zctrace top — every process on the machine (or those given), ranked live by what it costs per "
              "second: bytes the CPU copied, bytes moved, mode switches or DMA. Keys: c b s d sort, g "
              "groups, q quits."
            : "zctrace — how a process moves bytes, from the kernel's view: CPU copies, DMA copies and "
              "user/kernel mode switches per path, against the four-copy model.",
      check ? "zctrace check"
      : top ? "zctrace top"
            : "zctrace"};
  app.formatter(std::make_shared<UsageFormatter>(
      check ? "Usage: zctrace check [--max-cpu-copies-per-byte R] [--min-bytes SIZE] [--expect METHOD] "
              "[--json FILE]\n"
              "                     (-p PID | --cgroup PATH | --comm NAME) -d SECONDS | -- CMD [ARGS...]"
      : top ? "Usage: zctrace top [--sort KEY] [--by pid|comm|cgroup] [-p PID | --cgroup PATH | --comm NAME]"
            : "Usage:\n"
              "  zctrace -p PID[,PID...] [-d SECONDS] [OPTIONS]   trace running processes and their "
              "descendants\n"
              "  zctrace --cgroup PATH|UNIT [-d SECONDS]         every process in a cgroup (or service)\n"
              "  zctrace --comm NAME [-d SECONDS]                every process of that name\n"
              "  zctrace [OPTIONS] -- CMD [ARGS...]              run CMD and trace it and its children\n"
              "  zctrace -a [-d SECONDS]                         every process on the machine: a report\n"
              "  zctrace demo [--json FILE]                      every transfer method side by side\n"
              "  zctrace check [OPTIONS] (-p PID -d S | -- CMD)  CI gate: fail on CPU copies\n"
              "  zctrace top [--sort KEY] [--by pid|comm|cgroup] every process, ranked live (q quits)"));
  app.footer(
      "Needs root (or CAP_BPF and CAP_PERFMON). Exit status: the command's with --, else 0; 1 on errors, "
      "2 on usage errors.");
  TraceFlags flags;
  AddTraceOptions(app, opts, flags);
  if (top) {
    app.add_option("--sort", flags.top_sort,
                   "rank by cpu-copied (the default), bytes, switches or dma, per second")
        ->type_name("KEY");
    app.add_option("--by", flags.top_group, "a row per pid (the default), comm (process name) or cgroup")
        ->type_name("GROUP");
  }
  std::string min_bytes = "1M";
  if (check) {
    app.add_option("--max-cpu-copies-per-byte", opts.check.max_cpu_copies_per_byte,
                   "the bar: CPU copies per byte a bulk flow may cost (0 to 16; default 0)")
        ->type_name("R");
    app.add_option("--min-bytes", min_bytes, "flows of at least this many bytes are bulk (K/M/G; default 1M)")
        ->type_name("SIZE");
    app.add_option("--expect", opts.check.expect,
                   "every bulk flow must use this method (sendfile, splice, read+write, mmap+write, ...), or "
                   "zero-copy: every bulk flow must ask the kernel for zero copy (sendfile, splice, "
                   "MSG_ZEROCOPY, io_uring SEND_ZC, copy_file_range, O_DIRECT) and get it")
        ->type_name("METHOD");
  }
  app.set_version_flag("-V,--version", kVersion);

  if (auto done = Parse(app, own, check ? "check: " : top ? "top: " : ""))
    return *done;
  if (auto error = FinishTraceOptions(app, opts, flags, dashdash != rest.end()))
    return *error;
  if (check) {
    // CLI::Range lets NaN through (every comparison with it is false), and a NaN bar passes everything
    if (!std::isfinite(opts.check.max_cpu_copies_per_byte) || opts.check.max_cpu_copies_per_byte < 0 ||
        opts.check.max_cpu_copies_per_byte > 16)
      return UsageError("--max-cpu-copies-per-byte needs a number between 0 and 16");
    const std::optional<uint64_t> size = ParseSize(min_bytes);
    if (!size)
      return UsageError("--min-bytes needs a size such as 1048576, 64K or 1M");
    opts.check.min_bytes = *size;
    if (opts.check.expect) {
      const std::vector<std::string_view> methods = FlowMethodNames();
      if (*opts.check.expect != kExpectZeroCopy &&
          std::find(methods.begin(), methods.end(), *opts.check.expect) == methods.end()) {
        std::string known(kExpectZeroCopy);
        for (std::string_view m : methods)
          known += ", " + std::string(m);
        return UsageError("--expect " + *opts.check.expect + ": not a method zctrace knows (" + known + ")");
      }
    }
  }
  ParseResult result;
  result.options = std::move(opts);
  return result;
}

}  // namespace zctrace
