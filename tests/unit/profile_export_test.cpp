#include "profile_export.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace zctrace {
namespace {

StackFrame Frame(uint64_t address, const std::string& module, uint64_t module_offset,
                 const std::string& function, const std::string& build_id = "") {
  StackFrame frame;
  frame.address = address;
  frame.module = module;
  frame.module_offset = module_offset;
  frame.function = function;
  frame.build_id = build_id;
  return frame;
}

CallStack Stack(const ProcessReport& process, const std::string& path, std::vector<StackFrame> frames,
                uint64_t calls, uint64_t bytes, uint64_t cpu_copied_bytes) {
  CallStack stack;
  stack.pid = process.pid;
  stack.comm = process.comm;
  stack.path = path;
  stack.frames = std::move(frames);
  stack.calls = calls;
  stack.bytes = bytes;
  stack.cpu_copied_bytes = cpu_copied_bytes;
  stack.mode_switches = 2 * calls;
  return stack;
}

const char* const kLibc = "/usr/lib/x86_64-linux-gnu/libc.so.6";

// relay: two call sites in copy_loop that name alike (one folded line); sink: a stack that copied nothing
// (absent from the folded output, present in pprof) and one of unnamed frames and a name with a ';'.
Report TwoProcesses() {
  Report report;
  ProcessReport relay;
  relay.pid = 100;
  relay.comm = "relay";
  relay.stacks.push_back(Stack(relay, "write user → tcp",
                               {Frame(0x7f0000011a2b, kLibc, 0x11a2b, "__libc_write", "c0ffee"),
                                Frame(0x555555555210, "/opt/relay/relay", 0x1210, "copy_loop", "beef"),
                                Frame(0x555555555300, "/opt/relay/relay", 0x1300, "main", "beef")},
                               10, 40960, 40960));
  relay.stacks.push_back(Stack(relay, "write user → tcp",
                               {Frame(0x7f0000011a2b, kLibc, 0x11a2b, "__libc_write", "c0ffee"),
                                Frame(0x555555555240, "/opt/relay/relay", 0x1240, "copy_loop", "beef"),
                                Frame(0x555555555300, "/opt/relay/relay", 0x1300, "main", "beef")},
                               5, 20480, 20480));
  report.processes.push_back(relay);

  ProcessReport sink;
  sink.pid = 200;
  sink.comm = "sink";
  sink.stacks.push_back(Stack(sink, "read tcp → user",
                              {Frame(0x7f1000011b00, kLibc, 0x11b00, "__libc_read", "c0ffee"),
                               Frame(0x400500, "/opt/sink/sink", 0x500, "main")},
                              1, 100, 0));
  sink.stacks.push_back(Stack(sink, "read file → user",
                              {Frame(0x7f1000022000, kLibc, 0x22000, ""), Frame(0x1234, "", 0, ""),
                               Frame(0x400600, "/opt/sink/sink", 0x600, "weird;name\n")},
                              3, 300, 300));
  report.processes.push_back(sink);
  return report;
}

TEST(ProfileExport, FrameNameIsTheFunctionElseTheModuleOffsetElseTheAddress) {
  EXPECT_EQ(FrameName(Frame(0x7f0000011a2b, kLibc, 0x11a2b, "__libc_write")), "__libc_write");
  EXPECT_EQ(FrameName(Frame(0x7f0000011a2b, kLibc, 0x11a2b, "")), "libc.so.6+0x11a2b");
  EXPECT_EQ(FrameName(Frame(0x7f0000000010, "[anonymous]", 0x10, "")), "[anonymous]+0x10");
  EXPECT_EQ(FrameName(Frame(0x401000, "relay", 0x1000, "")), "relay+0x1000");
  EXPECT_EQ(FrameName(Frame(0xdeadbeef, "", 0, "")), "0xdeadbeef");
  EXPECT_EQ(FrameName(Frame(0, "", 0, "")), "0x0");
}

TEST(ProfileExport, FoldedStacksAreRootFirstMergedAndSorted) {
  EXPECT_EQ(FoldedStacks(TwoProcesses()),
            "relay;main;copy_loop;__libc_write;[write user → tcp] 61440\n"
            "sink;weird:name ;0x1234;libc.so.6+0x22000;[read file → user] 300\n");
}

TEST(ProfileExport, FoldedStacksOfNothingIsEmpty) {
  EXPECT_EQ(FoldedStacks(Report{}), "");
  Report no_frames;
  ProcessReport process;
  process.pid = 7;
  process.comm = "cat";
  process.stacks.push_back(Stack(process, "read file → user", {}, 1, 10, 10));
  process.stacks.back().comm.clear();  // the process's comm stands in
  no_frames.processes.push_back(process);
  EXPECT_EQ(FoldedStacks(no_frames), "cat;[read file → user] 10\n");
}

TEST(ProfileExport, FoldedStacksRepairInvalidUtf8) {
  Report report;
  ProcessReport process;
  process.pid = 7;
  process.comm = "caf\xe9";  // Latin-1: a comm is whatever bytes the program set
  process.stacks.push_back(Stack(process, "read file → user", {Frame(0x1000, "", 0, "f\xff")}, 1, 10, 10));
  report.processes.push_back(process);
  EXPECT_EQ(FoldedStacks(report), "caf\xef\xbf\xbd;f\xef\xbf\xbd;[read file → user] 10\n");
}

std::string Gunzip(const std::string& compressed) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);  // gzip only
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string inflated;
  std::array<char, 4096> buffer;
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer.data());
    stream.avail_out = static_cast<uInt>(buffer.size());
    status = inflate(&stream, Z_NO_FLUSH);
    inflated.append(buffer.data(), buffer.size() - stream.avail_out);
  }
  EXPECT_EQ(status, Z_STREAM_END);
  inflateEnd(&stream);
  return inflated;
}

// Just enough protobuf decoding to walk a message's fields.
struct ProtoField {
  uint64_t number = 0;
  uint64_t varint = 0;  // wire type 0
  std::string bytes;    // wire type 2
  bool delimited = false;
};

bool ReadVarint(const std::string& data, size_t& at, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64 && at < data.size(); shift += 7) {
    auto byte = static_cast<unsigned char>(data[at++]);
    value |= uint64_t{byte & 0x7fu} << shift;
    if (!(byte & 0x80)) {
      return true;
    }
  }
  return false;
}

// False on anything but a well-formed run of varint and length-delimited fields (all a profile has).
bool DecodeFields(const std::string& data, std::vector<ProtoField>& fields) {
  for (size_t at = 0; at < data.size();) {
    uint64_t tag = 0;
    if (!ReadVarint(data, at, tag) || (tag >> 3) == 0) {
      return false;
    }
    ProtoField field;
    field.number = tag >> 3;
    if ((tag & 7) == 0) {
      if (!ReadVarint(data, at, field.varint)) {
        return false;
      }
    } else if ((tag & 7) == 2) {
      uint64_t length = 0;
      if (!ReadVarint(data, at, length) || length > data.size() - at) {
        return false;
      }
      field.bytes = data.substr(at, length);
      field.delimited = true;
      at += length;
    } else {
      return false;
    }
    fields.push_back(std::move(field));
  }
  return true;
}

size_t CountOf(const std::vector<ProtoField>& fields, uint64_t number) {
  return static_cast<size_t>(
      std::count_if(fields.begin(), fields.end(), [&](const ProtoField& f) { return f.number == number; }));
}

uint64_t VarintOf(const std::vector<ProtoField>& fields, uint64_t number) {
  for (const ProtoField& field : fields) {
    if (field.number == number && !field.delimited) {
      return field.varint;
    }
  }
  return 0;
}

TEST(ProfileExport, PprofProfileIsAGzippedProfileMessage) {
  std::string compressed = PprofProfile(TwoProcesses(), 1'700'000'000'000'000'000, 2'000'000'000);
  ASSERT_GE(compressed.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(compressed[0]), 0x1f);  // the gzip magic
  EXPECT_EQ(static_cast<unsigned char>(compressed[1]), 0x8b);
  std::string encoded = Gunzip(compressed);
  std::vector<ProtoField> profile;
  ASSERT_TRUE(DecodeFields(encoded, profile));

  EXPECT_EQ(CountOf(profile, 1), 4u);  // sample types
  EXPECT_EQ(CountOf(profile, 2), 4u);  // one sample per CallStack, the one that copied nothing too
  EXPECT_EQ(CountOf(profile, 3), 3u);  // mappings: libc, relay, sink
  // locations: relay's 4 (copy_loop at two addresses), sink's 2 + 3
  EXPECT_EQ(CountOf(profile, 4), 9u);
  // functions by name and module: __libc_write, copy_loop, relay's main, __libc_read, sink's main, and the
  // unnamed frames' libc.so.6+0x22000, 0x1234 and weird;name
  EXPECT_EQ(CountOf(profile, 5), 8u);
  EXPECT_EQ(VarintOf(profile, 9), 1'700'000'000'000'000'000u);
  EXPECT_EQ(VarintOf(profile, 10), 2'000'000'000u);
  EXPECT_EQ(VarintOf(profile, 12), 1u);  // period

  std::vector<std::string> strings;
  for (const ProtoField& field : profile) {
    if (field.number == 6) {
      strings.push_back(field.bytes);
    }
  }
  ASSERT_FALSE(strings.empty());
  EXPECT_EQ(strings[0], "");
  for (const char* expected : {"cpu_copied_bytes", "bytes", "calls", "mode_switches", "count", "pid", "comm",
                               "path", "relay", "write user → tcp", kLibc, "c0ffee", "weird;name\n"}) {
    EXPECT_NE(std::find(strings.begin(), strings.end(), expected), strings.end()) << expected;
  }
  auto string_at = [&](uint64_t index) { return index < strings.size() ? strings[index] : "(out of range)"; };
  EXPECT_EQ(string_at(VarintOf(profile, 14)), "cpu_copied_bytes");  // default_sample_type

  std::vector<std::string> sample_types;
  for (const ProtoField& field : profile) {
    if (field.number == 1) {
      std::vector<ProtoField> value_type;
      ASSERT_TRUE(DecodeFields(field.bytes, value_type));
      sample_types.push_back(string_at(VarintOf(value_type, 1)) + "/" + string_at(VarintOf(value_type, 2)));
    }
  }
  EXPECT_EQ(sample_types, (std::vector<std::string>{"cpu_copied_bytes/bytes", "bytes/bytes", "calls/count",
                                                    "mode_switches/count"}));

  // relay is loaded at one address: where its file offset 0 sits is known. libc sits at two (relay's and
  // sink's): unknown, 0.
  for (const ProtoField& field : profile) {
    if (field.number != 3) {
      continue;
    }
    std::vector<ProtoField> mapping;
    ASSERT_TRUE(DecodeFields(field.bytes, mapping));
    const std::string filename = string_at(VarintOf(mapping, 5));
    if (filename == "/opt/relay/relay") {
      EXPECT_EQ(VarintOf(mapping, 2), 0x555555554000u);    // memory_start
      EXPECT_EQ(VarintOf(mapping, 3), 0x555555555301u);    // memory_limit: past its highest address
      EXPECT_EQ(string_at(VarintOf(mapping, 6)), "beef");  // build_id
      EXPECT_EQ(VarintOf(mapping, 7), 1u);                 // has_functions
    } else if (filename == kLibc) {
      EXPECT_EQ(VarintOf(mapping, 2), 0u);
      EXPECT_EQ(VarintOf(mapping, 3), 0u);
    }
  }

  // the first sample: relay's first stack, leaf first, its four values packed
  const ProtoField& first_sample =
      *std::find_if(profile.begin(), profile.end(), [](const ProtoField& f) { return f.number == 2; });
  std::vector<ProtoField> sample;
  ASSERT_TRUE(DecodeFields(first_sample.bytes, sample));
  EXPECT_EQ(CountOf(sample, 3), 3u);  // labels pid, comm, path
  std::vector<uint64_t> values;
  for (const ProtoField& field : sample) {
    if (field.number == 2) {
      for (size_t at = 0; at < field.bytes.size();) {
        uint64_t value = 0;
        ASSERT_TRUE(ReadVarint(field.bytes, at, value));
        values.push_back(value);
      }
    }
  }
  EXPECT_EQ(values, (std::vector<uint64_t>{40960, 40960, 10, 20}));
}

// The reader the integration tests use, run on a profile written here: its folded stacks, rebuilt from the
// profile with protoc's decoder, are the folded output's.
TEST(ProfileExport, ReadPprofRebuildsTheFoldedStacks) {
  const std::string python = "/usr/bin/python3";
  const std::filesystem::path script =
      std::filesystem::path(__FILE__).parent_path().parent_path() / "call_stacks" / "read_pprof.py";
  if (!std::filesystem::exists(python) || !std::filesystem::exists(script)) {
    GTEST_SKIP() << "needs " << python << " and " << script;
  }
  const Report report = TwoProcesses();
  const std::string profile_path = ::testing::TempDir() + "zctrace_profile_export_test.pb.gz";
  {
    std::ofstream out(profile_path, std::ios::binary);
    out << PprofProfile(report, 0, 1'000'000'000);
  }
  auto run = [&](const std::string& arguments, std::string& output) {
    std::string command = python + " " + script.string() + " " + profile_path + " " + arguments;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
      return -1;
    }
    std::array<char, 4096> buffer;
    size_t got = 0;
    while ((got = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
      output.append(buffer.data(), got);
    }
    int status = pclose(pipe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  std::string folded;
  int exit_code = run("--folded", folded);
  if (exit_code == 77) {
    GTEST_SKIP() << "read_pprof.py cannot run here (protoc or python3-protobuf missing)";
  }
  ASSERT_EQ(exit_code, 0);
  EXPECT_EQ(folded, FoldedStacks(report));

  std::string json;
  ASSERT_EQ(run("", json), 0);
  EXPECT_NE(
      json.find(R"("totals": {"cpu_copied_bytes": 61740, "bytes": 61840, "calls": 19, "mode_switches": 38})"),
      std::string::npos)
      << json;
  EXPECT_NE(
      json.find(R"({"frames": ["main", "copy_loop", "__libc_write"], "values": {"cpu_copied_bytes": 40960)"),
      std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("labels": {"pid": 100, "comm": "relay", "path": "write user → tcp"})"),
            std::string::npos)
      << json;
  std::filesystem::remove(profile_path);
}

}  // namespace
}  // namespace zctrace
