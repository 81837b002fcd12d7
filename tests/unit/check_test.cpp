#include <gtest/gtest.h>

#include "check.h"
#include "options.h"

namespace zctrace {
namespace {

Report WithFlows(std::vector<FlowReport> flows) {
  Report r;
  ProcessReport p;
  p.pid = 10;
  p.comm = "server";
  p.flows = std::move(flows);
  r.processes.push_back(p);
  return r;
}

FlowReport Flow(const std::string& method, uint64_t bytes, int cpu) {
  FlowReport f;
  f.method = method;
  f.bytes = bytes;
  f.chunks = 16;
  f.cpu_copies_per_byte = cpu;
  f.source.kind = Kind::kFile;
  f.source.name = f.source.group = f.source.path = "/srv/a";
  f.sink.kind = Kind::kTcp;
  f.sink.name = f.sink.group = "tcp 10.0.0.1:80 (accepted)";
  f.sink.local = SocketAddress{"10.0.0.1", 80};
  f.sink.accepted = true;
  return f;
}

TEST(Check, ZeroCopyBulkFlowsPass) {
  const CheckVerdict v =
      EvaluateCheck(WithFlows({Flow("sendfile", 8 << 20, 0), Flow("read+write", 100, 2)}), {});
  EXPECT_TRUE(v.pass);
  ASSERT_EQ(v.bulk.size(), 1u);  // the 100-byte flow is not bulk
  EXPECT_NE(v.message.find("PASS"), std::string::npos);
  EXPECT_EQ(v.message.find('\n'), std::string::npos);
}

TEST(Check, OneFlowIsSpokenOfInTheSingular) {
  const CheckVerdict pass = EvaluateCheck(WithFlows({Flow("sendfile", 8 << 20, 0)}), {});
  EXPECT_NE(pass.message.find("PASS — 1 bulk flow meets the bar"), std::string::npos) << pass.message;
  const CheckVerdict fail = EvaluateCheck(WithFlows({Flow("mmap+write", 8 << 20, 1)}), {});
  EXPECT_NE(fail.message.find("FAIL — 1 of 1 bulk flow misses the bar"), std::string::npos) << fail.message;
  EXPECT_NE(fail.message.find("costs 1 CPU copy per byte"), std::string::npos) << fail.message;
  const CheckVerdict two =
      EvaluateCheck(WithFlows({Flow("sendfile", 8 << 20, 0), Flow("splice", 8 << 20, 0)}), {});
  EXPECT_NE(two.message.find("PASS — 2 bulk flows meet the bar"), std::string::npos) << two.message;
}

TEST(Check, CopyingBulkFlowFailsAndIsNamed) {
  FlowReport f = Flow("read+write", 8 << 20, 2);
  f.advice = "sendfile would remove 2 CPU copies of 8.0 MiB";
  const CheckVerdict v = EvaluateCheck(WithFlows({f, Flow("sendfile", 8 << 20, 0)}), {});
  EXPECT_FALSE(v.pass);
  EXPECT_NE(v.message.find("FAIL — 1 of 2"), std::string::npos) << v.message;
  EXPECT_NE(v.message.find("/srv/a"), std::string::npos);
  EXPECT_NE(v.message.find("sendfile would remove"), std::string::npos);
  const nlohmann::json j = CheckToJson(v, {}, WithFlows({}));
  EXPECT_EQ(j.at("verdict"), "fail");
  const nlohmann::json& failed = j.at("bulk_flows")[0];
  EXPECT_FALSE(failed.at("ok").get<bool>());
  // the flow as the report has it: endpoints as objects, copies in the one shape
  EXPECT_EQ(failed.at("flow").at("source").at("path"), "/srv/a");
  EXPECT_EQ(failed.at("flow").at("sink").at("local").at("port"), 80);
  EXPECT_EQ(failed.at("flow").at("copies").at("cpu").at("per_byte"), 2);
}

TEST(Check, TheBarAndTheMethodAreTheUsers) {
  CheckOptions lenient;
  lenient.max_cpu_copies_per_byte = 1;
  EXPECT_TRUE(EvaluateCheck(WithFlows({Flow("mmap+write", 8 << 20, 1)}), lenient).pass);
  CheckOptions expect;
  expect.expect = "splice";
  const CheckVerdict v = EvaluateCheck(WithFlows({Flow("sendfile", 8 << 20, 0)}), expect);
  EXPECT_FALSE(v.pass);
  EXPECT_NE(v.message.find("uses sendfile, not splice"), std::string::npos);
  CheckOptions small;
  small.min_bytes = 1;
  EXPECT_EQ(EvaluateCheck(WithFlows({Flow("read+write", 100, 2)}), small).bulk.size(), 1u);
}

TEST(Check, NothingToCheckIsAFailure) {
  const CheckVerdict v = EvaluateCheck(WithFlows({}), {});
  EXPECT_FALSE(v.pass);
  EXPECT_NE(v.message.find("nothing could be checked"), std::string::npos);
}

TEST(Check, NoBulkFlowSaysWhatMovedAndTheLargestFlow) {
  Report r = WithFlows({Flow("read+write", 300 << 10, 2), Flow("sendfile", 500 << 10, 0)});
  r.totals.bytes_moved = 256u << 20;
  const CheckVerdict v = EvaluateCheck(r, {});
  EXPECT_FALSE(v.pass);
  EXPECT_NE(v.message.find("moved 256.0 MiB, but no single flow of 1.0 MiB"), std::string::npos) << v.message;
  EXPECT_NE(v.message.find("the largest was sendfile /srv/a"), std::string::npos) << v.message;
  EXPECT_EQ(v.message.find("moved no data"), std::string::npos) << v.message;
}

TEST(Check, AtMostFiveOffendersAreNamedWorstFirst) {
  std::vector<FlowReport> flows;
  for (int i = 1; i <= 8; ++i)
    flows.push_back(Flow("read+write", static_cast<uint64_t>(i) << 20, 2));
  flows.push_back(Flow("sendfile", 64u << 20, 0));
  const CheckVerdict v = EvaluateCheck(WithFlows(flows), {});
  EXPECT_FALSE(v.pass);
  EXPECT_EQ(v.bulk.size(), 9u);
  EXPECT_NE(
      v.message.find("8 of 9 bulk flows miss the bar: read+write /srv/a → tcp 10.0.0.1:80 (accepted) (pid 10 "
                     "server, 8.0 MiB"),
      std::string::npos)
      << v.message;
  EXPECT_NE(v.message.find("; and 3 more."), std::string::npos) << v.message;
  EXPECT_EQ(v.message.find("64.0 MiB"), std::string::npos)
      << "a passing flow among the offenders: " << v.message;
}

TEST(Check, SmallWritesFromMemoryAreHeadersNotBulkButLargeOnesAreJudged) {
  FlowReport headers = Flow("from memory", 2 << 20, 1);
  headers.chunks = 8000;  // 262 B a write
  headers.source.kind = Kind::kUser;
  headers.source.name = headers.source.group = "memory";
  CheckVerdict v = EvaluateCheck(WithFlows({Flow("sendfile", 8 << 20, 0), headers}), {});
  EXPECT_TRUE(v.pass) << v.message;
  EXPECT_EQ(v.small_writes_not_judged, 1u);
  EXPECT_NE(v.message.find("Not judged: 1 flow of small writes from memory"), std::string::npos) << v.message;
  FlowReport generated = headers;
  generated.chunks = 16;  // 128 KiB a write: a generator's payload, as iperf3's
  v = EvaluateCheck(WithFlows({generated}), {});
  EXPECT_FALSE(v.pass);
  EXPECT_NE(v.message.find("from memory → tcp 10.0.0.1:80 (accepted)"), std::string::npos) << v.message;
}

TEST(Check, ExpectZeroCopyFailsAFlowThatAskedAndDidNotGetItNamingTheReason) {
  FlowReport asked = Flow("read+write", 8 << 20, 2);
  asked.flags = ZC_FLAG_MSG_ZEROCOPY;
  asked.zero_copy =
      ZeroCopyVerdict{"MSG_ZEROCOPY",   Achieved::kCopied,
                      "loopback",       "the completions flag 128 of 128 sends SO_EE_CODE_ZEROCOPY_COPIED",
                      Basis::kMeasured, 1.0};
  FlowReport sendfile = Flow("sendfile", 8 << 20, 0);
  sendfile.zero_copy =
      ZeroCopyVerdict{"sendfile", Achieved::kZeroCopy, "", "page references", Basis::kModelled, 0};
  CheckOptions expect;
  expect.expect = std::string(kExpectZeroCopy);
  const CheckVerdict v = EvaluateCheck(WithFlows({asked, sendfile, Flow("read+write", 8 << 20, 2)}), expect);
  EXPECT_FALSE(v.pass);
  ASSERT_EQ(v.bulk.size(), 3u);
  EXPECT_FALSE(v.bulk[0].ok);
  EXPECT_NE(v.bulk[0].reason.find("asked for MSG_ZEROCOPY and got copied (measured): the completions flag"),
            std::string::npos)
      << v.bulk[0].reason;
  EXPECT_TRUE(v.bulk[1].ok);
  EXPECT_FALSE(v.bulk[2].ok);
  EXPECT_EQ(v.bulk[2].reason, "asks for no zero copy (read+write)");
  const CheckVerdict pass = EvaluateCheck(WithFlows({sendfile}), expect);
  EXPECT_TRUE(pass.pass) << pass.message;
  EXPECT_NE(pass.message.find("zero copy asked for and achieved"), std::string::npos) << pass.message;
  // without --expect, a failing flow that asked for zero copy still says what the kernel did
  const CheckVerdict bar = EvaluateCheck(WithFlows({asked}), {});
  EXPECT_NE(bar.bulk[0].reason.find("it asked for MSG_ZEROCOPY and got copied"), std::string::npos)
      << bar.bulk[0].reason;
}

TEST(CheckOptions, Parsed) {
  const ParseResult r = ParseOptions({"check", "--max-cpu-copies-per-byte", "1", "--min-bytes", "64K",
                                      "--expect", "sendfile", "--", "nginx"});
  ASSERT_TRUE(r.options) << r.output;
  EXPECT_EQ(r.options->mode, Options::Mode::kCheck);
  EXPECT_DOUBLE_EQ(r.options->check.max_cpu_copies_per_byte, 1);
  EXPECT_EQ(r.options->check.min_bytes, 64u << 10);
  EXPECT_EQ(*r.options->check.expect, "sendfile");
  EXPECT_EQ(r.options->command, std::vector<std::string>{"nginx"});
  const ParseResult zero = ParseOptions({"check", "--expect", "zero-copy", "--", "nginx"});
  ASSERT_TRUE(zero.options) << zero.output;
  EXPECT_EQ(*zero.options->check.expect, kExpectZeroCopy);
  for (const std::vector<std::string>& bad :
       std::vector<std::vector<std::string>>{{"check", "--min-bytes", "lots", "--", "x"},
                                             {"check", "--min-bytes", "99999999999999999999G", "--", "x"},
                                             {"check", "--max-cpu-copies-per-byte", "-1", "--", "x"},
                                             {"check", "--max-cpu-copies-per-byte", "nan", "-p", "1"},
                                             {"check", "--expect", "sendfle", "--", "x"},
                                             {"check", "--expect", "zerocopy", "--", "x"},
                                             {"check"}}) {
    EXPECT_EQ(ParseOptions(bad).exit_code, 2) << bad[1];
  }
}

}  // namespace
}  // namespace zctrace

namespace zctrace {
namespace {

// With --stacks, a failing flow names where in the program it was made.
TEST(Check, AFailureNamesTheCopyLoopWhenStacksSayWhere) {
  Report report;
  ProcessReport proc;
  proc.pid = 7;
  proc.comm = "relay";
  FlowReport f;
  f.method = "read+write";
  f.source.kind = Kind::kFile;
  f.source.name = "/srv/f";
  f.sink.kind = Kind::kTcp;
  f.sink.name = "tcp 127.0.0.1:80";
  f.bytes = 64u << 20;
  f.chunks = 1024;
  f.cpu_copies_per_byte = 2;
  f.call_sites = {{{"copy_loop", "main"}, 128u << 20, 128u << 20, 2048, 1.0}};
  f.call_site_advice = "the copy loop is copy_loop";
  proc.flows.push_back(f);
  report.processes.push_back(proc);
  CheckOptions options;
  const CheckVerdict v = EvaluateCheck(report, options);
  EXPECT_FALSE(v.pass);
  EXPECT_NE(v.message.find("the copy loop is copy_loop"), std::string::npos) << v.message;
  report.processes[0].flows[0].call_site_advice.clear();
  EXPECT_NE(EvaluateCheck(report, options).message.find("mostly from copy_loop"), std::string::npos);
}

}  // namespace
}  // namespace zctrace
