// Live outputs without Prometheus: JSON Lines snapshots and the interval view of a traced command.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
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
  std::ifstream in(lines);
  std::vector<json> records;
  for (std::string line; std::getline(in, line);)
    records.push_back(json::parse(line));
  unlink(lines.c_str());
  ASSERT_GE(records.size(), 3u);
  uint64_t delta_sum = 0;
  for (const json& rec : records) {
    EXPECT_TRUE(rec.contains("timestamp"));
    delta_sum += rec.at("delta").at("bytes_moved").get<uint64_t>();
  }
  // the deltas add up to the running total of the last record
  EXPECT_EQ(delta_sum, records.back().at("totals").at("bytes_moved").get<uint64_t>());
  // dd's reads from /dev/zero (its writes to /dev/null are discarded, not moved)
  EXPECT_GE(records.back().at("totals").at("bytes_moved").get<uint64_t>(), 1000u * 4096);
}

}  // namespace
}  // namespace zctrace::testing
