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
    {"pid": 10, "syscall_count": 40, "page_faults": {"total": 3}, "mode_switches": {"total": 86},
     "copies": {"cpu": {"count": 0, "bytes": 0, "basis": "modelled", "measured_bytes": 0},
                "dma": {"count": 16, "bytes": 1048576, "basis": "modelled", "measured_bytes": 0}}},
    {"pid": 11, "syscall_count": 20, "page_faults": {"total": 0}, "mode_switches": {"total": 40},
     "copies": {"cpu": {"count": 16, "bytes": 1048576, "basis": "measured", "measured_bytes": 1048576},
                "dma": {"count": 0, "bytes": 0, "basis": "modelled", "measured_bytes": 0}}}]})");
  r["processes"][0]["copies"]["cpu"] = {
      {"count", sender_cpu_bytes / 65536},
      {"bytes", sender_cpu_bytes},
      {"basis", basis},
      {"measured_bytes", std::string(basis) == "measured" ? sender_cpu_bytes : 0}};
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
  EXPECT_EQ(row.cpu.basis, Basis::kModelled);
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
  EXPECT_EQ(j.at("schema"), "zctrace-demo/2");
  ASSERT_EQ(j.at("rows").size(), 2u);
  EXPECT_EQ(j.at("rows")[0].at("copies").at("cpu").at("per_byte"), 0.0);
  EXPECT_EQ(j.at("rows")[0].at("copies").at("dma").at("per_byte"), 1.0);
  EXPECT_FALSE(j.at("rows")[1].at("ran").get<bool>());
}

}  // namespace
}  // namespace zctrace
