#include "profile_export.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace zctrace {
namespace {

std::string Hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

std::string Basename(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos || slash + 1 == path.size()) {
    return path;
  }
  return path.substr(slash + 1);
}

// The length of the UTF-8 sequence `text` starts with at `at`, 0 if none valid starts there.
size_t Utf8SequenceLength(const std::string& text, size_t at) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(at);
  if (lead < 0x80) {
    return 1;
  }
  size_t length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  if (lead < 0xc2 || lead > 0xf4 || at + length > text.size()) {
    return 0;  // a continuation byte, an overlong two-byte lead, past U+10FFFF, or cut short
  }
  for (size_t i = at + 1; i < at + length; ++i) {
    if ((byte(i) & 0xc0) != 0x80) {
      return 0;
    }
  }
  unsigned char second = byte(at + 1);
  if ((lead == 0xe0 && second < 0xa0) || (lead == 0xed && second >= 0xa0) ||  // overlong, surrogate
      (lead == 0xf0 && second < 0x90) || (lead == 0xf4 && second >= 0x90)) {  // overlong, past U+10FFFF
    return 0;
  }
  return length;
}

// Names from the kernel and from symbol tables need not be UTF-8, but protobuf strings must be (readers
// reject the whole profile otherwise) and flame graph tools read text: invalid bytes become U+FFFD.
std::string ValidUtf8Text(const std::string& text) {
  std::string valid;
  valid.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    size_t length = Utf8SequenceLength(text, at);
    if (length == 0) {
      valid += "\xef\xbf\xbd";
      ++at;
    } else {
      valid.append(text, at, length);
      at += length;
    }
  }
  return valid;
}

// A folded line is "frame;frame;... count": a ';' inside a name would split it, a line break end the line.
std::string FoldedFrame(const std::string& name) {
  std::string safe = ValidUtf8Text(name);
  for (char& c : safe) {
    if (c == ';') {
      c = ':';
    } else if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  return safe;
}

// A stack's process: its own comm and pid, else its process's (a folded entry of exited processes has pid 0).
std::string StackComm(const ProcessReport& process, const CallStack& stack) {
  if (!stack.comm.empty()) {
    return stack.comm;
  }
  return process.comm.empty() ? "[unknown]" : process.comm;
}

uint32_t StackPid(const ProcessReport& process, const CallStack& stack) {
  return stack.pid ? stack.pid : process.pid;
}

// --- Protocol buffers, the little of them a profile needs -----------------------------------------------

enum WireType : uint32_t { kVarint = 0, kLengthDelimited = 2 };

// One message being encoded. Zero scalars are left out, as proto3 does: a reader sees them as 0 anyway.
class ProtoMessage {
 public:
  void Uint(uint32_t field, uint64_t value) {
    if (value == 0) {
      return;
    }
    Tag(field, kVarint);
    Varint(value);
  }
  // int64 fields are plain varints of the two's complement (ten bytes when negative).
  void Int(uint32_t field, int64_t value) { Uint(field, static_cast<uint64_t>(value)); }
  void Bool(uint32_t field, bool value) { Uint(field, value ? 1 : 0); }

  // A repeated string is written even when empty: string_table[0] must be there.
  void Bytes(uint32_t field, const std::string& bytes) {
    Tag(field, kLengthDelimited);
    Varint(bytes.size());
    encoded_ += bytes;
  }
  void Message(uint32_t field, const ProtoMessage& message) { Bytes(field, message.encoded_); }

  // A packed repeated varint field: one length-delimited run of varints (proto3's default encoding).
  void Packed(uint32_t field, const std::vector<uint64_t>& values) {
    if (values.empty()) {
      return;
    }
    ProtoMessage run;
    for (uint64_t value : values) {
      run.Varint(value);
    }
    Bytes(field, run.encoded_);
  }

  const std::string& encoded() const { return encoded_; }

 private:
  void Tag(uint32_t field, WireType type) { Varint((uint64_t{field} << 3) | type); }
  void Varint(uint64_t value) {
    while (value >= 0x80) {
      encoded_.push_back(static_cast<char>((value & 0x7f) | 0x80));
      value >>= 7;
    }
    encoded_.push_back(static_cast<char>(value));
  }

  std::string encoded_;
};

// --- profile.proto (package perftools.profiles): the field numbers used here -----------------------------

namespace profile_field {
constexpr uint32_t kSampleType = 1, kSample = 2, kMapping = 3, kLocation = 4, kFunction = 5, kStringTable = 6,
                   kTimeNanos = 9, kDurationNanos = 10, kPeriodType = 11, kPeriod = 12,
                   kDefaultSampleType = 14;
}
namespace value_type_field {
constexpr uint32_t kType = 1, kUnit = 2;
}
namespace sample_field {
constexpr uint32_t kLocationId = 1, kValue = 2, kLabel = 3;
}
namespace label_field {
constexpr uint32_t kKey = 1, kStr = 2, kNum = 3;
}
namespace mapping_field {
constexpr uint32_t kId = 1, kMemoryStart = 2, kMemoryLimit = 3, kFilename = 5, kBuildId = 6,
                   kHasFunctions = 7;
}
namespace location_field {
constexpr uint32_t kId = 1, kMappingId = 2, kAddress = 3, kLine = 4;
}
namespace line_field {
constexpr uint32_t kFunctionId = 1;
}
namespace function_field {
constexpr uint32_t kId = 1, kName = 2, kSystemName = 3, kFilename = 4;
}

// Every string of a profile is an index into its string table, whose first entry is "".
class StringTable {
 public:
  StringTable() { Index(""); }
  int64_t Index(const std::string& raw) {
    std::string text = ValidUtf8Text(raw);
    auto [it, added] = indices_.try_emplace(text, static_cast<int64_t>(strings_.size()));
    if (added) {
      strings_.push_back(std::move(text));
    }
    return it->second;
  }
  const std::vector<std::string>& strings() const { return strings_; }

 private:
  std::unordered_map<std::string, int64_t> indices_;
  std::vector<std::string> strings_;
};

struct Mapping {
  uint64_t id = 0;
  std::string filename;
  std::string build_id;
  bool has_functions = false;
  // Where file offset 0 is mapped, when every frame of the module agrees on it: then a symbolizer can turn
  // an address into the file offset it looks up (address - memory_start + file_offset). Processes that
  // load the module at different addresses leave it unknown (0).
  bool load_base_consistent = true;
  bool load_base_seen = false;
  uint64_t load_base = 0;
  uint64_t highest_address = 0;
};

struct Location {
  uint64_t id = 0;
  uint64_t mapping_id = 0;
  uint64_t address = 0;
  uint64_t function_id = 0;
};

struct Function {
  uint64_t id = 0;
  int64_t name = 0;
  int64_t filename = 0;
};

struct Sample {
  std::vector<uint64_t> location_ids;  // the leaf first
  std::vector<uint64_t> values;        // in kSampleTypes' order
  uint32_t pid = 0;
  int64_t comm = 0;
  int64_t path = 0;
};

struct ValueType {
  const char* type;
  const char* unit;
};
// The first is the default: what a flame graph of this profile sizes its frames by.
constexpr ValueType kSampleTypes[] = {
    {"cpu_copied_bytes", "bytes"}, {"bytes", "bytes"}, {"calls", "count"}, {"mode_switches", "count"}};

class ProfileBuilder {
 public:
  void Add(const ProcessReport& process, const CallStack& stack) {
    Sample sample;
    for (const StackFrame& frame : stack.frames) {
      sample.location_ids.push_back(LocationId(frame));
    }
    sample.values = {stack.cpu_copied_bytes, stack.bytes, stack.calls, stack.mode_switches};
    sample.pid = StackPid(process, stack);
    sample.comm = strings_.Index(StackComm(process, stack));
    sample.path = strings_.Index(stack.path);
    samples_.push_back(std::move(sample));
  }

  std::string Encode(int64_t time_nanos, int64_t duration_nanos) {
    ProtoMessage profile;
    for (const ValueType& type : kSampleTypes) {
      profile.Message(profile_field::kSampleType, EncodeValueType(type));
    }
    int64_t pid_key = strings_.Index("pid"), comm_key = strings_.Index("comm"),
            path_key = strings_.Index("path");
    for (const Sample& sample : samples_) {
      ProtoMessage encoded;
      encoded.Packed(sample_field::kLocationId, sample.location_ids);
      encoded.Packed(sample_field::kValue, sample.values);
      encoded.Message(sample_field::kLabel, EncodeLabel(pid_key, 0, sample.pid));
      encoded.Message(sample_field::kLabel, EncodeLabel(comm_key, sample.comm, 0));
      encoded.Message(sample_field::kLabel, EncodeLabel(path_key, sample.path, 0));
      profile.Message(profile_field::kSample, encoded);
    }
    for (const Mapping& mapping : mappings_) {
      ProtoMessage encoded;
      encoded.Uint(mapping_field::kId, mapping.id);
      if (mapping.load_base_consistent) {
        encoded.Uint(mapping_field::kMemoryStart, mapping.load_base);
        encoded.Uint(mapping_field::kMemoryLimit, mapping.highest_address + 1);
        // file_offset stays 0: memory_start is where offset 0 is mapped
      }
      encoded.Int(mapping_field::kFilename, strings_.Index(mapping.filename));
      encoded.Int(mapping_field::kBuildId, strings_.Index(mapping.build_id));
      encoded.Bool(mapping_field::kHasFunctions, mapping.has_functions);
      profile.Message(profile_field::kMapping, encoded);
    }
    for (const Location& location : locations_) {
      ProtoMessage line;
      line.Uint(line_field::kFunctionId, location.function_id);
      ProtoMessage encoded;
      encoded.Uint(location_field::kId, location.id);
      encoded.Uint(location_field::kMappingId, location.mapping_id);
      encoded.Uint(location_field::kAddress, location.address);
      encoded.Message(location_field::kLine, line);
      profile.Message(profile_field::kLocation, encoded);
    }
    for (const Function& function : functions_) {
      ProtoMessage encoded;
      encoded.Uint(function_field::kId, function.id);
      encoded.Int(function_field::kName, function.name);
      encoded.Int(function_field::kSystemName, function.name);
      encoded.Int(function_field::kFilename, function.filename);
      profile.Message(profile_field::kFunction, encoded);
    }
    // The string table goes out last but one: every string above, and these two, must be in it first.
    int64_t default_type = strings_.Index(kSampleTypes[0].type);
    ProtoMessage period_type = EncodeValueType({"calls", "count"});
    for (const std::string& text : strings_.strings()) {
      profile.Bytes(profile_field::kStringTable, text);
    }
    profile.Int(profile_field::kTimeNanos, time_nanos);
    profile.Int(profile_field::kDurationNanos, duration_nanos);
    profile.Message(profile_field::kPeriodType, period_type);
    profile.Int(profile_field::kPeriod, 1);
    profile.Int(profile_field::kDefaultSampleType, default_type);
    return profile.encoded();
  }

 private:
  ProtoMessage EncodeValueType(const ValueType& type) {
    ProtoMessage encoded;
    encoded.Int(value_type_field::kType, strings_.Index(type.type));
    encoded.Int(value_type_field::kUnit, strings_.Index(type.unit));
    return encoded;
  }

  static ProtoMessage EncodeLabel(int64_t key, int64_t str, int64_t num) {
    ProtoMessage encoded;
    encoded.Int(label_field::kKey, key);
    encoded.Int(label_field::kStr, str);
    encoded.Int(label_field::kNum, num);
    return encoded;
  }

  uint64_t MappingId(const StackFrame& frame) {
    if (frame.module.empty()) {
      return 0;
    }
    auto [it, added] = mapping_index_.try_emplace(frame.module, mappings_.size());
    if (added) {
      Mapping mapping;
      mapping.id = mappings_.size() + 1;
      mapping.filename = frame.module;
      mappings_.push_back(std::move(mapping));
    }
    Mapping& mapping = mappings_[it->second];
    if (mapping.build_id.empty()) {
      mapping.build_id = frame.build_id;
    }
    mapping.has_functions = mapping.has_functions || !frame.function.empty();
    if (frame.address < frame.module_offset) {
      mapping.load_base_consistent = false;
    } else {
      uint64_t load_base = frame.address - frame.module_offset;
      if (mapping.load_base_seen && load_base != mapping.load_base) {
        mapping.load_base_consistent = false;
      }
      mapping.load_base_seen = true;
      mapping.load_base = load_base;
    }
    mapping.highest_address = std::max(mapping.highest_address, frame.address);
    return mapping.id;
  }

  uint64_t FunctionId(const std::string& name, const std::string& module) {
    auto [it, added] = function_index_.try_emplace({name, module}, functions_.size() + 1);
    if (added) {
      functions_.push_back({it->second, strings_.Index(name), strings_.Index(module)});
    }
    return it->second;
  }

  // Keyed by the frame's name rather than its bare function: two unnamed frames at one address in different
  // processes may sit at different offsets of the module, and the profile names them as the folded output.
  uint64_t LocationId(const StackFrame& frame) {
    uint64_t mapping_id = MappingId(frame);
    std::string name = FrameName(frame);
    auto [it, added] = location_index_.try_emplace(std::make_tuple(frame.address, frame.module, name),
                                                   locations_.size() + 1);
    if (added) {
      locations_.push_back({it->second, mapping_id, frame.address, FunctionId(name, frame.module)});
    }
    return it->second;
  }

  StringTable strings_;
  std::vector<Sample> samples_;
  std::vector<Mapping> mappings_;
  std::map<std::string, size_t> mapping_index_;
  std::vector<Location> locations_;
  std::map<std::tuple<uint64_t, std::string, std::string>, uint64_t> location_index_;
  std::vector<Function> functions_;
  std::map<std::pair<std::string, std::string>, uint64_t> function_index_;
};

std::string Gzip(const std::string& data) {
  z_stream stream{};
  // windowBits 15 + 16: a gzip header and trailer around the deflate stream, as pprof files have
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("zlib: cannot start compressing the profile");
  }
  std::string compressed;
  char buffer[1 << 16];
  size_t consumed = 0;
  int status = Z_OK;
  do {
    if (stream.avail_in == 0 && consumed < data.size()) {
      // avail_in is 32 bits wide: feed the input in pieces
      size_t piece = std::min(data.size() - consumed, size_t{1} << 30);
      stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + consumed));
      stream.avail_in = static_cast<uInt>(piece);
      consumed += piece;
    }
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    status = deflate(&stream, consumed == data.size() ? Z_FINISH : Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) {
      deflateEnd(&stream);
      throw std::runtime_error("zlib: compressing the profile failed");
    }
    compressed.append(buffer, sizeof(buffer) - stream.avail_out);
  } while (status != Z_STREAM_END);
  deflateEnd(&stream);
  return compressed;
}

}  // namespace

std::string FrameName(const StackFrame& frame) {
  if (!frame.function.empty()) {
    return frame.function;
  }
  if (!frame.module.empty()) {
    return Basename(frame.module) + "+" + Hex(frame.module_offset);
  }
  return Hex(frame.address);
}

std::string FoldedStacks(const Report& report) {
  std::map<std::string, uint64_t> counts;  // sorted: the same report always folds to the same text
  for (const ProcessReport& process : report.processes) {
    for (const CallStack& stack : process.stacks) {
      if (stack.cpu_copied_bytes == 0) {
        continue;
      }
      std::string line = FoldedFrame(StackComm(process, stack));
      for (auto frame = stack.frames.rbegin(); frame != stack.frames.rend(); ++frame) {
        line += ';';
        line += FoldedFrame(FrameName(*frame));
      }
      line += ";[" + FoldedFrame(stack.path) + "]";
      counts[line] += stack.cpu_copied_bytes;
    }
  }
  std::string folded;
  for (const auto& [line, count] : counts) {
    folded += line + " " + std::to_string(count) + "\n";
  }
  return folded;
}

std::string PprofProfile(const Report& report, int64_t time_nanos, int64_t duration_nanos) {
  ProfileBuilder builder;
  for (const ProcessReport& process : report.processes) {
    for (const CallStack& stack : process.stacks) {
      builder.Add(process, stack);
    }
  }
  return Gzip(builder.Encode(time_nanos, duration_nanos));
}

}  // namespace zctrace
