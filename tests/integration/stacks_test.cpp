// --stacks on real programs: copy_three_ways (tests/call_stacks) copies one file three ways, each method in a
// function of its own, so every byte's call site is known. Built as a PIE, at a fixed address, with the
// functions in a shared library, and stripped; the report, the folded stacks and the pprof profile (read
// back by an independent decoder) must all attribute the bytes exactly.
#include <gtest/gtest.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"

namespace zctrace::testing {
namespace {

using nlohmann::json;

constexpr uint64_t kFileBytes = (3u << 20) + 4321;  // not a whole number of chunks
const char* const kFunctions[] = {"copy_by_read_write", "copy_by_sendfile", "copy_by_mmap_write"};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool Exists(const std::string& path) {
  return access(path.c_str(), X_OK) == 0;
}

// The folded lines' counts, summed.
uint64_t FoldedSum(const std::string& folded) {
  uint64_t sum = 0;
  std::istringstream lines(folded);
  for (std::string line; std::getline(lines, line);) {
    const size_t space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    sum += std::stoull(line.substr(space + 1));
  }
  return sum;
}

// Which of the three copy functions a stack passes through ("" for none); a failure if two.
std::string CopyFunctionOf(const json& stack) {
  std::string found;
  for (const json& frame : stack.at("frames")) {
    if (!frame.at("function").is_string())
      continue;
    for (const char* f : kFunctions) {
      if (frame.at("function") == f) {
        EXPECT_TRUE(found.empty() || found == f) << "two copy functions in one stack: " << stack.dump();
        found = f;
      }
    }
  }
  return found;
}

class Stacks : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!IsRoot())
      GTEST_SKIP() << "needs root to load BPF programs";
    source_ = TempPath("stacks-source");
    destination_ = TempPath("stacks-destination");
    std::ofstream out(source_, std::ios::binary);
    for (uint64_t i = 0; i < kFileBytes; ++i)
      out.put(static_cast<char>(i * 7));
    out.close();
    // the name the kernel gives it (the 6.1 guest's /tmp is /var/tmp)
    char real[PATH_MAX];
    ASSERT_NE(realpath(source_.c_str(), real), nullptr);
    source_name_ = real;
  }
  void TearDown() override {
    for (const std::string& p : {source_, destination_, json_, folded_, pprof_})
      unlink(p.c_str());
  }

  // zctrace --stacks --json --folded --pprof -- BINARY SRC DST: the report.
  json Trace(const std::string& binary) {
    std::vector<std::string> argv{ZctraceBin(), "--stacks", "-q", "--json", json_,   "--folded",  folded_,
                                  "--pprof",    pprof_,     "--", binary,   source_, destination_};
    const RunResult r = RunProgram(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json report = json::parse(ReadAll(json_), nullptr, false);
    EXPECT_FALSE(report.is_discarded()) << r.err;
    return report;
  }

  // Every byte where it was moved: each copy function's bytes by syscall, and the stacks' sums against the
  // report's own counts.
  void ExpectEachFunctionsBytes(const json& report, const std::string& comm) {
    ASSERT_TRUE(report.at("stacks_captured").get<bool>());
    const json* proc = FindProcess(report, comm);
    ASSERT_NE(proc, nullptr) << report.dump(1);
    ASSERT_TRUE(proc->contains("stacks")) << proc->dump(1);
    std::map<std::string, std::map<std::string, uint64_t>> by_function;  // function → syscall → bytes
    std::map<std::string, uint64_t> by_syscall;
    uint64_t cpu_copied = 0;
    for (const json& s : proc->at("stacks")) {
      by_function[CopyFunctionOf(s)][s.at("syscall")] += s.at("bytes").get<uint64_t>();
      by_syscall[s.at("syscall")] += s.at("bytes").get<uint64_t>();
      cpu_copied += s.at("cpu_copied_bytes").get<uint64_t>();
    }
    EXPECT_EQ(by_function["copy_by_read_write"]["read"], kFileBytes) << proc->dump(1);
    EXPECT_EQ(by_function["copy_by_read_write"]["write"], kFileBytes);
    EXPECT_EQ(by_function["copy_by_sendfile"]["sendfile"], kFileBytes);
    EXPECT_EQ(by_function["copy_by_mmap_write"]["write"], kFileBytes);
    EXPECT_EQ(by_function["copy_by_read_write"].size(), 2u);
    EXPECT_EQ(by_function["copy_by_sendfile"].size(), 1u);
    EXPECT_EQ(by_function["copy_by_mmap_write"].size(), 1u);
    // every call of the syscalls the stacks count is in one
    for (const auto& [syscall, bytes] : by_syscall)
      EXPECT_EQ(bytes, proc->at("syscalls").at(syscall).at("bytes").get<uint64_t>()) << syscall;
    // the CPU-copied bytes: the process's, the folded stacks' and the pprof profile's
    EXPECT_EQ(cpu_copied, proc->at("copies").at("cpu").at("bytes").get<uint64_t>());
    const std::string folded = ReadAll(folded_);
    EXPECT_EQ(FoldedSum(folded), cpu_copied) << folded;

    // each flow's top call site is its own function, and the read/write loop is named
    std::map<std::string, std::string> top_site;  // method → innermost application function
    for (const json& f : proc->at("flows")) {
      if (f.at("source").at("path") != source_name_)
        continue;
      ASSERT_FALSE(f.at("call_sites").empty()) << f.dump(1);
      const json& top = f.at("call_sites").at(0);
      EXPECT_DOUBLE_EQ(top.at("share").get<double>(), 1.0) << f.dump(1);
      top_site[f.at("method")] = top.at("functions").at(0);
      if (f.at("method") == "read+write") {
        EXPECT_NE(f.at("call_site_advice").get<std::string>().find("copy_by_read_write"), std::string::npos);
      }
    }
    EXPECT_EQ(top_site["read+write"], "copy_by_read_write") << proc->dump(1);
    EXPECT_EQ(top_site["sendfile"], "copy_by_sendfile");
    EXPECT_EQ(top_site["mmap+write"], "copy_by_mmap_write");

    // the pprof profile, read back by protoc's own decoder (Debian's python3-protobuf)
    if (access("/usr/bin/python3", X_OK) != 0) {
      std::cout << "the pprof profile is not decoded here: no /usr/bin/python3 (the 6.1 guest has none)\n";
      return;
    }
    const RunResult decoded = RunProgram({"/usr/bin/python3", READ_PPROF_SCRIPT, pprof_});
    ASSERT_EQ(decoded.exit_code, 0) << decoded.err;
    const json profile = json::parse(decoded.out);
    EXPECT_EQ(profile.at("totals").at("cpu_copied_bytes").get<uint64_t>(), cpu_copied);
    uint64_t bytes = 0;
    for (const auto& [syscall, b] : by_syscall)
      bytes += b;
    EXPECT_EQ(profile.at("totals").at("bytes").get<uint64_t>(), bytes);
    const json types = profile.at("sample_types");
    ASSERT_EQ(types.size(), 4u);
    EXPECT_EQ(types.at(0).at(0), "cpu_copied_bytes");
    EXPECT_EQ(types.at(3).at(0), "mode_switches");
    const RunResult refolded = RunProgram({"/usr/bin/python3", READ_PPROF_SCRIPT, "--folded", pprof_});
    ASSERT_EQ(refolded.exit_code, 0) << refolded.err;
    EXPECT_EQ(refolded.out, folded);
  }

  std::string source_, source_name_, destination_;
  std::string json_ = TempPath("stacks.json"), folded_ = TempPath("stacks.folded"),
              pprof_ = TempPath("stacks.pb.gz");
};

TEST_F(Stacks, APieAttributesEachFunctionsBytesExactly) {
  const json report = Trace(std::string(COPY_THREE_WAYS_DIR) + "/copy_three_ways");
  ExpectEachFunctionsBytes(report, "copy_three_ways");
  // the innermost application frame of a read: the function itself, found under libc's wrapper
  const json* proc = FindProcess(report, "copy_three_ways");
  ASSERT_NE(proc, nullptr);
  for (const json& s : proc->at("stacks")) {
    if (CopyFunctionOf(s) != "copy_by_read_write" || s.at("syscall") != "read")
      continue;
    const json& frames = s.at("frames");
    ASSERT_GE(frames.size(), 3u) << s.dump(1);
    EXPECT_EQ(frames.at(1).at("function"), "copy_by_read_write") << s.dump(1);
    EXPECT_TRUE(frames.at(1).at("leaf_caller").get<bool>());
    EXPECT_EQ(frames.at(2).at("function"), "main");
    EXPECT_NE(frames.at(1).at("module").get<std::string>().find("copy_three_ways"), std::string::npos);
    EXPECT_EQ(frames.at(1).at("build_id").get<std::string>().size(), 40u);
  }
}

TEST_F(Stacks, AFixedAddressExecutableAttributesEachFunctionsBytesExactly) {
  ExpectEachFunctionsBytes(Trace(std::string(COPY_THREE_WAYS_DIR) + "/copy_three_ways_fixed"),
                           "copy_three_ways");
}

TEST_F(Stacks, FunctionsInASharedLibraryAreNamedFromIt) {
  const std::string binary = std::string(COPY_THREE_WAYS_DIR) + "/copy_three_ways_shared";
  if (!Exists(binary))
    GTEST_SKIP()
        << "this build has no shared-library variant (a static build: the guest has no dynamic loader)";
  const json report = Trace(binary);
  ExpectEachFunctionsBytes(report, "copy_three_ways");
  const json* proc = FindProcess(report, "copy_three_ways");
  ASSERT_NE(proc, nullptr);
  bool seen = false;
  for (const json& s : proc->at("stacks")) {
    for (const json& frame : s.at("frames")) {
      if (frame.at("function") == "copy_by_sendfile") {
        EXPECT_NE(frame.at("module").get<std::string>().find("libcopy_methods.so"), std::string::npos)
            << frame.dump();
        seen = true;
      }
    }
  }
  EXPECT_TRUE(seen) << proc->dump(1);
}

// Without symbols a frame is its module and offset, never dropped: the offset of the read loop's frame lies
// in copy_by_read_write as the unstripped twin's symbol table places it (objcopy keeps the code as it is).
TEST_F(Stacks, AStrippedBinaryShowsModuleAndOffset) {
  const std::string dir = COPY_THREE_WAYS_DIR;
  const json report = Trace(dir + "/copy_three_ways_stripped");
  // where nm places copy_by_read_write in the unstripped twin (the 6.1 guest has no nm: not checked there)
  uint64_t start = 0, size = 0;
  if (const std::string nm_bin = FindProgram("nm"); !nm_bin.empty()) {
    const RunResult nm = RunProgram({nm_bin, "-S", dir + "/copy_three_ways"});
    ASSERT_EQ(nm.exit_code, 0) << nm.err;
    std::istringstream symbols(nm.out);
    for (std::string line; std::getline(symbols, line);) {
      std::istringstream fields(line);
      std::string address, length, type, name;
      if (fields >> address >> length >> type >> name && name == "copy_by_read_write") {
        start = std::stoull(address, nullptr, 16);
        size = std::stoull(length, nullptr, 16);
      }
    }
    ASSERT_GT(size, 0u) << nm.out;
  } else {
    std::cout << "no nm here: the frame's offset is not placed in copy_by_read_write\n";
  }
  const json* proc = FindProcess(report, "copy_three_ways");  // comm: the first 15 characters
  ASSERT_NE(proc, nullptr) << report.dump(1);
  uint64_t read_bytes = 0;
  for (const json& s : proc->at("stacks")) {
    if (s.at("syscall") != "read" || s.at("frames").size() < 2)
      continue;
    const json& caller = s.at("frames").at(1);
    const std::string module = caller.at("module").is_string() ? caller.at("module").get<std::string>() : "";
    // by its name: the kernel names the file by where it is (the 6.1 guest's /tmp is /var/tmp)
    if (module.size() < 25 || module.compare(module.size() - 25, 25, "/copy_three_ways_stripped") != 0)
      continue;  // the dynamic loader's reads
    EXPECT_TRUE(caller.at("function").is_null()) << caller.dump();
    const uint64_t offset = caller.at("module_offset").get<uint64_t>();
    // a PIE's code is at the file offset of its address (its text segment's offset equals its address)
    if (size) {
      EXPECT_GE(offset, start) << caller.dump();
      EXPECT_LT(offset, start + size) << caller.dump();
    }
    read_bytes += s.at("bytes").get<uint64_t>();
  }
  EXPECT_EQ(read_bytes, kFileBytes) << proc->dump(1);
  // the folded stacks name the frame by module and offset
  EXPECT_NE(ReadAll(folded_).find("copy_three_ways_stripped+0x"), std::string::npos) << ReadAll(folded_);
}

// The text report says where each flow's bytes were copied.
TEST_F(Stacks, TheTextReportNamesEachFlowsCallSite) {
  const RunResult r =
      RunProgram({ZctraceBin(), "--stacks", "--", std::string(COPY_THREE_WAYS_DIR) + "/copy_three_ways",
                  source_, destination_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("from 100% copy_by_read_write ← main"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("from 100% copy_by_sendfile ← main"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("the copy loop is copy_by_read_write"), std::string::npos) << r.out;
}

// check with --stacks: the verdict points at the copy loop, and --folded is written as after a report.
TEST_F(Stacks, CheckNamesTheCopyLoopAndWritesTheFoldedStacks) {
  const RunResult r =
      RunProgram({ZctraceBin(), "check", "--folded", folded_, "--",
                  std::string(COPY_THREE_WAYS_DIR) + "/copy_three_ways", source_, destination_});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("the copy loop is copy_by_read_write"), std::string::npos) << r.out;
  EXPECT_GT(FoldedSum(ReadAll(folded_)), 0u);
}

TEST(StacksOptions, PprofToStdoutIsAUsageError) {
  const RunResult r = RunProgram({ZctraceBin(), "--pprof", "-", "--", "true"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--pprof needs a file name"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace zctrace::testing
