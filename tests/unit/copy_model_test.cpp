// Every row of the copy model, checked against ../shared/copy-model.md's path table.
#include <gtest/gtest.h>

#include "copy_model.h"

namespace zctrace {
namespace {

struct Case {
  Syscall syscall;
  Kind source;
  Kind sink;
  uint8_t flags;
  int cpu_copies;
  int dma_copies;
  const char* model;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << SyscallName(c.syscall) << " " << KindName(c.source) << "→" << KindName(c.sink)
      << " flags=" << int(c.flags);
}

class CopyModelRow : public ::testing::TestWithParam<Case> {};

TEST_P(CopyModelRow, CostsWhatTheKernelDoes) {
  const Case& c = GetParam();
  const PathCost cost = ModelPath({c.syscall, c.source, c.sink, c.flags});
  EXPECT_TRUE(cost.known);
  EXPECT_EQ(cost.cpu_copies, c.cpu_copies);
  EXPECT_EQ(cost.dma_copies(), c.dma_copies);
  EXPECT_EQ(cost.model, c.model);
  EXPECT_EQ(cost.mode_switches_per_call, 2);
  EXPECT_FALSE(cost.kernel_path.empty());
}

constexpr uint8_t kSinkLo = ZC_FLAG_SINK_LOOPBACK;
constexpr uint8_t kSourceLo = ZC_FLAG_SOURCE_LOOPBACK;
constexpr uint8_t kZc = ZC_FLAG_MSG_ZEROCOPY;

INSTANTIATE_TEST_SUITE_P(ReadLike, CopyModelRow,
                         ::testing::Values(
                             // read(file, buffered): filemap_read → copy_folio_to_iter; disk DMA on a miss
                             Case{Syscall::kRead, Kind::kFile, Kind::kUser, 0, 1, 1, "read+write"},
                             Case{Syscall::kPread, Kind::kFile, Kind::kUser, 0, 1, 1, "read+write"},
                             Case{Syscall::kPreadv2, Kind::kFile, Kind::kUser, 0, 1, 1, "read+write"},
                             // O_DIRECT: the device DMAs into the pinned buffer
                             Case{Syscall::kRead, Kind::kFileDirect, Kind::kUser, 0, 0, 1, "direct I/O"},
                             // sockets: skb → user; a NIC unless loopback
                             Case{Syscall::kRead, Kind::kTcp, Kind::kUser, kSourceLo, 1, 0, "read+write"},
                             Case{Syscall::kRecvfrom, Kind::kTcp, Kind::kUser, 0, 1, 1, "read+write"},
                             Case{Syscall::kRecvmsg, Kind::kUnix, Kind::kUser, 0, 1, 0, "read+write"},
                             Case{Syscall::kRecvmmsg, Kind::kUdp, Kind::kUser, kSourceLo, 1, 0, "read+write"},
                             Case{Syscall::kRead, Kind::kPipe, Kind::kUser, 0, 1, 0, "pipe"},
                             // /dev/zero: the CPU fills the buffer; /dev/null: end of file
                             Case{Syscall::kRead, Kind::kZero, Kind::kUser, 0, 1, 0, "read+write"},
                             Case{Syscall::kRead, Kind::kNull, Kind::kUser, 0, 0, 0, "none"},
                             Case{Syscall::kRead, Kind::kBlockdev, Kind::kUser, 0, 1, 1, "read+write"},
                             Case{Syscall::kRead, Kind::kChardev, Kind::kUser, 0, 1, 0, "read+write"}));

INSTANTIATE_TEST_SUITE_P(
    WriteLike, CopyModelRow,
    ::testing::Values(
        Case{Syscall::kWrite, Kind::kUser, Kind::kFile, 0, 1, 1, "read+write"},
        Case{Syscall::kPwritev, Kind::kUser, Kind::kFile, 0, 1, 1, "read+write"},
        Case{Syscall::kWrite, Kind::kUser, Kind::kFileDirect, 0, 0, 1, "direct I/O"},
        Case{Syscall::kWrite, Kind::kUser, Kind::kTcp, kSinkLo, 1, 0, "read+write"},
        Case{Syscall::kSendto, Kind::kUser, Kind::kTcp, 0, 1, 1, "read+write"},
        Case{Syscall::kSendmsg, Kind::kUser, Kind::kUdp, 0, 1, 1, "read+write"},
        Case{Syscall::kWritev, Kind::kUser, Kind::kUnix, 0, 1, 0, "read+write"},
        // MSG_ZEROCOPY: pinned pages; copied at local delivery on loopback
        Case{Syscall::kSendmsg, Kind::kUser, Kind::kTcp, kZc, 0, 1, "MSG_ZEROCOPY"},
        Case{Syscall::kSendto, Kind::kUser, Kind::kTcp, kZc | kSinkLo, 1, 0, "MSG_ZEROCOPY (copied)"},
        Case{Syscall::kSendmsg, Kind::kUser, Kind::kTcp, kZc | ZC_FLAG_SINK_NO_SG, 1, 1,
             "MSG_ZEROCOPY (copied: no SG or checksum offload)"},
        // kTLS (software): a copy into the plaintext record, then the cipher's pass
        Case{Syscall::kWrite, Kind::kUser, Kind::kTcp, ZC_FLAG_SINK_KTLS | kSinkLo, 2, 0,
             "kTLS write (software)"},
        // kTLS offloaded to the NIC: the copy into the record is the only pass
        Case{Syscall::kWrite, Kind::kUser, Kind::kTcp, ZC_FLAG_SINK_KTLS | ZC_FLAG_SINK_KTLS_DEVICE, 1, 1,
             "kTLS write (NIC offload)"},
        Case{Syscall::kWrite, Kind::kUser, Kind::kTcp, ZC_FLAG_SINK_KTLS | ZC_FLAG_SINK_KTLS_DEVICE_ZEROCOPY,
             1, 1, "kTLS write (NIC offload)"},
        // TLS records the program encrypted: the kernel's cost is a plain send's
        Case{Syscall::kWrite, Kind::kUser, Kind::kTcp, ZC_FLAG_SINK_USER_TLS, 1, 1, "read+write"},
        Case{Syscall::kWrite, Kind::kUser, Kind::kPipe, 0, 1, 0, "pipe"},
        Case{Syscall::kWrite, Kind::kUser, Kind::kNull, 0, 0, 0, "none"},
        Case{Syscall::kWrite, Kind::kUser, Kind::kZero, 0, 0, 0, "none"},
        Case{Syscall::kWrite, Kind::kUser, Kind::kBlockdev, 0, 1, 1, "read+write"},
        Case{Syscall::kWrite, Kind::kUser, Kind::kOther, 0, 1, 0, "read+write"}));

INSTANTIATE_TEST_SUITE_P(
    Mappings, CopyModelRow,
    ::testing::Values(Case{Syscall::kMmap, Kind::kFile, Kind::kUser, 0, 0, 1, "mmap+write"},
                      Case{Syscall::kMmap, Kind::kAnon, Kind::kUser, 0, 0, 0, "none"},
                      Case{Syscall::kMunmap, Kind::kOther, Kind::kUser, 0, 0, 0, "none"}));

INSTANTIATE_TEST_SUITE_P(
    InKernel, CopyModelRow,
    ::testing::Values(
        // sendfile(file → TCP): page references, scatter-gather (loopback has NETIF_F_SG)
        Case{Syscall::kSendfile, Kind::kFile, Kind::kTcp, kSinkLo, 0, 1, "sendfile/splice"},
        Case{Syscall::kSendfile, Kind::kFile, Kind::kTcp, 0, 0, 2, "sendfile/splice"},
        // a route through a device without scatter-gather: the pages are copied into the skb
        Case{Syscall::kSendfile, Kind::kFile, Kind::kTcp, ZC_FLAG_SINK_NO_SG, 1, 2,
             "sendfile/splice (copied: no SG or checksum offload)"},
        // kTLS (software): the cipher reads the page-cache pages: one CPU pass
        Case{Syscall::kSendfile, Kind::kFile, Kind::kTcp, ZC_FLAG_SINK_KTLS, 1, 2,
             "kTLS sendfile/splice (software)"},
        // kTLS offloaded: the pages are copied into the record unless TLS_TX_ZEROCOPY_RO lends them
        Case{Syscall::kSendfile, Kind::kFile, Kind::kTcp, ZC_FLAG_SINK_KTLS | ZC_FLAG_SINK_KTLS_DEVICE, 1, 2,
             "kTLS sendfile/splice (NIC offload)"},
        Case{Syscall::kSplice, Kind::kPipe, Kind::kTcp, ZC_FLAG_SINK_KTLS | ZC_FLAG_SINK_KTLS_DEVICE_ZEROCOPY,
             0, 1, "kTLS sendfile/splice (NIC offload, zero copy)"},
        // procfs, sysfs...: no page cache to lend, copy_splice_read copies; and no device behind it
        Case{Syscall::kSendfile, Kind::kPseudo, Kind::kTcp, 0, 1, 1, "sendfile/splice"},
        Case{Syscall::kSendfile, Kind::kFile, Kind::kUnix, 0, 0, 1, "sendfile/splice"},
        Case{Syscall::kSendfile, Kind::kFile, Kind::kPipe, 0, 0, 1, "sendfile/splice"},
        Case{Syscall::kSendfile, Kind::kFile, Kind::kNull, 0, 0, 1, "sendfile/splice"},
        // file → file: iter_file_splice_write copies into the destination page cache
        Case{Syscall::kSendfile, Kind::kFile, Kind::kFile, 0, 1, 2, "sendfile/splice"},
        Case{Syscall::kCopyFileRange, Kind::kFile, Kind::kFile, 0, 1, 2, "sendfile/splice"},
        Case{Syscall::kSplice, Kind::kFile, Kind::kFileDirect, 0, 0, 2, "sendfile/splice"},
        Case{Syscall::kSplice, Kind::kFile, Kind::kPipe, 0, 0, 1, "sendfile/splice"},
        Case{Syscall::kSplice, Kind::kPipe, Kind::kTcp, kSinkLo, 0, 0, "sendfile/splice"},
        Case{Syscall::kSplice, Kind::kPipe, Kind::kFile, 0, 1, 1, "sendfile/splice"},
        Case{Syscall::kSplice, Kind::kPipe, Kind::kPipe, 0, 0, 0, "sendfile/splice"},
        Case{Syscall::kSplice, Kind::kPipe, Kind::kNull, 0, 0, 0, "sendfile/splice"},
        Case{Syscall::kSplice, Kind::kTcp, Kind::kPipe, kSourceLo, 0, 0, "sendfile/splice"},
        // copy_splice_read: O_DIRECT input, /dev/zero, char devices copy into pipe pages
        Case{Syscall::kSplice, Kind::kFileDirect, Kind::kPipe, 0, 1, 1, "sendfile/splice"},
        Case{Syscall::kSplice, Kind::kZero, Kind::kPipe, 0, 1, 0, "sendfile/splice"},
        Case{Syscall::kSendfile, Kind::kZero, Kind::kFile, 0, 2, 1, "sendfile/splice"},
        Case{Syscall::kVmsplice, Kind::kUser, Kind::kPipe, 0, 0, 0, "vmsplice"},
        Case{Syscall::kVmsplice, Kind::kPipe, Kind::kUser, 0, 1, 0, "vmsplice"},
        Case{Syscall::kTee, Kind::kPipe, Kind::kPipe, 0, 0, 0, "tee"}));

TEST(CopyModel, UnknownCombinationIsFlaggedNotGuessed) {
  const PathCost cost = ModelPath({Syscall::kTee, Kind::kFile, Kind::kTcp, 0});
  EXPECT_FALSE(cost.known);
  EXPECT_EQ(cost.cpu_copies, 0);
  EXPECT_EQ(cost.model, "unmodelled");
}

TEST(CopyModel, MappingsHaveNoSinkSideDma) {
  // mmap moves nothing; the disk side (source) is where its faults may read from
  const PathCost cost = ModelPath({Syscall::kMmap, Kind::kFile, Kind::kUser, 0});
  EXPECT_EQ(cost.sink_dma.copies, 0);
  EXPECT_EQ(cost.source_dma.copies, 1);
}

TEST(CopyModel, AReflinkMovesNoDataAtEitherEnd) {
  for (Syscall s : {Syscall::kFiclone, Syscall::kFiclonerange}) {
    const PathCost cost = ModelPath({s, Kind::kFile, Kind::kFile, 0});
    EXPECT_TRUE(cost.known);
    EXPECT_EQ(cost.cpu_copies, 0);
    EXPECT_EQ(cost.dma_copies(), 0);
    EXPECT_EQ(cost.model, "reflink");
  }
}

TEST(CopyModel, LoopbackHasNoNicDma) {
  EXPECT_EQ(DeviceTransferOf(Kind::kTcp, true, false).copies, 0);
  EXPECT_EQ(DeviceTransferOf(Kind::kTcp, false, false).copies, 1);
  EXPECT_EQ(DeviceTransferOf(Kind::kUnix, false, false).copies, 0);
  EXPECT_EQ(DeviceTransferOf(Kind::kPipe, false, true).copies, 0);
}

TEST(CopyModel, ClassicFourCopyTableMatchesTheTextbook) {
  size_t n = 0;
  const ClassicLine* lines = ClassicLines(&n);
  ASSERT_EQ(n, 4u);
  EXPECT_EQ(lines[0].method, "read+write");
  EXPECT_EQ(lines[0].cpu_copies, 2);
  EXPECT_EQ(lines[0].mode_switches, 4);
  EXPECT_EQ(lines[1].cpu_copies, 1);
  EXPECT_EQ(lines[2].cpu_copies, 0);
  EXPECT_EQ(lines[2].mode_switches, 2);
  EXPECT_EQ(lines[3].cpu_copies, 0);
}

// A full relay, read(file) + write(tcp), is the textbook's 2 CPU copies.
TEST(CopyModel, ReadWriteRelayIsTwoCpuCopies) {
  const int total = ModelPath({Syscall::kRead, Kind::kFile, Kind::kUser, 0}).cpu_copies +
                    ModelPath({Syscall::kWrite, Kind::kUser, Kind::kTcp, kSinkLo}).cpu_copies;
  EXPECT_EQ(total, 2);
}

}  // namespace
}  // namespace zctrace
