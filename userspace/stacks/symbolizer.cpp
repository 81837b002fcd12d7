#include "symbolizer.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "call_stacks.h"
#include "elf_file.h"
#include "flows.h"
#include "perf_map.h"

namespace zctrace {
namespace {

constexpr uint64_t kPageSize = 4096;

// The functions a program's frame-pointer chain ends in by design: the C library's start-up, which keeps no
// frame pointer. A chain that stops there reached the program's entry.
bool IsEntryFunction(const std::string& name) {
  return name == "__libc_start_call_main" || name == "__libc_start_main" || name == "_start" ||
         name == "__libc_start_main_impl" || name == "start_thread" || name == "clone3" || name == "clone";
}

std::string Basename(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The files and mappings the frames of one snapshot's stacks are looked up in, each opened once.
class FrameNamer {
 public:
  FrameNamer(const Snapshot& snap, const std::string& perf_map_dir)
      : snap_(snap), perf_map_dir_(perf_map_dir) {
    for (const CodeMappingSnapshot& m : snap.code_mappings)
      mappings_[{m.key.slot, m.key.space}].push_back(&m);
    for (auto& [space, list] : mappings_) {
      std::sort(list.begin(), list.end(), [](const CodeMappingSnapshot* a, const CodeMappingSnapshot* b) {
        return a->key.start < b->key.start;
      });
    }
    for (const ProcessSnapshot& p : snap.processes)
      pids_[p.slot] = p.info.tgid;
  }

  // A frame at address; a return address (every frame but the innermost) is looked up one byte earlier:
  // a call that is a function's last instruction returns past its end.
  StackFrame Name(const StackSnapshot& s, uint64_t address, bool return_address) {
    StackFrame f;
    f.address = address;
    const CodeMappingSnapshot* m = MappingOf(s, address);
    if (!m)
      return f;
    const uint64_t lookup = return_address ? address - 1 : address;
    if (m->mapping.file.ino == 0) {  // anonymous code: a JIT's, named by its perf map if it writes one
      f.module = "[anonymous]";
      f.module_offset = address - m->key.start;
      if (const PerfMap* map = PerfMapOf(s.process_slot)) {
        if (auto sym = map->Symbolize(lookup)) {
          f.function = sym->name;
          f.function_offset = address - sym->start;
        }
      }
      return f;
    }
    const std::string& path = PathOf(m->mapping.file);
    f.module = path;
    f.module_offset = address - m->key.start + m->mapping.pgoff * kPageSize;
    const ElfFile* elf = Elf(path);
    if (!elf)
      return f;
    f.build_id = elf->build_id();
    const auto at = elf->AddressOfOffset(f.module_offset - (address - lookup));
    if (!at)
      return f;
    if (auto sym = elf->Symbolize(*at)) {
      f.function = sym->name;
      f.function_offset = sym->offset + (address - lookup);
    }
    return f;
  }

  // The ELF address of a frame (for the checks below), or nullopt.
  std::optional<uint64_t> ElfAddress(const StackFrame& f) {
    const ElfFile* elf = f.module.empty() || f.module[0] == '[' ? nullptr : Elf(f.module);
    return elf ? elf->AddressOfOffset(f.module_offset) : std::nullopt;
  }

  // Whether the function a frame is in sets up a frame pointer: nullopt when that cannot be told.
  std::optional<bool> KeepsFramePointer(const StackFrame& f) {
    const auto at = ElfAddress(f);
    if (!at || f.function.empty())
      return std::nullopt;
    const ElfFile* elf = Elf(f.module);
    const uint64_t start = *at - f.function_offset;
    return elf->SetsUpFramePointer(start);
  }

  // Whether a frame's address follows a call instruction (it is a return address); nullopt when unknown.
  std::optional<bool> FollowsCall(const StackFrame& f) {
    const auto at = ElfAddress(f);
    if (!at)
      return std::nullopt;
    return Elf(f.module)->FollowsCall(*at);
  }

 private:
  const CodeMappingSnapshot* MappingOf(const StackSnapshot& s, uint64_t address) const {
    const auto found = mappings_.find({s.key.path.slot, s.key.space});
    if (found == mappings_.end())
      return nullptr;
    const auto& list = found->second;
    auto it = std::upper_bound(list.begin(), list.end(), address,
                               [](uint64_t a, const CodeMappingSnapshot* m) { return a < m->key.start; });
    if (it == list.begin())
      return nullptr;
    --it;
    return address < (*it)->mapping.end ? *it : nullptr;
  }

  const std::string& PathOf(const zc_endpoint_id& id) {
    const auto key = std::make_pair(id.ino, id.dev);
    auto found = paths_.find(key);
    if (found == paths_.end()) {
      const Endpoint e = NameEndpoint(id, snap_);
      found = paths_.emplace(key, e.path.empty() ? e.name : e.path).first;
    }
    return found->second;
  }

  const ElfFile* Elf(const std::string& path) {
    auto found = elves_.find(path);
    if (found == elves_.end()) {
      std::string error;
      found = elves_.emplace(path, ElfFile::Open(path, &error)).first;
    }
    return found->second.get();
  }

  const PerfMap* PerfMapOf(uint32_t slot) {
    const auto pid = pids_.find(slot);
    if (pid == pids_.end())
      return nullptr;
    auto found = perf_maps_.find(pid->second);
    if (found == perf_maps_.end())
      found = perf_maps_
                  .emplace(pid->second,
                           PerfMap::Load(perf_map_dir_ + "/perf-" + std::to_string(pid->second) + ".map"))
                  .first;
    return found->second ? &*found->second : nullptr;
  }

  const Snapshot& snap_;
  std::string perf_map_dir_;
  std::map<std::pair<uint32_t, uint32_t>, std::vector<const CodeMappingSnapshot*>> mappings_;
  std::map<uint32_t, uint32_t> pids_;  // slot → tgid
  std::map<std::pair<uint64_t, uint32_t>, std::string> paths_;
  std::map<std::string, std::unique_ptr<ElfFile>> elves_;
  std::map<uint32_t, std::optional<PerfMap>> perf_maps_;
};

std::string FunctionOrModule(const StackFrame& f) {
  if (!f.function.empty())
    return f.function;
  return f.module.empty() ? "an unmapped address" : Basename(f.module) + " code";
}

// The frames of one stack: the innermost (the syscall's instruction), the wrapper's caller when the word at
// the stack pointer is its return address, then the frame-pointer chain for as long as it can be trusted:
// each link was saved by a function that sets up a frame pointer, and each address follows a call.
void NameStack(FrameNamer& namer, const std::vector<uint64_t>& addresses, StackSnapshot* s) {
  if (addresses.empty()) {
    s->truncated = "not captured: the stack had no user frames";
    return;
  }
  StackFrame leaf = namer.Name(*s, addresses[0], false);
  s->frames.push_back(leaf);
  // The frame-pointer chain begins at the innermost function that set one up: the leaf's own function, or
  // (a wrapper keeps none) its caller's.
  std::optional<bool> chain_owner_keeps = namer.KeepsFramePointer(leaf);
  std::string chain_owner = FunctionOrModule(leaf);
  if (s->key.leaf_caller && chain_owner_keeps != true) {
    StackFrame caller = namer.Name(*s, s->key.leaf_caller, true);
    caller.leaf_caller = true;
    const bool is_next_link = addresses.size() > 1 && addresses[1] == s->key.leaf_caller;
    if (!is_next_link && namer.FollowsCall(caller) == true) {
      s->frames.push_back(caller);
      chain_owner_keeps = namer.KeepsFramePointer(caller);
      chain_owner = FunctionOrModule(caller);
    }
  }
  // A function without a symbol cannot be checked for a frame pointer: its link is taken if it leads to a
  // return address, as profilers do. The C library's start-up code keeps none: a chain ends there.
  bool last_in_runtime = InRuntimeLibrary(s->frames.back());
  for (size_t i = 1; i < addresses.size(); ++i) {
    if (chain_owner_keeps == false) {
      if (!IsEntryFunction(chain_owner))
        s->truncated = chain_owner + " keeps no frame pointer: its callers are not known";
      return;
    }
    StackFrame f = namer.Name(*s, addresses[i], true);
    if (namer.FollowsCall(f) != true) {
      if (!IsEntryFunction(chain_owner) && !(chain_owner_keeps == std::nullopt && last_in_runtime))
        s->truncated =
            "the frame-pointer chain ends after " + chain_owner + ": what follows is no return address";
      return;
    }
    s->frames.push_back(f);
    last_in_runtime = InRuntimeLibrary(f);
    chain_owner_keeps = namer.KeepsFramePointer(f);
    chain_owner = FunctionOrModule(f);
  }
  if (addresses.size() >= ZC_STACK_DEPTH)
    s->truncated = "deeper than the " + std::to_string(ZC_STACK_DEPTH) + " frames kept";
}

}  // namespace

void SymbolizeStacks(Snapshot* snapshot, const std::string& perf_map_dir) {
  FrameNamer namer(*snapshot, perf_map_dir);
  for (StackSnapshot& s : snapshot->stacks) {
    s.frames.clear();
    s.truncated.clear();
    if (s.key.stack_id < 0) {  // the innermost frame and the wrapper's caller are all there is
      NameStack(namer, s.key.leaf_ip ? std::vector<uint64_t>{s.key.leaf_ip} : std::vector<uint64_t>{}, &s);
      if (s.key.stack_id == ZC_STACK_NO_FRAME_CHAIN) {
        if (s.truncated.empty())
          s.truncated = FunctionOrModule(s.frames.empty() ? StackFrame{} : s.frames.back()) +
                        " leaves no frame pointer to follow: its callers are not known";
        continue;
      }
      s.truncated =
          "the rest was not kept: " +
          std::string(s.key.stack_id == -17
                          ? "another stack held its entry in the kernel's stack table"
                          : "the kernel's stack walk failed (error " + std::to_string(-s.key.stack_id) + ")");
      continue;
    }
    const auto addresses = snapshot->stack_addresses.find(s.key.stack_id);
    if (addresses == snapshot->stack_addresses.end()) {
      s.truncated = "not captured: the stack table no longer held it";
      continue;
    }
    NameStack(namer, addresses->second, &s);
  }
}

}  // namespace zctrace
