// Precise mode: fentry/fexit on the kernel's payload copy functions, where the kernel allows them.
// Picked at run time like bcc's libbpf-tools do: look each function up in the kernel's BTF, try to load
// a probe fentry program, and fall back to the copy model when the kernel refuses.
#pragma once

#include <string>
#include <vector>

#include "copy_mode.h"

struct zctrace_bpf;
struct btf;
struct bpf_link;

namespace zctrace {

struct CopyHookPlan {
  bool load = false;                   // the hook programs are set to load
  std::vector<std::string> functions;  // the copy functions hooked
  std::string why_not;                 // when not: the kernel's reason
};

// Before the skeleton is loaded. With CopyMode::kPrecise a kernel that refuses is an error (false and
// *error); with kAuto it leaves the hooks out and says why in the plan.
bool PlanCopyHooks(zctrace_bpf* skel, const btf* vmlinux, CopyMode mode, CopyHookPlan* plan,
                   std::string* error);

// After load: attaches the planned hooks to links. On failure it attaches none and returns false with
// the reason in *why.
bool AttachCopyHooks(zctrace_bpf* skel, const CopyHookPlan& plan, std::vector<bpf_link*>* links,
                     std::string* why);

}  // namespace zctrace
