// How CPU copies are counted: the tracer's setting, which the command line chooses (--mode).
#pragma once

namespace zctrace {

// kPrecise: the kernel's copy functions hooked (fentry/fexit), an error where the kernel refuses them;
// kModel: the copy model; kAuto: precise where the kernel allows it, else the model.
enum class CopyMode { kAuto, kPrecise, kModel };

}  // namespace zctrace
