#include <gtest/gtest.h>

#include <sstream>

#include "demo.h"

namespace zctrace {
namespace {

using nlohmann::json;

json Truth() {
  return json::parse(R"({"bytes_transferred": 1048576, "wall_s": 0.25,
    "processes": [{"pid": 10, "role": "sender", "paths": []}, {"pid": 11, "role": "receiver", "paths": []}],
    "kernel": {"zerocopy_copied": false, "send_zc": false}})");
}

json Report(uint64_t sender_cpu_bytes, const char* basis) {
  json r = json::parse(R"({"processes": [
    {"pid": 10, "syscall_count": 40, "page_fault_count": 3, "mode_switches": {"total": 86},
     "copies": {"cpu": {"bytes": 0, "basis": "modelled"}, "dma": {"bytes": 1048576, "basis": "modelled"}}},
    {"pid": 11, "syscall_count": 20, "page_fault_count": 0, "mode_switches": {"total": 40},
     "copies": {"cpu": {"bytes": 1048576, "basis": "measured"}, "dma": {"bytes": 0, "basis": "modelled"}}}]})");
  r["processes"][0]["copies"]["cpu"] = {{"bytes", sender_cpu_bytes}, {"basis", basis}};
  return r;
}

TEST(Demo, FailedRowsAreCountedNotNotApplicableOnes) {
  DemoResult result;
  EXPECT_EQ(FailedRows(result), 0u);
  DemoRow ran = ComputeDemoRow("read-write", "tcp", Truth(), Report(2 * 1048576, "modelled"));
  DemoRow not_here;
  not_here.note = "n/a: copy-file-range needs --sink file";
  DemoRow failed;
  failed.note = "failed: zctrace: the kernel's verifier rejected BPF program 'on_sys_exit'";
  failed.failed = true;
  result.rows = {ran, not_here, failed, failed};
  EXPECT_EQ(FailedRows(result), 2u);
}

TEST(Demo, RowIsPerByteOfTheSender) {
  const DemoRow row = ComputeDemoRow("read-write", "tcp", Truth(), Report(2 * 1048576, "modelled"));
  ASSERT_TRUE(row.ran) << row.note;
  EXPECT_DOUBLE_EQ(row.cpu_copies_per_byte, 2.0);
  EXPECT_EQ(row.cpu_basis, Basis::kModelled);
  EXPECT_DOUBLE_EQ(row.peer_cpu_copies_per_byte, 1.0);
  EXPECT_DOUBLE_EQ(row.dma_copies_per_byte, 1.0);
  EXPECT_DOUBLE_EQ(row.mode_switches_per_mib, 86.0);
  EXPECT_EQ(row.syscalls, 40u);
  EXPECT_EQ(row.page_faults, 3u);
  EXPECT_EQ(row.model, "read+write");
  EXPECT_EQ(row.textbook_cpu_copies, 2);
}

TEST(Demo, MissingProcessIsSaidNotHidden) {
  json report = Report(0, "modelled");
  report["processes"].erase(1);
  const DemoRow row = ComputeDemoRow("sendfile", "tcp", Truth(), report);
  EXPECT_FALSE(row.ran);
  EXPECT_NE(row.note.find("did not see pid 11"), std::string::npos);
}

TEST(Demo, KernelVerdictsShowInTheNote) {
  json truth = Truth();
  truth["kernel"]["zerocopy_copied"] = true;
  const DemoRow row = ComputeDemoRow("msg-zerocopy", "tcp", truth, Report(1048576, "modelled"));
  EXPECT_NE(row.note.find("copied"), std::string::npos);
}

TEST(Demo, EveryMethodHasAModelLine) {
  for (const MethodLine& m : DemoMethods())
    EXPECT_FALSE(m.model.empty()) << m.method;
  EXPECT_EQ(DemoMethods().size(), 12u);
}

TEST(Demo, RenderersShowEveryRow) {
  DemoResult result;
  result.kernel = "6.18-test";
  result.bytes = 1048576;
  result.chunk = "64K";
  result.rows.push_back(ComputeDemoRow("sendfile", "tcp", Truth(), Report(0, "modelled")));
  DemoRow refused;
  refused.method = "copy-file-range";
  refused.sink = "tcp";
  refused.note = "n/a: copy-file-range needs --sink file";
  result.rows.push_back(refused);
  std::ostringstream text;
  RenderDemoText(result, text);
  EXPECT_NE(text.str().find("sendfile         0.00"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("n/a: copy-file-range needs --sink file"), std::string::npos);
  const json j = DemoToJson(result);
  EXPECT_EQ(j.at("schema"), "zctrace-demo/1");
  ASSERT_EQ(j.at("rows").size(), 2u);
  EXPECT_EQ(j.at("rows")[0].at("cpu_copies_per_byte"), 0.0);
  EXPECT_FALSE(j.at("rows")[1].at("ran").get<bool>());
}

}  // namespace
}  // namespace zctrace
