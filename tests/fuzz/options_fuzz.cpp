// Fuzz target: the command line. ParseOptions must never crash, hang or throw, and what it returns must
// be something main() can act on without further checks.
//
// Input: the arguments (without argv[0]). An input that contains a NUL byte is split on NUL only, as
// the kernel hands argv over, so that arguments can contain newlines; any other input is split on
// newlines, so that seeds are plain text files with one argument per line. A trailing separator ends
// the last argument rather than starting an empty one.
#include <cmath>
#include <string>
#include <vector>

#include "fuzz_input.h"
#include "options.h"

namespace zctrace::fuzz {
namespace {

std::vector<std::string> SplitArgs(const uint8_t* data, size_t size) {
  const char* text = reinterpret_cast<const char*>(data);
  const std::string input(text, text + size);
  const char separator = input.find('\0') != std::string::npos ? '\0' : '\n';
  std::vector<std::string> args;
  size_t start = 0;
  while (start < input.size()) {
    size_t end = input.find(separator, start);
    if (end == std::string::npos)
      end = input.size();
    args.push_back(input.substr(start, end - start));
    start = end + 1;
  }
  return args;
}

std::string Describe(const std::vector<std::string>& args, const ParseResult& r) {
  std::string s = "args:";
  for (const std::string& a : args)
    s += " '" + Escaped(a) + "'";
  s += "\nexit_code: " + std::to_string(r.exit_code) + (r.options ? " (options set)" : " (no options)");
  s += "\noutput: '" + Escaped(r.output) + "'";
  return s;
}

void CheckTraceOptions(const Options& o, const std::string& context) {
  // main() traces one kind of target: PIDs, a cgroup, a name, everything, or else the command it runs (with
  // a target, the command is how long); two, or none, would leave it guessing.
  const int targets = (o.pids.empty() ? 0 : 1) + (o.cgroup ? 1 : 0) + (o.comm ? 1 : 0) + (o.all ? 1 : 0);
  ZC_FUZZ_CHECK(targets == 1 || (targets == 0 && !o.command.empty()), context);
  if (o.comm)  // the kernel keeps 15 bytes of a name: a longer one would never match
    ZC_FUZZ_CHECK(!o.comm->empty() && o.comm->size() <= 15, context);
  for (int pid : o.pids)
    ZC_FUZZ_CHECK(pid > 0, context);  // 0 and negative PIDs mean process groups to kill(2) and friends
  if (o.duration_s)
    ZC_FUZZ_CHECK(std::isfinite(*o.duration_s) && *o.duration_s > 0, context);
  if (o.json_path)
    ZC_FUZZ_CHECK(!o.json_path->empty(), context);
  if (o.run_as)  // -u drops root for a command zctrace starts; it cannot apply to running PIDs
    ZC_FUZZ_CHECK(!o.run_as->empty() && !o.command.empty() && targets == 0, context);
  ZC_FUZZ_CHECK(o.max_processes >= 1, context);
  ZC_FUZZ_CHECK(o.max_paths >= 16, context);
}

}  // namespace
}  // namespace zctrace::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zctrace;
  using namespace zctrace::fuzz;
  const std::vector<std::string> args = SplitArgs(data, size);
  const ParseResult r = ParseOptions(args);
  const std::string context = Describe(args, r);

  if (!r.options) {
    ZC_FUZZ_CHECK(r.exit_code == 0 || r.exit_code == 2, context);
    ZC_FUZZ_CHECK(!r.output.empty(), context);  // help, the version, or the error: never silence
    if (r.exit_code == 2) {
      // Usage errors are one line on stderr, recognisably ours.
      ZC_FUZZ_CHECK(r.output.rfind("zctrace: ", 0) == 0, context);
      ZC_FUZZ_CHECK(r.output.find('\n') == std::string::npos, context);
    }
    return 0;
  }
  ZC_FUZZ_CHECK(r.exit_code == 0, context);
  const Options& o = *r.options;
  switch (o.mode) {
    case Options::Mode::kTrace:
    case Options::Mode::kTop:
      CheckTraceOptions(o, context);
      break;
    case Options::Mode::kCheck:
      CheckTraceOptions(o, context);
      // The gate compares flows against this bar: NaN would compare false and pass every flow.
      ZC_FUZZ_CHECK(std::isfinite(o.check.max_cpu_copies_per_byte) && o.check.max_cpu_copies_per_byte >= 0 &&
                        o.check.max_cpu_copies_per_byte <= 16,
                    context);
      break;
    case Options::Mode::kDemo:
      ZC_FUZZ_CHECK(!o.demo.sinks.empty(), context);
      for (const std::string& sink : o.demo.sinks) {
        ZC_FUZZ_CHECK(sink == "tcp" || sink == "unix" || sink == "file" || sink == "pipe" || sink == "null",
                      context);
      }
      if (o.demo.json_path)
        ZC_FUZZ_CHECK(!o.demo.json_path->empty(), context);
      break;
  }
  return 0;
}
