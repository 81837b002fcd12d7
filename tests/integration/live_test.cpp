// Live outputs without Prometheus: JSON Lines snapshots and the interval view of a traced command.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"

namespace zctrace::testing {
namespace {

using nlohmann::json;

TEST(Live, JsonLinesAndTheIntervalView) {
  REQUIRE_ROOT();
  const std::string lines = TempPath("lines.jsonl");
  const RunResult r =
      RunProgram({ZctraceBin(), "--interval", "0.3", "--json-lines", lines, "--", "/bin/sh", "-c",
                  "/bin/dd if=/dev/zero of=/dev/null bs=4k count=1000 status=none; sleep 1.5"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // not a terminal: appended snapshots, then the final report
  EXPECT_GE(std::count(r.out.begin(), r.out.end(), '='), 6) << r.out;
  EXPECT_NE(r.out.find("s elapsed"), std::string::npos);
  // a line at once, before any interval, then each interval's own rates: dd's bytes in the first, none in
  // the later ones while sh waits for sleep (running totals alone would repeat dd's bytes every time)
  EXPECT_EQ(r.out.rfind("=== zctrace: tracing started at ", 0), 0u) << r.out;
  std::vector<std::string> rates;
  std::istringstream out(r.out);
  for (std::string line; std::getline(out, line);)
    if (line.rfind("last ", 0) == 0)
      rates.push_back(line);
  ASSERT_GE(rates.size(), 3u) << r.out;
  EXPECT_EQ(rates.front().find("moved 0 B/s"), std::string::npos) << rates.front();
  EXPECT_NE(rates.back().find("moved 0 B/s"), std::string::npos) << rates.back();
  std::ifstream in(lines);
  std::vector<json> records;
  for (std::string line; std::getline(in, line);)
    records.push_back(json::parse(line));
  unlink(lines.c_str());
  ASSERT_GE(records.size(), 4u);  // start, intervals, end
  EXPECT_EQ(records.front().at("record"), "start");
  EXPECT_TRUE(records.front().contains("capabilities"));
  EXPECT_EQ(records.back().at("record"), "end");
  uint64_t delta_sum = 0;
  for (size_t i = 1; i < records.size(); ++i) {
    const json& rec = records[i];
    EXPECT_EQ(rec.at("schema"), "zctrace-lines/3");
    EXPECT_TRUE(rec.contains("timestamp"));
    EXPECT_FALSE(rec.contains("capabilities")) << "metadata once, in the start record";
    delta_sum += rec.at("delta").at("bytes_moved").get<uint64_t>();
  }
  // the deltas add up to the end record's total, which is the final report's
  const json& end = records.back();
  EXPECT_EQ(delta_sum, end.at("totals").at("bytes_moved").get<uint64_t>());
  EXPECT_EQ(end.at("totals"), end.at("report").at("totals"));
  // dd's reads from /dev/zero (its writes to /dev/null are discarded, not moved)
  EXPECT_GE(end.at("totals").at("bytes_moved").get<uint64_t>(), 1000u * 4096);
}

// On stdout the stream is pure JSON Lines (no text report after it), and a run shorter than one interval
// still ends with a record.
TEST(Live, JsonLinesOnStdoutIsAPureStreamEndedByARecord) {
  REQUIRE_ROOT();
  const RunResult r = RunProgram({ZctraceBin(), "-d", "0.5", "--json-lines", "-", "--", "/bin/dd",
                                  "if=/dev/zero", "of=/dev/null", "bs=4k", "count=100", "status=none"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<json> records;
  std::istringstream out(r.out);
  for (std::string line; std::getline(out, line);) {
    ASSERT_NO_THROW(records.push_back(json::parse(line))) << "not JSON: " << line;
  }
  ASSERT_GE(records.size(), 2u) << r.out;
  EXPECT_EQ(records.front().at("record"), "start");
  EXPECT_EQ(records.back().at("record"), "end");
  const json& report = records.back().at("report");
  ASSERT_EQ(report.at("processes").size(), 1u) << report.dump(1);
  EXPECT_EQ(PathField(report.at("processes")[0], "read", "zero", "user", "bytes"), 100u * 4096);
}

}  // namespace
}  // namespace zctrace::testing
