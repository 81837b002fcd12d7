#include <gtest/gtest.h>

#include <iterator>

#include "vocabulary.h"

namespace zctrace {
namespace {

TEST(Vocabulary, SyscallNamesRoundTripAndDropThe64Suffix) {
  for (int i = 0; i < kSyscallCount; ++i) {
    const auto s = static_cast<Syscall>(i);
    EXPECT_EQ(SyscallFromName(SyscallName(s)), s);
    EXPECT_EQ(SyscallName(s).find("64"), std::string_view::npos);
  }
  EXPECT_EQ(SyscallName(Syscall::kPread), "pread");
  EXPECT_EQ(SyscallName(Syscall::kSendfile), "sendfile");
  EXPECT_FALSE(SyscallFromName("pread64"));
}

TEST(Vocabulary, KindNamesAreTheContractsWords) {
  const char* expected[] = {"other", "file", "file-direct", "tcp",      "udp",  "unix", "pipe",
                            "null",  "zero", "chardev",     "blockdev", "user", "anon", "pseudo-file"};
  static_assert(std::size(expected) == kKindCount);
  for (int i = 0; i < kKindCount; ++i) {
    EXPECT_EQ(KindName(static_cast<Kind>(i)), expected[i]);
    EXPECT_EQ(KindFromName(expected[i]), static_cast<Kind>(i));
  }
  EXPECT_FALSE(KindFromName("socket"));
}

TEST(Vocabulary, Families) {
  EXPECT_EQ(FamilyOf(Syscall::kRecvmmsg), Family::kReceive);
  EXPECT_EQ(FamilyOf(Syscall::kPreadv2), Family::kReceive);
  EXPECT_EQ(FamilyOf(Syscall::kSendmmsg), Family::kSend);
  EXPECT_EQ(FamilyOf(Syscall::kPwritev2), Family::kSend);
  EXPECT_EQ(FamilyOf(Syscall::kMunmap), Family::kMap);
  EXPECT_EQ(FamilyOf(Syscall::kCopyFileRange), Family::kSplice);
  EXPECT_EQ(FamilyOf(Syscall::kFiclone), Family::kSplice);
  EXPECT_TRUE(IsClone(Syscall::kFiclonerange));
  EXPECT_FALSE(IsClone(Syscall::kCopyFileRange));
  EXPECT_FALSE(IsIoUring(Syscall::kFiclonerange));
  EXPECT_EQ(SyscallName(Syscall::kFiclone), "ficlone");
  EXPECT_TRUE(IsSocket(Kind::kUnix));
  EXPECT_FALSE(IsSocket(Kind::kPipe));
  EXPECT_EQ(BasisName(Basis::kMeasured), "measured");
  EXPECT_EQ(BasisName(Basis::kModelled), "modelled");
}

}  // namespace
}  // namespace zctrace
