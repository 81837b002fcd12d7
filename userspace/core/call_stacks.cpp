#include "call_stacks.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "profile_export.h"

namespace zctrace {
namespace {

using EndpointKey = std::pair<uint64_t, uint32_t>;  // (inode, dev)

EndpointKey KeyOf(const zc_endpoint_id& id) {
  return {id.ino, id.dev};
}
EndpointKey KeyOf(const Endpoint& e) {
  return {e.inode, e.dev};
}

std::string PathLabel(Syscall syscall, Kind source, Kind sink) {
  return std::string(SyscallName(syscall)) + " " + std::string(KindName(source)) + " → " +
         std::string(KindName(sink));
}

// A function's name without its parameters ("workload::Io::read(...)" → "workload::Io::read"): a call site
// line names functions; the stacks in JSON keep the whole names.
std::string ShortName(std::string name) {
  const size_t paren = name.find('(');
  if (paren != std::string::npos && paren > 0 && name.find("operator") == std::string::npos)
    name.erase(paren);
  return name;
}

// The names of a stack's application frames, innermost first: past the frame the syscall was made in (a
// wrapper: libc's, or a runtime's) and the C library's own callers of it (stdio).
std::vector<std::string> ApplicationFunctions(const CallStack& s) {
  std::vector<std::string> names;
  size_t first = s.frames.size() > 1 ? 1 : 0;
  while (first < s.frames.size() && InRuntimeLibrary(s.frames[first]))
    ++first;
  if (first == s.frames.size())
    first = 0;  // nothing but the C library: show what there is
  for (size_t i = first; i < s.frames.size(); ++i)
    names.push_back(ShortName(FrameName(s.frames[i])));
  return names;
}

// A call site: the innermost kCallSiteFrames application functions, "…" after them when the stack's
// callers are not known.
std::vector<std::string> CallSiteFunctions(const CallStack& s) {
  std::vector<std::string> names = ApplicationFunctions(s);
  if (names.size() > kCallSiteFrames)
    names.resize(kCallSiteFrames);
  if (names.empty())
    names.push_back(s.truncated.empty() ? "(no frames)" : "(" + s.truncated + ")");
  else if (!s.truncated.empty())
    names.push_back("…");  // its callers are not known (the stack says why)
  return names;
}

// The ends a flow's calls were made on: its own, and each grouped connection's.
struct FlowEnds {
  std::set<EndpointKey> sources;
  std::set<EndpointKey> sinks;
};

FlowEnds EndsOf(const FlowReport& flow) {
  FlowEnds ends;
  ends.sources.insert(KeyOf(flow.source));
  ends.sinks.insert(KeyOf(flow.sink));
  for (const FlowMember& m : flow.members) {
    ends.sources.insert(KeyOf(m.source));
    ends.sinks.insert(KeyOf(m.sink));
  }
  return ends;
}

bool IsWholeCallMethod(const std::string& method) {
  return method == "sendfile" || method == "splice" || method == "tee" || method == "copy_file_range";
}

// Whether a stack's calls made (part of) a flow: a receive on one of its sources, a send on one of its
// sinks, or a whole-call method's call between one of each.
// A send from user memory to a sink is a read+write flow's when the process has one to that sink (the stack
// count does not say which read filled the buffer): a server's small writes from memory to the same socket
// (response headers) count there too, and a flow from memory has call sites only where no read+write
// flow shares its sink.
bool PartOf(const StackSnapshot& raw, Syscall syscall, const FlowReport& flow, const FlowEnds& ends,
            const std::set<EndpointKey>& relayed_sinks) {
  const bool whole_call = FamilyOf(syscall) == Family::kSplice;
  if (whole_call != IsWholeCallMethod(flow.method))
    return false;
  const bool from_source = raw.key.source.ino != 0 && ends.sources.count(KeyOf(raw.key.source));
  const bool to_sink = raw.key.sink.ino != 0 && ends.sinks.count(KeyOf(raw.key.sink));
  if (whole_call)  // a splice relay's calls each have one of the flow's ends and the pipe between
    return flow.method == "splice" ? from_source || to_sink : from_source && to_sink;
  if (FamilyOf(syscall) == Family::kReceive)  // only read+write receives; mmap+write reads by faults
    return from_source && flow.method == "read+write";
  // a send's source is set when its buffer was a file's mapping (mmap+write): from memory otherwise
  const bool from_mapping = raw.key.source.ino != 0;
  if (FamilyOf(syscall) != Family::kSend || !to_sink || from_mapping != (flow.method == "mmap+write"))
    return false;
  return from_mapping || flow.method == "read+write" || !relayed_sinks.count(KeyOf(raw.key.sink));
}

// The copy loop: the innermost application function that both the flow's receives and its sends were made
// under (a read/write loop calls both, perhaps through helpers of its own), weighed by the sends' bytes;
// "" when there is none (nginx reads in one function and writes in another, called apart).
std::string CopyLoopFunction(const std::vector<std::pair<const CallStack*, Family>>& parts) {
  std::set<std::string> under_receives;
  for (const auto& [stack, family] : parts) {
    if (family != Family::kReceive)
      continue;
    for (const std::string& name : ApplicationFunctions(*stack))
      under_receives.insert(name);
  }
  std::map<std::string, uint64_t> loop_bytes;
  for (const auto& [stack, family] : parts) {
    if (family != Family::kSend)
      continue;
    for (const std::string& name : ApplicationFunctions(*stack)) {
      if (under_receives.count(name) && name.find("+0x") == std::string::npos) {
        loop_bytes[name] += stack->bytes;
        break;
      }
    }
  }
  std::string best;
  uint64_t best_bytes = 0;
  for (const auto& [name, bytes] : loop_bytes) {
    if (bytes > best_bytes) {
      best = name;
      best_bytes = bytes;
    }
  }
  return best;
}

}  // namespace

bool InRuntimeLibrary(const StackFrame& frame) {
  const size_t slash = frame.module.rfind('/');
  const std::string base = slash == std::string::npos ? frame.module : frame.module.substr(slash + 1);
  return base.rfind("libc.so", 0) == 0 || base.rfind("libc-", 0) == 0 || base.rfind("ld-linux", 0) == 0 ||
         base.rfind("libpthread", 0) == 0;
}

void AttachStacks(const Snapshot& snapshot, uint32_t slot, ProcessReport* proc) {
  if (!snapshot.stacks_captured)
    return;
  std::vector<std::pair<const StackSnapshot*, size_t>> mine;  // raw stack → index in proc->stacks
  for (const StackSnapshot& raw : snapshot.stacks) {
    if (raw.process_slot != slot || raw.key.path.syscall >= kSyscallCount ||
        raw.key.path.source >= kKindCount || raw.key.path.sink >= kKindCount)
      continue;
    CallStack s;
    s.pid = proc->pid;
    s.comm = proc->comm;
    s.syscall = static_cast<Syscall>(raw.key.path.syscall);
    s.source = static_cast<Kind>(raw.key.path.source);
    s.sink = static_cast<Kind>(raw.key.path.sink);
    s.path = PathLabel(s.syscall, s.source, s.sink);
    s.frames = raw.frames;
    s.truncated = raw.truncated;
    s.calls = raw.counters.calls;
    s.errors = raw.counters.errors;
    s.bytes = raw.counters.bytes;
    s.mode_switches = 2 * s.calls;
    for (const PathReport& p : proc->paths) {
      if (p.syscall == s.syscall && p.source == s.source && p.sink == s.sink &&
          p.flags == raw.key.path.flags) {
        s.cpu_copied_bytes = s.bytes * static_cast<uint64_t>(p.cpu_copies_per_byte);
        break;
      }
    }
    mine.emplace_back(&raw, proc->stacks.size());
    proc->stacks.push_back(std::move(s));
  }

  std::set<EndpointKey> relayed_sinks;
  for (const FlowReport& flow : proc->flows) {
    if (flow.method == "read+write") {
      const FlowEnds ends = EndsOf(flow);
      relayed_sinks.insert(ends.sinks.begin(), ends.sinks.end());
    }
  }
  for (FlowReport& flow : proc->flows) {
    const FlowEnds ends = EndsOf(flow);
    std::vector<std::pair<const CallStack*, Family>> parts;
    for (const auto& [raw, index] : mine) {
      const CallStack& s = proc->stacks[index];
      if (PartOf(*raw, s.syscall, flow, ends, relayed_sinks))
        parts.emplace_back(&s, FamilyOf(s.syscall));
    }
    std::map<std::vector<std::string>, CallSite> sites;
    uint64_t total = 0, total_copied = 0;
    for (const auto& [stack, family] : parts) {
      const std::vector<std::string> names = CallSiteFunctions(*stack);
      CallSite& site = sites[names];
      site.functions = names;
      site.bytes += stack->bytes;
      site.cpu_copied_bytes += stack->cpu_copied_bytes;
      site.calls += stack->calls;
      total += stack->bytes;
      total_copied += stack->cpu_copied_bytes;
    }
    // shares of what the flow's calls CPU-copied; of what they moved when they copied nothing
    const bool copied = total_copied > 0;
    for (auto& [names, site] : sites) {
      const uint64_t part = copied ? site.cpu_copied_bytes : site.bytes;
      const uint64_t whole = copied ? total_copied : total;
      site.share = whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
      flow.call_sites.push_back(site);
    }
    std::sort(flow.call_sites.begin(), flow.call_sites.end(), [](const CallSite& a, const CallSite& b) {
      if (a.share != b.share)
        return a.share > b.share;
      return a.bytes != b.bytes ? a.bytes > b.bytes : a.functions < b.functions;
    });
    const std::string loop = CopyLoopFunction(parts);
    if (!loop.empty() && !flow.better_method.empty()) {
      flow.call_site_advice = "the copy loop is " + loop +
                              ": it reads the bytes into its buffer and writes " + "them out again; " +
                              flow.better_method + " there moves them without that";
    } else if (!loop.empty() && flow.cpu_copies_per_byte > 0) {
      flow.call_site_advice =
          "the copy loop is " + loop + ": it reads the bytes into its buffer and writes " + "them out again";
    }
  }
  // The kernel counts a stack per pair of ends (a server's per connection): one entry per stack and path
  // here.
  std::map<std::string, size_t> merged_index;
  std::vector<CallStack> merged;
  for (CallStack& s : proc->stacks) {
    std::string key = s.path + '\n' + s.truncated;
    for (const StackFrame& f : s.frames)
      key += '\n' + std::to_string(f.address) + (f.leaf_caller ? "*" : "");
    const auto [at, made] = merged_index.emplace(key, merged.size());
    if (made) {
      merged.push_back(std::move(s));
      continue;
    }
    CallStack& into = merged[at->second];
    into.calls += s.calls;
    into.errors += s.errors;
    into.bytes += s.bytes;
    into.cpu_copied_bytes += s.cpu_copied_bytes;
    into.mode_switches += s.mode_switches;
  }
  proc->stacks = std::move(merged);
  std::sort(proc->stacks.begin(), proc->stacks.end(), [](const CallStack& a, const CallStack& b) {
    if (a.cpu_copied_bytes != b.cpu_copied_bytes)
      return a.cpu_copied_bytes > b.cpu_copied_bytes;
    return a.bytes != b.bytes ? a.bytes > b.bytes : a.path < b.path;
  });
}

}  // namespace zctrace
