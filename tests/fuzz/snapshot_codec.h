// The byte format of the snapshot fuzz targets (flows and aggregate decode the same format, so that their
// corpora are interchangeable), and its encoder, with which write_seeds.cpp writes the hand-made seeds.
//
//   u8   one bit each: AggregateOptions skb_copies, disk, nic_tx, major_faults measured; Prometheus pid
//   label;
//        nic_rx measured
//   f64  duration_s (raw bits: NaN, infinities and negatives included)
//   u64  now_ns
//   str  kernel
//   zc_health (raw)
//   then records until the input ends; each is a tag byte (taken modulo the number of record types):
//     0 capability  str name, u8 available, str detail
//     1 process     u8 slot, zc_process (raw), zc_process_counters (raw)
//     2 path        u8 slot, u8 syscall, u8 source, u8 sink, u8 flags, zc_path_counters (raw)
//     3 flow        u8 slot, u8 method, ref source, ref sink, zc_flow_counters (raw)
//     4 endpoint    zc_endpoint_id (raw), zc_endpoint_info (raw)
//     5 mount       dev, str path (made a path as /proc/self/mountinfo can hold it)
//     6 warning     str
//   str: a length byte, then the bytes.
//   ref: a selector byte. 0xFF: a raw zc_endpoint_id follows. Otherwise the id of endpoint (selector mod
//        count) among those recorded so far, or {ino = selector, dev = 0} while there are none.
//   dev: a selector byte. 0xFF: a raw u32 follows. Otherwise the dev of an endpoint, chosen likewise.
//
// Everything the kernel maps hand over is taken raw: enum bytes out of range (syscall 200, kind 99,
// method 42), comm and dentry names without a NUL or in no encoding, any depth, family and counters.
// Slots are one byte so that processes, paths and flows of one process meet often; references let flows
// point at recorded endpoints, which 12 random bytes would almost never do.
// kernel, capabilities and warnings come from uname(2) and from zctrace's own code, not from the maps:
// they are made printable ASCII, so that a finding is about data that really can be arbitrary.
#pragma once

#include <string>

#include "aggregate.h"
#include "fuzz_input.h"
#include "snapshot.h"

namespace zctrace::fuzz {

enum class Record : uint8_t { kCapability, kProcess, kPath, kFlow, kEndpoint, kMount, kWarning, kCount };

// More records than a 4 KiB input holds; a bound still, so that a larger -max_len cannot time out.
inline constexpr size_t kMaxRecords = 1024;
inline constexpr uint8_t kRawSelector = 0xFF;

struct FuzzCase {
  AggregateOptions options;
  bool prometheus_pid_label = false;
  Snapshot snapshot;
};

// Printable ASCII is kept (so that the encoder's text survives), any other byte is folded into it.
inline std::string Printable(std::string s) {
  for (char& c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e)
      c = static_cast<char>(' ' + u % 95);
  }
  return s;
}

// A mount point as the tracer's ReadMounts() gets it from /proc/self/mountinfo with sscanf("%s"): never
// empty, no NUL and no whitespace; any other byte (mountinfo escapes only space, tab, newline and
// backslash) stays raw.
inline std::string MountPath(const std::string& raw) {
  std::string path;
  for (char c : raw) {
    const auto u = static_cast<unsigned char>(c);
    if (u != '\0' && u != ' ' && (u < '\t' || u > '\r'))
      path += c;
  }
  return path.empty() ? "/" : path;
}

inline zc_endpoint_id TakeEndpointRef(FuzzInput& in, const Snapshot& s) {
  const uint8_t selector = in.Take<uint8_t>();
  if (selector == kRawSelector)
    return in.Take<zc_endpoint_id>();
  if (s.endpoints.empty())
    return zc_endpoint_id{selector, 0, 0};
  return s.endpoints[selector % s.endpoints.size()].id;
}

inline uint32_t TakeDev(FuzzInput& in, const Snapshot& s) {
  const uint8_t selector = in.Take<uint8_t>();
  if (selector == kRawSelector)
    return in.Take<uint32_t>();
  if (s.endpoints.empty())
    return selector;
  return s.endpoints[selector % s.endpoints.size()].id.dev;
}

inline FuzzCase DecodeFuzzCase(FuzzInput& in) {
  FuzzCase c;
  const uint8_t bits = in.Take<uint8_t>();
  c.options.skb_copies_measured = bits & 1;
  c.options.disk_measured = bits & 2;
  c.options.nic_tx_measured = bits & 4;
  c.options.major_faults_measured = bits & 8;
  c.prometheus_pid_label = bits & 16;
  c.options.nic_rx_measured = bits & 32;
  Snapshot& s = c.snapshot;
  s.duration_s = in.Take<double>();
  s.now_ns = in.Take<uint64_t>();
  s.kernel = Printable(in.TakeString());
  s.health = in.Take<zc_health>();
  for (size_t n = 0; n < kMaxRecords && !in.empty(); ++n) {
    switch (static_cast<Record>(in.Take<uint8_t>() % static_cast<uint8_t>(Record::kCount))) {
      case Record::kCapability: {
        Capability cap;
        cap.name = Printable(in.TakeString());
        cap.available = in.TakeBit();
        cap.detail = Printable(in.TakeString());
        s.capabilities.push_back(std::move(cap));
        break;
      }
      case Record::kProcess: {
        ProcessSnapshot p;
        p.slot = in.Take<uint8_t>();
        p.info = in.Take<zc_process>();
        p.counters = in.Take<zc_process_counters>();
        s.processes.push_back(p);
        break;
      }
      case Record::kPath: {
        PathSnapshot p;
        p.key.slot = in.Take<uint8_t>();
        p.key.syscall = in.Take<uint8_t>();
        p.key.source = in.Take<uint8_t>();
        p.key.sink = in.Take<uint8_t>();
        p.key.flags = in.Take<uint8_t>();
        p.counters = in.Take<zc_path_counters>();
        s.paths.push_back(p);
        break;
      }
      case Record::kFlow: {
        FlowSnapshot f;
        f.key.slot = in.Take<uint8_t>();
        f.key.method = in.Take<uint8_t>();
        f.key.source = TakeEndpointRef(in, s);
        f.key.sink = TakeEndpointRef(in, s);
        f.counters = in.Take<zc_flow_counters>();
        s.flows.push_back(f);
        break;
      }
      case Record::kEndpoint: {
        EndpointSnapshot e;
        e.id = in.Take<zc_endpoint_id>();
        e.info = in.Take<zc_endpoint_info>();
        s.endpoints.push_back(e);
        break;
      }
      case Record::kMount: {
        const uint32_t dev = TakeDev(in, s);
        s.mounts.emplace_back(dev, MountPath(in.TakeString()));
        break;
      }
      case Record::kWarning:
        s.warnings.push_back(Printable(in.TakeString()));
        break;
      case Record::kCount:
        break;  // unreachable: the tag is taken modulo kCount
    }
  }
  return c;
}

// The inverse of DecodeFuzzCase for snapshots the decoder can produce: slots below 256, strings below 256
// bytes, printable text where the decoder makes it printable. References are always written raw.
class FuzzCaseEncoder {
 public:
  std::string Encode(const FuzzCase& c) {
    out_.clear();
    const AggregateOptions& o = c.options;
    Put<uint8_t>(static_cast<uint8_t>(o.skb_copies_measured | o.disk_measured << 1 | o.nic_tx_measured << 2 |
                                      o.major_faults_measured << 3 | c.prometheus_pid_label << 4 |
                                      o.nic_rx_measured << 5));
    const Snapshot& s = c.snapshot;
    Put(s.duration_s);
    Put(s.now_ns);
    PutString(s.kernel);
    Put(s.health);
    for (const Capability& cap : s.capabilities) {
      PutTag(Record::kCapability);
      PutString(cap.name);
      Put<uint8_t>(cap.available);
      PutString(cap.detail);
    }
    for (const EndpointSnapshot& e : s.endpoints) {
      PutTag(Record::kEndpoint);
      Put(e.id);
      Put(e.info);
    }
    for (const ProcessSnapshot& p : s.processes) {
      PutTag(Record::kProcess);
      Put(static_cast<uint8_t>(p.slot));
      Put(p.info);
      Put(p.counters);
    }
    for (const PathSnapshot& p : s.paths) {
      PutTag(Record::kPath);
      Put(static_cast<uint8_t>(p.key.slot));
      Put(p.key.syscall);
      Put(p.key.source);
      Put(p.key.sink);
      Put(p.key.flags);
      Put(p.counters);
    }
    for (const FlowSnapshot& f : s.flows) {
      PutTag(Record::kFlow);
      Put(static_cast<uint8_t>(f.key.slot));
      Put(f.key.method);
      Put(kRawSelector);
      Put(f.key.source);
      Put(kRawSelector);
      Put(f.key.sink);
      Put(f.counters);
    }
    for (const auto& [dev, path] : s.mounts) {
      PutTag(Record::kMount);
      Put(kRawSelector);
      Put(dev);
      PutString(path);
    }
    for (const std::string& w : s.warnings) {
      PutTag(Record::kWarning);
      PutString(w);
    }
    return out_;
  }

 private:
  template <typename T>
  void Put(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&value), sizeof(value));
  }
  void PutTag(Record r) { Put(static_cast<uint8_t>(r)); }
  void PutString(const std::string& s) {
    const size_t n = std::min<size_t>(s.size(), 255);
    Put(static_cast<uint8_t>(n));
    out_.append(s, 0, n);
  }

  std::string out_;
};

}  // namespace zctrace::fuzz
