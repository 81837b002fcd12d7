#include "flows.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "copy_model.h"
#include "render.h"

namespace zctrace {
namespace {

struct Leg {
  Syscall syscall;
  bool from_source;  // the leg reads from the flow's source (else from user memory or a pipe)
  bool to_sink;      // the leg writes to the flow's sink (else to user memory or a pipe)
};

// How each flow method is made of syscalls: its legs and its mode switches per chunk.
struct MethodShape {
  uint8_t method;
  std::string_view name;
  std::string_view model;
  std::vector<Leg> legs;
  int syscalls_per_chunk;
};

const std::vector<MethodShape>& Shapes() {
  static const std::vector<MethodShape> kShapes = {
      {ZC_FLOW_READ_WRITE,
       "read+write",
       "read+write",
       {{Syscall::kRead, true, false}, {Syscall::kWrite, false, true}},
       2},
      {ZC_FLOW_MMAP_WRITE, "mmap+write", "mmap+write", {{Syscall::kWrite, false, true}}, 1},
      {ZC_FLOW_SENDFILE, "sendfile", "sendfile", {{Syscall::kSendfile, true, true}}, 1},
      {ZC_FLOW_SPLICE, "splice", "splice", {{Syscall::kSplice, true, true}}, 1},
      {ZC_FLOW_SPLICE_RELAY,
       "splice",
       "splice",
       {{Syscall::kSplice, true, false}, {Syscall::kSplice, false, true}},
       2},
      {ZC_FLOW_TEE, "tee", "tee", {{Syscall::kTee, true, true}}, 1},
      {ZC_FLOW_COPY_FILE_RANGE,
       "copy_file_range",
       "in-kernel copy",
       {{Syscall::kCopyFileRange, true, true}},
       1},
      {ZC_FLOW_VMSPLICE, "vmsplice", "vmsplice", {{Syscall::kVmsplice, true, true}}, 1},
      // bytes the program made (or read before tracing began): only the write's leg
      {ZC_FLOW_FROM_MEMORY, "from memory", "write", {{Syscall::kWrite, false, true}}, 1},
      {ZC_FLOW_CLONE, "ficlone", "reflink", {{Syscall::kFiclone, true, true}}, 1},
      {ZC_FLOW_CLONE_RANGE, "ficlonerange", "reflink", {{Syscall::kFiclonerange, true, true}}, 1},
  };
  return kShapes;
}

const MethodShape* ShapeOf(uint8_t method) {
  for (const MethodShape& s : Shapes()) {
    if (s.method == method)
      return &s;
  }
  return nullptr;
}

// What the kinds between legs are: user memory after a read, a pipe inside a splice relay.
Kind Between(const MethodShape& shape) {
  return shape.method == ZC_FLOW_SPLICE_RELAY ? Kind::kPipe : Kind::kUser;
}

// CPU and DMA copies per byte of a method between two endpoints, from the copy model's paths; flags: what
// its sends asked for (ZC_FLOW_KEY_FLAGS), which its sink legs take.
void CostOf(const MethodShape& shape, const Endpoint& source, const Endpoint& sink, uint8_t flags, int* cpu,
            int* dma) {
  *cpu = *dma = 0;
  // mmap+write reads its source through the mapping, not a syscall: the source's device still counts
  if (shape.method == ZC_FLOW_MMAP_WRITE)
    *dma += DeviceTransferOf(source.kind, source.loopback, true).copies;
  for (const Leg& leg : shape.legs) {
    PathSpec spec{leg.syscall, leg.from_source ? source.kind : Between(shape),
                  leg.to_sink ? sink.kind : Between(shape), 0};
    if (leg.from_source && source.loopback)
      spec.flags |= ZC_FLAG_SOURCE_LOOPBACK;
    if (leg.to_sink && sink.loopback)
      spec.flags |= ZC_FLAG_SINK_LOOPBACK;
    if (leg.to_sink)
      spec.flags |= flags & ZC_FLOW_KEY_FLAGS;
    const PathCost cost = ModelPath(spec);
    *cpu += cost.cpu_copies;
    *dma += (leg.from_source ? cost.source_dma.copies : 0) + (leg.to_sink ? cost.sink_dma.copies : 0);
  }
}

bool IsFileKind(Kind k) {
  return k == Kind::kFile || k == Kind::kFileDirect;
}

// The cheaper method for a flow, where the kernel has one: a table, first match wins.
struct Advice {
  std::vector<uint8_t> methods;
  bool (*source)(Kind);
  bool (*sink)(Kind);
  uint8_t better;
  std::string_view better_name;
};

const std::vector<Advice>& AdviceTable() {
  static const std::vector<Advice> kAdvice = {
      {{ZC_FLOW_READ_WRITE, ZC_FLOW_MMAP_WRITE, ZC_FLOW_SPLICE_RELAY},
       IsFileKind,
       IsSocket,
       ZC_FLOW_SENDFILE,
       "sendfile"},
      {{ZC_FLOW_READ_WRITE, ZC_FLOW_MMAP_WRITE},
       IsFileKind,
       [](Kind k) { return k == Kind::kPipe; },
       ZC_FLOW_SPLICE,
       "splice"},
      {{ZC_FLOW_READ_WRITE, ZC_FLOW_MMAP_WRITE},
       [](Kind k) { return k == Kind::kFile; },
       [](Kind k) { return k == Kind::kFile; },
       ZC_FLOW_COPY_FILE_RANGE,
       "copy_file_range"},
      {{ZC_FLOW_READ_WRITE},
       [](Kind k) { return IsSocket(k) || k == Kind::kPipe; },
       [](Kind k) { return IsSocket(k) || k == Kind::kFile; },
       ZC_FLOW_SPLICE_RELAY,
       "splice through a pipe"},
  };
  return kAdvice;
}

void Advise(FlowReport& flow, uint8_t method) {
  for (const Advice& a : AdviceTable()) {
    if (std::find(a.methods.begin(), a.methods.end(), method) == a.methods.end() ||
        !a.source(flow.source.kind) || !a.sink(flow.sink.kind)) {
      continue;
    }
    const MethodShape* better = ShapeOf(a.better);
    int cpu = 0, dma = 0;
    // what the sink's socket is stays with another method: its TLS, its route's device; TLS the program
    // does itself would be the kernel's (kTLS, in software) for an in-kernel method
    const bool user_tls = (flow.flags & ZC_FLAG_SINK_TLS_MASK) == ZC_FLAG_SINK_USER_TLS;
    const uint8_t kept = flow.flags & (ZC_FLAG_SINK_KTLS | ZC_FLAG_SINK_NO_SG | ZC_FLAG_SINK_TLS_MASK);
    CostOf(*better, flow.source, flow.sink,
           user_tls ? static_cast<uint8_t>((kept & ~ZC_FLAG_SINK_TLS_MASK) | ZC_FLAG_SINK_KTLS) : kept, &cpu,
           &dma);
    const int cpu_saved = flow.cpu_copies_per_byte - cpu;
    const int switches_saved = flow.mode_switches_per_chunk - 2 * better->syscalls_per_chunk;
    if (cpu_saved <= 0 && switches_saved <= 0)
      return;
    flow.better_method = std::string(a.better_name);
    flow.cpu_copies_saved_per_byte = std::max(cpu_saved, 0);
    flow.mode_switches_saved_per_chunk = std::max(switches_saved, 0);
    std::string text = (user_tls ? "kTLS (setsockopt TCP_ULP \"tls\", the kernel encrypting) with " : "") +
                       flow.better_method + " would remove ";
    if (cpu_saved > 0) {
      text += std::to_string(cpu_saved) + " CPU cop" + (cpu_saved == 1 ? "y" : "ies") + " of " +
              HumanBytes(flow.bytes);
    }
    if (switches_saved > 0) {
      if (cpu_saved > 0)
        text += " and ";
      text += std::to_string(switches_saved) + " mode switches per " +
              HumanBytes(flow.chunks ? flow.bytes / flow.chunks : 0) + " chunk";
    }
    if (method == ZC_FLOW_MMAP_WRITE)
      text += ", and the page faults of the mapping";
    flow.advice = text;
    return;
  }
}

SocketAddress AddressOf(uint16_t family, const uint8_t* addr, uint16_t port) {
  char buf[INET6_ADDRSTRLEN] = "?";
  inet_ntop(family == 2 /* AF_INET */ ? AF_INET : AF_INET6, addr, buf, sizeof(buf));
  return {buf, port};
}

std::string AddressText(const SocketAddress& a) {
  const bool v6 = a.ip.find(':') != std::string::npos;
  return (v6 ? "[" + a.ip + "]" : a.ip) + ":" + std::to_string(a.port);
}

// What two ends of flows grouped into one share: the parts where they differ are cleared.
void KeepShared(Endpoint& group, const Endpoint& member) {
  if (group.path != member.path)
    group.path.clear();
  if (group.inode != member.inode)
    group.inode = 0;
  if (group.local != member.local)
    group.local.reset();
  if (group.peer != member.peer)
    group.peer.reset();
  group.loopback = group.loopback && member.loopback;
}

bool IsLoopback(uint16_t family, const uint8_t* addr) {
  if (family == 2)
    return addr[0] == 127;
  static const uint8_t kV6Loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static const uint8_t kV4Mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(addr, kV6Loopback, 16) == 0 ||
         (std::memcmp(addr, kV4Mapped, 12) == 0 && addr[12] == 127);
}

std::string MountPoint(uint32_t dev, const Snapshot& snapshot) {
  for (const auto& [d, path] : snapshot.mounts) {
    if (d == dev)
      return path == "/" ? "" : path;
  }
  return "";
}

}  // namespace

std::string_view FlowMethodName(uint8_t method) {
  const MethodShape* shape = ShapeOf(method);
  return shape ? shape->name : "unknown";
}

std::string_view UserTlsNote() {
  return "TLS in user space: the program writes TLS records it encrypted itself (seen in its first send on "
         "the socket), so every byte also takes the cipher's pass in its own memory, on top of the copies "
         "counted here";
}

void AdviseUserTls(ProcessReport& proc) {
  uint64_t read_from_files = 0, sent_as_read = 0;
  for (const PathReport& p : proc.paths) {
    if (FamilyOf(p.syscall) == Family::kReceive && IsFileKind(p.source))
      read_from_files += p.bytes;
  }
  for (const FlowReport& f : proc.flows) {
    if (f.method == FlowMethodName(ZC_FLOW_READ_WRITE) && IsFileKind(f.source.kind))
      sent_as_read += f.bytes;
  }
  const uint64_t unsent = read_from_files - std::min(read_from_files, sent_as_read);
  for (FlowReport& f : proc.flows) {
    if ((f.flags & ZC_FLAG_SINK_TLS_MASK) != ZC_FLAG_SINK_USER_TLS || f.source.kind != Kind::kUser ||
        f.sink.kind != Kind::kTcp || !f.advice.empty() || unsent < f.bytes / 2) {
      continue;
    }
    // the model's cost: the read's copy and the write's (the program's own cipher pass uncounted) against
    // kTLS sendfile's one pass, the kernel's cipher over the page cache
    f.better_method = std::string(FlowMethodName(ZC_FLOW_SENDFILE));
    f.cpu_copies_saved_per_byte = 1;
    f.mode_switches_saved_per_chunk = 0;
    f.advice =
        "kTLS (setsockopt TCP_ULP \"tls\", the kernel encrypting) with sendfile would remove 1 CPU copy of " +
        HumanBytes(f.bytes) + ": these records are likely the " + HumanBytes(unsent) +
        " it read from files and wrote nowhere else, encrypted in between; the kernel's cipher would read "
        "the page cache itself, one pass instead of the read's copy, the program's cipher and the write's "
        "copy";
  }
}

std::string_view WholeCallModel(Syscall syscall) {
  for (const MethodShape& s : Shapes()) {
    if (s.legs.size() == 1 && s.legs[0].syscall == syscall && s.legs[0].from_source && s.legs[0].to_sink)
      return s.model;
  }
  return {};
}

std::vector<std::string_view> FlowMethodNames() {
  std::vector<std::string_view> names;
  for (const MethodShape& s : Shapes()) {
    if (std::find(names.begin(), names.end(), s.name) == names.end())
      names.push_back(s.name);
  }
  return names;
}

Endpoint NameEndpoint(const zc_endpoint_id& id, const Snapshot& snapshot) {
  Endpoint e;
  if (id.ino == ZC_MEMORY_SOURCE_INO) {
    e.kind = Kind::kUser;
    e.name = e.group = "memory";
    return e;
  }
  const zc_endpoint_info* info = nullptr;
  for (const EndpointSnapshot& ep : snapshot.endpoints) {
    if (ep.id.ino == id.ino && ep.id.dev == id.dev)
      info = &ep.info;
  }
  if (!info) {
    e.name = e.group = "inode " + std::to_string(id.ino) + " (not named: endpoint table full)";
    return e;
  }
  e.kind = info->kind < kKindCount ? static_cast<Kind>(info->kind) : Kind::kOther;
  e.inode = id.ino;
  e.dev = id.dev;
  e.accepted = info->accepted;
  const std::string kind(KindName(e.kind));
  if (e.kind == Kind::kTcp || e.kind == Kind::kUdp) {
    e.loopback = IsLoopback(info->family, info->peer_addr) || IsLoopback(info->family, info->local_addr);
    e.local = AddressOf(info->family, info->local_addr, info->local_port);
    e.peer = AddressOf(info->family, info->peer_addr, info->peer_port);
    const std::string local = AddressText(*e.local);
    const std::string peer = AddressText(*e.peer);
    e.name = kind + " " + local + " → " + peer;
    // a server's connections by the address it accepted them on, a client's by where it connected
    e.group = info->accepted ? kind + " " + local + " (accepted)" : kind + " → " + peer;
  } else if (e.kind == Kind::kUnix && info->unix_address) {
    const char* flat = &info->names[0][0];
    std::string path(flat, std::min<size_t>(info->unix_path_len, sizeof(info->names)));
    if (!path.empty() && path[0] == '\0')
      path[0] = '@';  // an abstract address, as ss shows it
    else
      path.resize(strnlen(path.c_str(), path.size()));
    e.path = path;
    const std::string connection = kind + ":[" + std::to_string(id.ino) + "]";
    if (info->unix_address == 2) {  // a client: its peer's address
      e.name = connection + " → " + path;
      e.group = kind + " → " + path;
    } else {
      e.name = connection + " " + path;
      e.group = kind + " " + path + (info->accepted ? " (accepted)" : "");
    }
  } else if (e.kind == Kind::kOther && info->depth > 0) {
    // an anon inode says what it is: "[eventfd]", "[eventpoll]", "[timerfd]", "[io_uring]"...
    std::string what(info->names[0], strnlen(info->names[0], ZC_NAME_LEN));
    if (what.size() > 2 && what.front() == '[' && what.back() == ']')
      what = what.substr(1, what.size() - 2);
    e.name = what + ":[" + std::to_string(id.ino) + "]";
    e.group = what;
  } else if (info->depth > 0) {
    std::string path;
    bool reached_root = false;
    for (int i = 0; i < info->depth && i < ZC_PATH_DEPTH; ++i) {
      const std::string name(info->names[i], strnlen(info->names[i], ZC_NAME_LEN));
      if (name == "/") {
        reached_root = true;
        break;
      }
      path = "/" + name + path;
    }
    e.name = (reached_root ? MountPoint(id.dev, snapshot) : std::string("...")) + path;
    if (auto fs = snapshot.filesystems.find(id.dev); fs != snapshot.filesystems.end())
      e.filesystem = fs->second;
    if (e.name.empty())
      e.name = "/";  // the root directory itself
    e.group = e.name;
    e.path = e.name;
  } else {
    e.name = kind + ":[" + std::to_string(id.ino) + "]";
    e.group = kind;  // pipes and UNIX sockets: one per connection, grouped by their kind
  }
  return e;
}

FlowReport BuildFlow(const FlowSnapshot& raw, const Snapshot& snapshot) {
  FlowReport flow;
  const MethodShape* shape = ShapeOf(raw.key.method);
  flow.source = NameEndpoint(raw.key.source, snapshot);
  flow.sink = NameEndpoint(raw.key.sink, snapshot);
  flow.bytes = raw.counters.bytes;
  flow.chunks = raw.counters.chunks;
  if (!shape) {
    flow.method = "unknown";
    return flow;
  }
  flow.method = std::string(shape->name);
  flow.flags = raw.key.flags;
  flow.model = std::string(shape->model);
  CostOf(*shape, flow.source, flow.sink, flow.flags, &flow.cpu_copies_per_byte, &flow.dma_copies_per_byte);
  flow.mode_switches_per_chunk = 2 * shape->syscalls_per_chunk;
  Advise(flow, raw.key.method);
  if (flow.sink.kind == Kind::kFile && flow.cpu_copies_per_byte > 0) {
    flow.notes.push_back(
        "into a buffered file every method copies into the page cache; O_DIRECT, or a reflink "
        "filesystem with copy_file_range, avoids it");
  }
  if (raw.key.method == ZC_FLOW_MMAP_WRITE) {
    flow.notes.push_back("plus the page faults of the mapping (see the mmap path)");
  }
  if ((flow.flags & ZC_FLAG_SINK_TLS_MASK) == ZC_FLAG_SINK_USER_TLS)
    flow.notes.push_back(std::string(UserTlsNote()));
  return flow;
}

std::vector<FlowReport> BuildFlows(uint32_t slot, const Snapshot& snapshot) {
  std::vector<FlowSnapshot> mine;
  for (const FlowSnapshot& f : snapshot.flows) {
    if (f.key.slot == slot)
      mine.push_back(f);
  }
  // A splice relay A → pipe → B is also two splice legs (A → pipe, pipe → B): fold them into it.
  for (const FlowSnapshot& relay : mine) {
    if (relay.key.method != ZC_FLOW_SPLICE_RELAY)
      continue;
    for (bool first_leg : {true, false}) {
      uint64_t bytes = relay.counters.bytes, chunks = relay.counters.chunks;
      for (FlowSnapshot& leg : mine) {
        if (leg.key.method != ZC_FLOW_SPLICE || !bytes)
          continue;
        const bool matches =
            first_leg
                ? (leg.key.source.ino == relay.key.source.ino && leg.key.source.dev == relay.key.source.dev)
                : (leg.key.sink.ino == relay.key.sink.ino && leg.key.sink.dev == relay.key.sink.dev);
        if (!matches)
          continue;
        const uint64_t take = std::min<uint64_t>(bytes, leg.counters.bytes);
        leg.counters.bytes -= take;
        leg.counters.chunks -= std::min<uint64_t>(chunks, leg.counters.chunks);
        bytes -= take;
        chunks = 0;
      }
    }
  }
  // A pipe whose other end a traced process read or wrote in a flow is named after that process.
  const auto other_end = [&](const zc_endpoint_id& pipe, bool we_write) -> std::string {
    for (const FlowSnapshot& f : snapshot.flows) {
      const zc_endpoint_id& end = we_write ? f.key.source : f.key.sink;
      if (f.key.slot == slot || end.ino != pipe.ino || end.dev != pipe.dev)
        continue;
      for (const ProcessSnapshot& p : snapshot.processes) {
        if (p.slot == f.key.slot) {
          return std::string(p.info.comm, strnlen(p.info.comm, sizeof(p.info.comm))) + "[" +
                 std::to_string(p.info.tgid) + "]";
        }
      }
    }
    return "";
  };
  // Flows of one method between the same endpoint groups are one flow (a server's connections, a proxy's
  // pipes), its members kept for the detail.
  std::vector<FlowReport> flows;
  std::vector<uint8_t> methods;
  std::map<std::string, size_t> by_group;
  for (const FlowSnapshot& f : mine) {
    if (f.counters.bytes == 0)
      continue;
    FlowReport one = BuildFlow(f, snapshot);
    if (one.sink.kind == Kind::kPipe) {
      if (const std::string reader = other_end(f.key.sink, true); !reader.empty()) {
        one.sink.group = "pipe → " + reader;
        one.sink.name += " → " + reader;
      }
    }
    if (one.source.kind == Kind::kPipe) {
      if (const std::string writer = other_end(f.key.source, false); !writer.empty()) {
        one.source.group = "pipe ← " + writer;
        one.source.name += " ← " + writer;
      }
    }
    const std::string group = std::to_string(f.key.method) + "\x1f" + std::to_string(f.key.flags) + "\x1f" +
                              one.source.group + "\x1f" + one.sink.group;
    const auto [it, added] = by_group.emplace(group, flows.size());
    if (added) {
      flows.push_back(std::move(one));
      methods.push_back(f.key.method);
      continue;
    }
    FlowReport& merged = flows[it->second];
    if (merged.members.empty())
      merged.members.push_back({merged.source, merged.sink, merged.bytes, merged.chunks});
    merged.members.push_back({one.source, one.sink, one.bytes, one.chunks});
    KeepShared(merged.source, one.source);
    KeepShared(merged.sink, one.sink);
    merged.bytes += one.bytes;
    merged.chunks += one.chunks;
  }
  for (size_t i = 0; i < flows.size(); ++i) {
    FlowReport& f = flows[i];
    if (f.members.empty())
      continue;
    f.source.name = f.source.group;
    f.sink.name = f.sink.group;
    std::sort(f.members.begin(), f.members.end(),
              [](const FlowMember& a, const FlowMember& b) { return a.bytes > b.bytes; });
    // the advice speaks of the group's bytes and chunks
    f.better_method.clear();
    f.advice.clear();
    f.cpu_copies_saved_per_byte = f.mode_switches_saved_per_chunk = 0;
    Advise(f, methods[i]);
  }
  // the copies of each flow, grouped or not: its copies per byte over its own bytes and chunks
  for (FlowReport& f : flows) {
    const auto modelled = [&f](int per_byte) {
      const uint64_t n = static_cast<uint64_t>(std::max(per_byte, 0));
      return CopyFigure{f.chunks * n, f.bytes * n, Basis::kModelled, 0};
    };
    f.cpu = modelled(f.cpu_copies_per_byte);
    f.dma = modelled(f.dma_copies_per_byte);
  }
  std::sort(flows.begin(), flows.end(),
            [](const FlowReport& a, const FlowReport& b) { return a.bytes > b.bytes; });
  return flows;
}

}  // namespace zctrace
