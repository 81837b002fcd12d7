#include "vocabulary.h"

#include <array>

namespace zctrace {
namespace {

// Indexed by the enum value: both come from zctrace.h's table. The kinds' static_assert below keeps that
// array in step with zctrace.h.
#define ZCTRACE_SYSCALL_NAME(id, camel, name, ...) name,
#define ZCTRACE_SYSCALL_NAMES            \
  ZC_SYSCALL_TABLE(ZCTRACE_SYSCALL_NAME) \
  ZC_CLONE_TABLE(ZCTRACE_SYSCALL_NAME)   \
  ZC_IO_URING_TABLE(ZCTRACE_SYSCALL_NAME)
constexpr std::array<std::string_view, kSyscallCount> kSyscallNames = {ZCTRACE_SYSCALL_NAMES};
#undef ZCTRACE_SYSCALL_NAMES
#undef ZCTRACE_SYSCALL_NAME
static_assert(kSyscallNames.size() == ZC_SYS_COUNT);

constexpr std::array<std::string_view, kKindCount> kKindNames = {
    "other", "file", "file-direct", "tcp",      "udp",  "unix", "pipe",
    "null",  "zero", "chardev",     "blockdev", "user", "anon", "pseudo-file",
};
static_assert(kKindNames.size() == ZC_KIND_COUNT);

}  // namespace

// Total functions: a value read from a kernel map is not trusted to be in range.
std::string_view SyscallName(Syscall s) {
  const auto i = static_cast<size_t>(s);
  return i < kSyscallNames.size() ? kSyscallNames[i] : "invalid";
}

std::optional<Syscall> SyscallFromName(std::string_view name) {
  for (size_t i = 0; i < kSyscallNames.size(); ++i) {
    if (kSyscallNames[i] == name)
      return static_cast<Syscall>(i);
  }
  return std::nullopt;
}

Family FamilyOf(Syscall s) {
  switch (s) {
#define ZCTRACE_FAMILY_RECEIVE Family::kReceive
#define ZCTRACE_FAMILY_SEND Family::kSend
#define ZCTRACE_FAMILY_MAP Family::kMap
#define ZCTRACE_FAMILY_SPLICE Family::kSplice
#define ZCTRACE_SYSCALL_FAMILY(id, camel, name, nr, family, memo, buffers) \
  case Syscall::k##camel:                                                  \
    return ZCTRACE_FAMILY_##family;
#define ZCTRACE_IO_URING_FAMILY(id, camel, name, family) \
  case Syscall::k##camel:                                \
    return ZCTRACE_FAMILY_##family;
#define ZCTRACE_CLONE_FAMILY(id, camel, ...) \
  case Syscall::k##camel:                    \
    return Family::kSplice;
    ZC_SYSCALL_TABLE(ZCTRACE_SYSCALL_FAMILY)
    ZC_CLONE_TABLE(ZCTRACE_CLONE_FAMILY)
    ZC_IO_URING_TABLE(ZCTRACE_IO_URING_FAMILY)
#undef ZCTRACE_SYSCALL_FAMILY
#undef ZCTRACE_CLONE_FAMILY
#undef ZCTRACE_IO_URING_FAMILY
  }
  return Family::kSplice;
}

std::string_view KindName(Kind k) {
  const auto i = static_cast<size_t>(k);
  return i < kKindNames.size() ? kKindNames[i] : "invalid";
}

std::optional<Kind> KindFromName(std::string_view name) {
  for (size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == name)
      return static_cast<Kind>(i);
  }
  return std::nullopt;
}

bool IsSocket(Kind k) {
  return k == Kind::kTcp || k == Kind::kUdp || k == Kind::kUnix;
}

std::string_view BasisName(Basis b) {
  return b == Basis::kMeasured ? "measured" : "modelled";
}

bool IsClone(Syscall s) {
  switch (s) {
#define ZCTRACE_CLONE_CASE(id, camel, ...) case Syscall::k##camel:
    ZC_CLONE_TABLE(ZCTRACE_CLONE_CASE)
#undef ZCTRACE_CLONE_CASE
    return true;
    default:
      return false;
  }
}

bool IsIoUring(Syscall s) {
  return static_cast<int>(s) >= ZC_SYS_IO_URING_READ && static_cast<int>(s) < ZC_SYS_COUNT;
}

}  // namespace zctrace
