#include <gtest/gtest.h>

#include "options.h"

namespace zctrace {
namespace {

ParseResult Parse(std::vector<std::string> args) {
  return ParseOptions(args);
}

TEST(Options, PidsAndDuration) {
  const ParseResult r = Parse({"-p", "12,34", "-d", "2.5", "--json", "out.json"});
  ASSERT_TRUE(r.options);
  EXPECT_EQ(r.options->pids, (std::vector<int>{12, 34}));
  EXPECT_DOUBLE_EQ(*r.options->duration_s, 2.5);
  EXPECT_EQ(*r.options->json_path, "out.json");
  EXPECT_TRUE(r.options->command.empty());
  EXPECT_TRUE(r.options->follow_children);
}

TEST(Options, PidsRepeatAndTakeSpacesAsFromPidof) {
  const ParseResult r = Parse({"-p", "12 34", "-p", "56,12", "--no-children"});
  ASSERT_TRUE(r.options) << r.output;
  EXPECT_EQ(r.options->pids, (std::vector<int>{12, 34, 56}));
  EXPECT_FALSE(r.options->follow_children);
}

TEST(Options, CgroupOrCommIsATarget) {
  const ParseResult cgroup = Parse({"--cgroup", "nginx.service", "-d", "5"});
  ASSERT_TRUE(cgroup.options) << cgroup.output;
  EXPECT_EQ(*cgroup.options->cgroup, "nginx.service");
  const ParseResult comm = Parse({"check", "--comm", "nginx", "-d", "5"});
  ASSERT_TRUE(comm.options) << comm.output;
  EXPECT_EQ(*comm.options->comm, "nginx");
  const ParseResult all = Parse({"-a", "--", "sleep", "1"});  // the machine while the command runs
  ASSERT_TRUE(all.options) << all.output;
  EXPECT_TRUE(all.options->all);
  // a process while a command runs (a load generator): the command is the duration, not a target
  const ParseResult during = Parse({"-p", "1", "--", "wrk", "-c16", "http://127.0.0.1/"});
  ASSERT_TRUE(during.options) << during.output;
  EXPECT_EQ(during.options->pids, std::vector<int>{1});
  EXPECT_EQ(during.options->command.front(), "wrk");
  const ParseResult top = Parse({"top"});  // top, as is: the whole machine, every second
  ASSERT_TRUE(top.options) << top.output;
  EXPECT_TRUE(top.options->all);
  EXPECT_EQ(*top.options->interval_s, 1.0);
}

TEST(Options, CommandAfterDashDashIsVerbatim) {
  const ParseResult r = Parse({"-q", "--json", "-", "--no-follow", "--", "dd", "-p", "--json", "--"});
  ASSERT_TRUE(r.options);
  EXPECT_EQ(r.options->command, (std::vector<std::string>{"dd", "-p", "--json", "--"}));
  EXPECT_TRUE(r.options->pids.empty());
  EXPECT_TRUE(r.options->quiet);
  EXPECT_FALSE(r.options->follow_children);
}

TEST(Options, UsageErrorsAreOneLineWithExitTwo) {
  const std::vector<std::vector<std::string>> bad = {
      {},                                           // nothing to trace
      {"-p", "1", "-a"},                            // two kinds of target
      {"--"},                                       // empty command
      {"-p", "abc"},                                // junk pid
      {"-p", "1,,2"},                               // empty item
      {"-p", "-5"},                                 // negative
      {"-p", "0"},                                  // zero
      {"-p", "99999999999"},                        // overflow
      {"-p", "1", "-d", "-1"},                      // negative duration
      {"-p", "1", "-d", "0"},                       // zero duration
      {"-p", "1", "-d", "nan"},                     // not a number
      {"-p", "1", "-d", "1e300"},                   // absurd
      {"-p", "1", "--bogus"},                       // unknown flag
      {"ls"},                                       // command without --
      {"-p", "1", "--json", ""},                    // empty path
      {"-p", "1", "--max-paths", "0"},              // out of range
      {"-p", "1", "--cgroup", "/x"},                // two kinds of target
      {"--comm", "x", "-a"},                        // two kinds of target
      {"-p", "1", "-u", "x", "--", "id"},           // -u is for the command zctrace traces
      {"--comm", "a-name-of-16-chr"},               // longer than the kernel keeps
      {"--cgroup", ""},                             // empty
      {"-p", ","},                                  // no PID
      {"-q", "-p", "1"},                            // quiet with no output: nothing would be shown
      {"-p", "1", "--max-processes", "0"},          // out of range
      {"demo", "--chunk", "0"},                     // a zero chunk: the demo would never end
      {"demo", "--bytes", "64X"},                   // not a size
      {"demo", "--chunk", "1M", "--bytes", "64K"},  // a chunk larger than the transfer
      {"demo", "extra"},                            // an argument demo does not take
  };
  for (const auto& args : bad) {
    const ParseResult r = Parse(args);
    std::string joined;
    for (const auto& a : args)
      joined += a + " ";
    EXPECT_FALSE(r.options) << joined;
    EXPECT_EQ(r.exit_code, 2) << joined;
    EXPECT_EQ(r.output.find('\n'), std::string::npos) << joined << ": " << r.output;
    EXPECT_EQ(r.output.rfind("zctrace: ", 0), 0u) << r.output;
  }
}

// CLI11 takes the arguments reversed: what it reports as unexpected is named in the order typed.
TEST(Options, UnexpectedArgumentsAreNamedInTheOrderTyped) {
  EXPECT_NE(Parse({"-p", "1", "foo", "bar"}).output.find("unexpected arguments: foo bar"), std::string::npos)
      << Parse({"-p", "1", "foo", "bar"}).output;
  EXPECT_NE(Parse({"-p", "1", "--bogus", "--other"}).output.find("unknown options: --bogus --other"),
            std::string::npos);
}

TEST(Options, QuietNeedsSomethingToShow) {
  EXPECT_TRUE(Parse({"-q", "-p", "1", "--json", "x.json"}).options);
  EXPECT_TRUE(Parse({"-q", "-p", "1", "--json-lines", "-"}).options);
  EXPECT_TRUE(Parse({"-q", "-p", "1", "--prometheus", "9435"}).options);
  EXPECT_TRUE(Parse({"check", "-q", "-p", "1", "-d", "1"}).options);  // its exit status is the answer
}

// One usage text, with placeholders that say what goes there (not CLI11's TEXT, FLOAT, UINT:UINT).
TEST(Options, HelpHasOneUsageAndNamedPlaceholders) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"check", "--help"}, {"top", "--help"}, {"demo", "--help"}}) {
    const std::string help = Parse(args).output;
    size_t usages = 0;
    for (size_t at = help.find("Usage"); at != std::string::npos; at = help.find("Usage", at + 1))
      ++usages;
    EXPECT_EQ(usages, 1u) << help;
    for (const char* generic : {" TEXT", " FLOAT", " UINT", " INT", " STRING"})
      EXPECT_EQ(help.find(generic), std::string::npos) << generic << " in:\n" << help;
  }
  const std::string help = Parse({"--help"}).output;
  for (const char* placeholder :
       {"-p,--pid PID", "--json FILE", "-d,--duration SECONDS", "--prometheus [ADDR:]PORT"})
    EXPECT_NE(help.find(placeholder), std::string::npos) << placeholder;
}

TEST(Options, DemoTakesVersionAndValidSizes) {
  const ParseResult version = Parse({"demo", "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.output, std::string("zctrace ") + ToolVersion());
  const ParseResult ok = Parse({"demo", "--bytes", "1M", "--chunk", "4K"});
  ASSERT_TRUE(ok.options) << ok.output;
  EXPECT_EQ(ok.options->demo.bytes, "1M");
}

TEST(Options, HelpAndVersionExitZero) {
  const ParseResult help = Parse({"--help"});
  EXPECT_FALSE(help.options);
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("-- CMD"), std::string::npos);
  const ParseResult version = Parse({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.output.find("zctrace"), std::string::npos);
}

}  // namespace
}  // namespace zctrace

namespace zctrace {
namespace {

TEST(Options, RunAsUserNeedsACommand) {
  const ParseResult ok = ParseOptions({"-u", "nobody", "--", "id"});
  ASSERT_TRUE(ok.options);
  EXPECT_EQ(*ok.options->run_as, "nobody");
  EXPECT_EQ(ParseOptions({"-u", "nobody", "-p", "1"}).exit_code, 2);
}

}  // namespace
}  // namespace zctrace

namespace zctrace {
namespace {

TEST(Options, CopyModeDefaultsToAutoAndTakesPreciseOrModel) {
  EXPECT_EQ(Parse({"--", "true"}).options->copy_mode, CopyMode::kAuto);
  EXPECT_EQ(Parse({"--mode", "precise", "--", "true"}).options->copy_mode, CopyMode::kPrecise);
  EXPECT_EQ(Parse({"--mode", "model", "-p", "1"}).options->copy_mode, CopyMode::kModel);
  const ParseResult bad = Parse({"--mode", "exact", "--", "true"});
  EXPECT_FALSE(bad.options);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("--mode must be auto, precise or model"), std::string::npos) << bad.output;
}

TEST(Options, StacksAndTheirFiles) {
  EXPECT_FALSE(Parse({"--", "true"}).options->stacks);
  EXPECT_TRUE(Parse({"--stacks", "--", "true"}).options->stacks);
  // --folded and --pprof imply --stacks, and are outputs enough for -q
  const ParseResult files = Parse({"-q", "--folded", "f.txt", "--pprof", "p.pb.gz", "--", "true"});
  ASSERT_TRUE(files.options) << files.output;
  EXPECT_TRUE(files.options->stacks);
  EXPECT_EQ(*files.options->folded_path, "f.txt");
  EXPECT_EQ(*files.options->pprof_path, "p.pb.gz");
  EXPECT_EQ(*Parse({"--folded", "-", "--", "true"}).options->folded_path, "-");
  for (const auto& [args, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--pprof", "-", "--", "true"}, "--pprof needs a file name"},
           {{"--pprof", "", "--", "true"}, "--pprof needs a file name"},
           {{"--folded", "", "--", "true"}, "--folded needs a file name"},
           {{"--folded", "x", "--json", "x", "--", "true"},
            "--json and --folded cannot both write to the same file"},
           {{"--folded", "-", "--json", "-", "--", "true"}, "cannot both write to stdout"},
           {{"--pprof", "x", "--folded", "x", "--", "true"}, "--folded and --pprof cannot both write"},
           {{"top", "--stacks"}, "go with a report, not with top"}}) {
    const ParseResult r = Parse(args);
    EXPECT_FALSE(r.options) << message;
    EXPECT_EQ(r.exit_code, 2) << message;
    EXPECT_NE(r.output.find(message), std::string::npos) << r.output;
  }
}

}  // namespace
}  // namespace zctrace
