#include "copy_hooks.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <string>

#include "zctrace.h"
#include "zctrace.skel.h"

namespace zctrace {
namespace {

struct CopyFunction {
  const char* name;
  bpf_program* (*enter)(zctrace_bpf*);
  bpf_program* (*exit)(zctrace_bpf*);
};

#define ZC_COPY_FUNCTION(fn)                                     \
  {#fn, [](zctrace_bpf* s) { return s->progs.copy_enter_##fn; }, \
   [](zctrace_bpf* s) { return s->progs.copy_exit_##fn; }},

// The copy functions of zctrace.h's table, each with its pair of programs. Nested calls count once: the
// BPF side counts the outermost call only.
const CopyFunction kCopyFunctions[] = {ZC_COPY_FUNCTION_TABLE(ZC_COPY_FUNCTION)};

#undef ZC_COPY_FUNCTION

// Loads the smallest fentry program ("return 0") on one copy function: whether this kernel lets
// zctrace use fentry at all (this machine's 6.18 answers EPERM). 0 or a negative errno.
int ProbeFentry(int btf_id) {
  const bpf_insn program[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},  // r0 = 0
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},                   // exit
  };
  bpf_prog_load_opts opts{};
  opts.sz = sizeof(opts);
  opts.expected_attach_type = BPF_TRACE_FENTRY;
  opts.attach_btf_id = static_cast<__u32>(btf_id);
  const int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "zc_probe", "GPL", program, 2, &opts);
  if (fd < 0)
    return -errno;
  close(fd);
  return 0;
}

// Of `wanted`, those ftrace can hook: fentry attaches through ftrace's entry hook, and a function the
// kernel was built without one for (lib/iov_iter.c in Debian's 6.1 and 6.12 builds) cannot be attached
// (EBUSY) whatever its BTF says. tracefs lists them (available_filter_functions: "name" or "name
// [module]"); nullopt where tracefs is not mounted, which leaves the attach to tell.
std::optional<std::set<std::string>> Hookable(const std::vector<std::string>& wanted) {
  for (const char* path : {"/sys/kernel/tracing/available_filter_functions",
                           "/sys/kernel/debug/tracing/available_filter_functions"}) {
    std::ifstream in(path);
    if (!in)
      continue;
    std::set<std::string> found;
    std::string line;
    while (std::getline(in, line)) {
      const std::string name = line.substr(0, line.find(' '));
      if (std::find(wanted.begin(), wanted.end(), name) != wanted.end())
        found.insert(name);
    }
    return found;
  }
  return std::nullopt;
}

}  // namespace

bool PlanCopyHooks(zctrace_bpf* skel, const btf* vmlinux, CopyMode mode, CopyHookPlan* plan,
                   std::string* error) {
  plan->load = false;
  plan->functions.clear();
  if (mode == CopyMode::kModel) {
    plan->why_not = "--mode model";
    return true;
  }
  int probe_id = -1;
  std::vector<const CopyFunction*> present;  // the ones this kernel has, looked up once
  for (const CopyFunction& f : kCopyFunctions) {
    const int id = btf__find_by_name_kind(vmlinux, f.name, BTF_KIND_FUNC);
    if (id > 0) {
      present.push_back(&f);
      plan->functions.push_back(f.name);
      if (probe_id < 0)
        probe_id = id;
    }
  }
  if (probe_id < 0) {
    plan->why_not = "none of the copy functions is in the kernel's BTF";
  } else if (const int err = ProbeFentry(probe_id); err != 0) {
    plan->why_not = std::string("the kernel refuses fentry programs (") + std::strerror(-err) + ")";
  } else if (const auto hookable = Hookable(plan->functions)) {
    // one function unhooked would leave its copies out of counts that say "measured": all or none
    std::string missing;
    for (const std::string& name : plan->functions) {
      if (!hookable->count(name))
        missing += (missing.empty() ? "" : ", ") + name;
    }
    if (!missing.empty()) {
      plan->why_not = "this kernel was built without ftrace's entry hook in " + missing +
                      " (not in tracefs's available_filter_functions), where fentry attaches";
    }
  }
  if (!plan->why_not.empty()) {
    plan->functions.clear();
    if (mode == CopyMode::kPrecise) {
      *error = "--mode precise: " + plan->why_not + "; use --mode model or auto";
      return false;
    }
    return true;
  }
  for (const CopyFunction* f : present) {  // "?" sections: the others stay unloaded
    bpf_program__set_autoload(f->enter(skel), true);
    bpf_program__set_autoload(f->exit(skel), true);
  }
  plan->load = true;
  return true;
}

bool AttachCopyHooks(zctrace_bpf* skel, const CopyHookPlan& plan, std::vector<bpf_link*>* links,
                     std::string* why) {
  if (!plan.load)
    return false;
  std::vector<bpf_link*> attached;
  for (const CopyFunction& f : kCopyFunctions) {
    for (bpf_program* prog : {f.enter(skel), f.exit(skel)}) {
      if (!bpf_program__autoload(prog))
        continue;
      bpf_link* link = bpf_program__attach(prog);
      if (!link) {
        *why = std::string("attaching to ") + f.name + " failed: " + std::strerror(errno);
        for (bpf_link* l : attached)
          bpf_link__destroy(l);
        return false;
      }
      attached.push_back(link);
    }
  }
  links->insert(links->end(), attached.begin(), attached.end());
  return true;
}

}  // namespace zctrace
