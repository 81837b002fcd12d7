// The words zctrace prints for syscalls, fd kinds and bases, in one place so that the text and JSON
// renderers, the copy model and the tests all speak the same vocabulary.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "zctrace.h"

namespace zctrace {

// The syscalls, clone ioctls and io_uring operations of zctrace.h's tables, as ZC_SYS_<ID> =
// Syscall::k<CamelName>.
#define ZCTRACE_SYSCALL_ENUMERATOR(id, camel, ...) k##camel = ZC_SYS_##id,
enum class Syscall : uint8_t {
  ZC_SYSCALL_TABLE(ZCTRACE_SYSCALL_ENUMERATOR) ZC_CLONE_TABLE(ZCTRACE_SYSCALL_ENUMERATOR)
      ZC_IO_URING_TABLE(ZCTRACE_SYSCALL_ENUMERATOR)
};
#undef ZCTRACE_SYSCALL_ENUMERATOR
inline constexpr int kSyscallCount = ZC_SYS_COUNT;

enum class Kind : uint8_t {
  kOther = ZC_KIND_OTHER,
  kFile = ZC_KIND_FILE,
  kFileDirect = ZC_KIND_FILE_DIRECT,
  kTcp = ZC_KIND_TCP,
  kUdp = ZC_KIND_UDP,
  kUnix = ZC_KIND_UNIX,
  kPipe = ZC_KIND_PIPE,
  kNull = ZC_KIND_NULL,
  kZero = ZC_KIND_ZERO,
  kChardev = ZC_KIND_CHARDEV,
  kBlockdev = ZC_KIND_BLOCKDEV,
  kUser = ZC_KIND_USER,
  kAnon = ZC_KIND_ANON,
  kPseudo = ZC_KIND_PSEUDO,  // procfs, sysfs...: a regular file without a page cache
};
inline constexpr int kKindCount = ZC_KIND_COUNT;

// How a figure was obtained: an event the kernel reported, or derived from the path and the copy model.
enum class Basis : uint8_t { kMeasured, kModelled };

// Syscall families that share a cost shape.
enum class Family : uint8_t {
  kReceive,  // read-like: fd → user memory
  kSend,     // write-like: user memory → fd
  kMap,      // mmap / munmap
  kSplice,   // sendfile, splice, vmsplice, tee, copy_file_range, clones: fd ↔ fd inside the kernel
};

std::string_view SyscallName(Syscall s);  // kernel name without the 64 suffix: "pread", "sendfile"
std::optional<Syscall> SyscallFromName(std::string_view name);
Family FamilyOf(Syscall s);
bool IsIoUring(Syscall s);  // an io_uring operation (ZC_IO_URING_TABLE), not a syscall
bool IsClone(Syscall s);    // ioctl(FICLONE) or ioctl(FICLONERANGE) (ZC_CLONE_TABLE)

std::string_view KindName(Kind k);  // "file", "file-direct", "tcp", ... "user", "anon", "pseudo-file"
std::optional<Kind> KindFromName(std::string_view name);
bool IsSocket(Kind k);

std::string_view BasisName(Basis b);  // "measured" / "modelled"

}  // namespace zctrace
