#include "vocabulary.h"

#include <array>

namespace zctrace {
namespace {

// Indexed by the enum value; the static_asserts below keep the arrays in step with zctrace.h.
constexpr std::array<std::string_view, kSyscallCount> kSyscallNames = {
    "read",
    "pread",
    "readv",
    "preadv",
    "preadv2",
    "write",
    "pwrite",
    "writev",
    "pwritev",
    "pwritev2",
    "sendto",
    "sendmsg",
    "sendmmsg",
    "recvfrom",
    "recvmsg",
    "recvmmsg",
    "mmap",
    "munmap",
    "sendfile",
    "splice",
    "vmsplice",
    "tee",
    "copy_file_range",
    "io_uring_read",
    "io_uring_write",
    "io_uring_send_zc",
};
static_assert(kSyscallNames.size() == ZC_SYS_COUNT);

constexpr std::array<std::string_view, kKindCount> kKindNames = {
    "other", "file", "file-direct", "tcp",      "udp",  "unix", "pipe",
    "null",  "zero", "chardev",     "blockdev", "user", "anon",
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
    case Syscall::kRead:
    case Syscall::kPread:
    case Syscall::kReadv:
    case Syscall::kPreadv:
    case Syscall::kPreadv2:
    case Syscall::kRecvfrom:
    case Syscall::kRecvmsg:
    case Syscall::kRecvmmsg:
    case Syscall::kIoUringRead:
      return Family::kReceive;
    case Syscall::kWrite:
    case Syscall::kPwrite:
    case Syscall::kWritev:
    case Syscall::kPwritev:
    case Syscall::kPwritev2:
    case Syscall::kSendto:
    case Syscall::kSendmsg:
    case Syscall::kSendmmsg:
    case Syscall::kIoUringWrite:
    case Syscall::kIoUringSendZc:
      return Family::kSend;
    case Syscall::kMmap:
    case Syscall::kMunmap:
      return Family::kMap;
    case Syscall::kSendfile:
    case Syscall::kSplice:
    case Syscall::kVmsplice:
    case Syscall::kTee:
    case Syscall::kCopyFileRange:
      return Family::kSplice;
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

}  // namespace zctrace
