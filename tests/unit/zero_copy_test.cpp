#include "zero_copy.h"

#include <gtest/gtest.h>

namespace zctrace {
namespace {

Endpoint End(Kind kind, const std::string& name, bool loopback = false, const std::string& filesystem = "") {
  Endpoint e;
  e.kind = kind;
  e.name = e.group = name;
  e.loopback = loopback;
  e.filesystem = filesystem;
  return e;
}

FlowReport Flow(const std::string& method, Endpoint source, Endpoint sink, uint64_t bytes, uint64_t chunks,
                int cpu) {
  FlowReport f;
  f.method = method;
  f.source = std::move(source);
  f.sink = std::move(sink);
  f.bytes = bytes;
  f.chunks = chunks;
  f.cpu_copies_per_byte = cpu;
  f.cpu = {chunks * static_cast<uint64_t>(cpu), bytes * static_cast<uint64_t>(cpu), Basis::kModelled, 0};
  return f;
}

PathReport Path(Syscall syscall, Kind source, Kind sink, uint64_t bytes, uint64_t calls, uint8_t flags = 0) {
  PathReport p;
  p.syscall = syscall;
  p.source = source;
  p.sink = sink;
  p.bytes = bytes;
  p.calls = calls;
  p.flags = flags;
  return p;
}

constexpr uint64_t kMiB = 1 << 20;

TEST(ZeroCopy, MsgZerocopyOnLoopbackIsCopiedByTheKernelsOwnCompletions) {
  ProcessReport proc;
  FlowReport f =
      Flow("read+write", End(Kind::kFile, "/srv/a"), End(Kind::kTcp, "tcp lo", true), 8 * kMiB, 128, 2);
  f.flags = ZC_FLAG_MSG_ZEROCOPY;
  proc.flows.push_back(f);
  proc.paths.push_back(Path(Syscall::kSendto, Kind::kUser, Kind::kTcp, 8 * kMiB, 128,
                            ZC_FLAG_MSG_ZEROCOPY | ZC_FLAG_SINK_LOOPBACK));
  proc.zero_copy_reports.msg_zerocopy_sends = 128;
  proc.zero_copy_reports.msg_zerocopy_copied_sends = 128;
  JudgeZeroCopy(proc, true);
  ASSERT_TRUE(proc.flows[0].zero_copy);
  const ZeroCopyVerdict& v = *proc.flows[0].zero_copy;
  EXPECT_EQ(v.claimed, "MSG_ZEROCOPY");
  EXPECT_EQ(v.achieved, Achieved::kCopied);
  EXPECT_EQ(v.basis, Basis::kMeasured);
  EXPECT_EQ(v.reason_code, "loopback");
  EXPECT_DOUBLE_EQ(v.copied_fraction, 1.0);
  EXPECT_NE(v.reason.find("128 of 128 sends (100%)"), std::string::npos) << v.reason;
  ASSERT_TRUE(proc.paths[0].zero_copy);
  EXPECT_EQ(proc.paths[0].zero_copy->achieved, Achieved::kCopied);
}

TEST(ZeroCopy, MsgZerocopyPartlyCopiedSaysHowMuchAndWhyNotOnANic) {
  ProcessReport proc;
  FlowReport f =
      Flow("from memory", End(Kind::kUser, "memory"), End(Kind::kTcp, "tcp nic"), 64 * kMiB, 1000, 1);
  f.flags = ZC_FLAG_MSG_ZEROCOPY;
  proc.flows.push_back(f);
  proc.zero_copy_reports.msg_zerocopy_sends = 1000;
  proc.zero_copy_reports.msg_zerocopy_copied_sends = 250;
  JudgeZeroCopy(proc, true);
  const ZeroCopyVerdict& v = *proc.flows[0].zero_copy;
  EXPECT_EQ(v.achieved, Achieved::kPartlyCopied);
  EXPECT_EQ(v.reason_code, "copied_by_kernel");
  EXPECT_DOUBLE_EQ(v.copied_fraction, 0.25);
  EXPECT_NE(v.reason.find("250 of 1,000 sends (25%)"), std::string::npos) << v.reason;
  proc.zero_copy_reports.msg_zerocopy_copied_sends = 0;
  JudgeZeroCopy(proc, true);
  EXPECT_EQ(proc.flows[0].zero_copy->achieved, Achieved::kZeroCopy);
  EXPECT_TRUE(proc.flows[0].zero_copy->reason_code.empty());
}

TEST(ZeroCopy, MsgZerocopyCompletionsLeftUnreadAndFailedSendsAreNamed) {
  ProcessReport proc;
  FlowReport f =
      Flow("from memory", End(Kind::kUser, "memory"), End(Kind::kTcp, "tcp nic"), 64 * kMiB, 1000, 1);
  f.flags = ZC_FLAG_MSG_ZEROCOPY;
  proc.flows.push_back(f);
  proc.paths.push_back(
      Path(Syscall::kSendmsg, Kind::kUser, Kind::kTcp, 64 * kMiB, 1003, ZC_FLAG_MSG_ZEROCOPY));
  proc.paths[0].errors = 3;
  proc.zero_copy_reports.msg_zerocopy_sends = 900;
  JudgeZeroCopy(proc, true);
  const std::string& reason = proc.flows[0].zero_copy->reason;
  EXPECT_NE(reason.find("the completions of 100 sends were not read while traced"), std::string::npos)
      << reason;
  EXPECT_NE(reason.find("3 MSG_ZEROCOPY sends failed"), std::string::npos) << reason;
  EXPECT_EQ(proc.flows[0].zero_copy->achieved, Achieved::kZeroCopy);  // of those it read, none copied
}

TEST(ZeroCopy, MsgZerocopyWithoutCompletionsIsModelledAndSmallSendsAreNamed) {
  ProcessReport proc;
  FlowReport lo =
      Flow("from memory", End(Kind::kUser, "memory"), End(Kind::kTcp, "tcp lo", true), 4 * kMiB, 1024, 1);
  lo.flags = ZC_FLAG_MSG_ZEROCOPY;
  FlowReport nic = lo;
  nic.sink = End(Kind::kTcp, "tcp nic");
  nic.chunks = 64;
  proc.flows = {lo, nic};
  JudgeZeroCopy(proc, true);
  const ZeroCopyVerdict& a = *proc.flows[0].zero_copy;
  EXPECT_EQ(a.achieved, Achieved::kCopied);
  EXPECT_EQ(a.basis, Basis::kModelled);
  EXPECT_NE(a.reason.find("average 4.0 KiB"), std::string::npos) << a.reason;  // 4 KiB sends: too small
  const ZeroCopyVerdict& b = *proc.flows[1].zero_copy;
  EXPECT_EQ(b.achieved, Achieved::kUnknown);
  EXPECT_EQ(b.reason_code, "not_reported");
  EXPECT_EQ(b.reason.find("average"), std::string::npos) << b.reason;  // 64 KiB sends are worth it
}

TEST(ZeroCopy, SendZcNotificationsSayCopiedOrThatTheyCouldNotSay) {
  ProcessReport proc;
  proc.paths.push_back(Path(Syscall::kIoUringSendZc, Kind::kUser, Kind::kTcp, 8 * kMiB, 128,
                            ZC_FLAG_MSG_ZEROCOPY | ZC_FLAG_SINK_LOOPBACK));
  proc.zero_copy_reports.send_zc_notifications = 128;
  proc.zero_copy_reports.send_zc_copied_notifications = 128;
  JudgeZeroCopy(proc, true);
  ASSERT_TRUE(proc.paths[0].zero_copy);
  EXPECT_EQ(proc.paths[0].zero_copy->claimed, "io_uring SEND_ZC");
  EXPECT_EQ(proc.paths[0].zero_copy->achieved, Achieved::kCopied);
  EXPECT_EQ(proc.paths[0].zero_copy->basis, Basis::kMeasured);
  // without IORING_SEND_ZC_REPORT_USAGE the notifications say nothing: on loopback that is known
  proc.zero_copy_reports.send_zc_copied_notifications = 0;
  JudgeZeroCopy(proc, true);
  EXPECT_EQ(proc.paths[0].zero_copy->achieved, Achieved::kCopied);
  EXPECT_EQ(proc.paths[0].zero_copy->basis, Basis::kModelled);
  EXPECT_NE(proc.paths[0].zero_copy->reason.find("IORING_SEND_ZC_REPORT_USAGE"), std::string::npos);
  EXPECT_EQ(proc.paths[0].zero_copy->reason.find("no notification while traced"), std::string::npos);
  // requests whose notification had not come, and small ones
  proc.zero_copy_reports.send_zc_notifications = 100;
  proc.paths[0].bytes = 128 * 4096;
  JudgeZeroCopy(proc, true);
  const std::string& reason = proc.paths[0].zero_copy->reason;
  EXPECT_NE(reason.find("28 of 128 requests had no notification while traced"), std::string::npos) << reason;
  EXPECT_NE(reason.find("its requests average 4.0 KiB"), std::string::npos) << reason;
}

TEST(ZeroCopy, CopyFileRangeIsAReflinkWhenNoDestinationPageWasDirtied) {
  ProcessReport proc;
  proc.flows.push_back(Flow("copy_file_range", End(Kind::kFile, "/mnt/b/src", false, "btrfs"),
                            End(Kind::kFile, "/mnt/b/dst", false, "btrfs"), 16 * kMiB, 1, 1));
  proc.flows[0].notes.push_back("into a buffered file every method copies into the page cache");
  proc.paths.push_back(Path(Syscall::kCopyFileRange, Kind::kFile, Kind::kFile, 16 * kMiB, 1));
  JudgeZeroCopy(proc, true);
  const FlowReport& f = proc.flows[0];
  ASSERT_TRUE(f.zero_copy);
  EXPECT_EQ(f.zero_copy->achieved, Achieved::kZeroCopy);
  EXPECT_EQ(f.zero_copy->basis, Basis::kMeasured);
  EXPECT_NE(f.zero_copy->reason.find("btrfs shared the source's extents"), std::string::npos);
  EXPECT_EQ(f.cpu_copies_per_byte, 0);
  EXPECT_EQ(f.cpu.bytes, 0u);
  EXPECT_EQ(f.cpu.basis, Basis::kMeasured);
  EXPECT_TRUE(f.notes.empty());
  // its path, all of the process's copy_file_range calls, copied nothing either
  ASSERT_TRUE(proc.paths[0].zero_copy);
  EXPECT_EQ(proc.paths[0].cpu.bytes, 0u);
  EXPECT_EQ(proc.paths[0].cpu.basis, Basis::kMeasured);
  // tmpfs keeps no dirty accounting: nothing dirtied there is no reflink
  proc.flows[0].sink.filesystem = "tmpfs";
  proc.paths[0].cpu = {1, 16 * kMiB, Basis::kModelled, 0};
  JudgeZeroCopy(proc, true);
  EXPECT_EQ(proc.flows[0].zero_copy->achieved, Achieved::kCopied);
  EXPECT_EQ(proc.flows[0].zero_copy->basis, Basis::kModelled);
  EXPECT_EQ(proc.paths[0].cpu.bytes, 16 * kMiB);
}

TEST(ZeroCopy, CopyFileRangeOnExt4IsACopyAndSaysWhy) {
  ProcessReport proc;
  proc.flows.push_back(Flow("copy_file_range", End(Kind::kFile, "/var/tmp/src", false, "ext4"),
                            End(Kind::kFile, "/var/tmp/dst", false, "ext4"), 16 * kMiB, 1, 1));
  proc.paths.push_back(Path(Syscall::kCopyFileRange, Kind::kFile, Kind::kFile, 16 * kMiB, 1));
  proc.paths[0].device.dirtied_bytes = 16 * kMiB;
  JudgeZeroCopy(proc, true);
  const ZeroCopyVerdict& v = *proc.flows[0].zero_copy;
  EXPECT_EQ(v.achieved, Achieved::kCopied);
  EXPECT_EQ(v.reason_code, "no_reflink");
  EXPECT_NE(v.reason.find("ext4 cannot share extents"), std::string::npos) << v.reason;
  EXPECT_EQ(proc.flows[0].cpu_copies_per_byte, 1);
  // without the writeback tracepoint: from the filesystem's type, modelled
  JudgeZeroCopy(proc, false);
  EXPECT_EQ(proc.flows[0].zero_copy->achieved, Achieved::kCopied);
  EXPECT_EQ(proc.flows[0].zero_copy->basis, Basis::kModelled);
  proc.flows[0].sink.filesystem = "xfs";
  JudgeZeroCopy(proc, false);
  EXPECT_EQ(proc.flows[0].zero_copy->achieved, Achieved::kUnknown);
  EXPECT_EQ(proc.flows[0].zero_copy->reason_code, "not_measured");
}

TEST(ZeroCopy, AClonesSuccessIsAReflinkAndARefusedOneIsNamedWhereTheProgramFellBack) {
  // cp on btrfs: FICLONE succeeded
  ProcessReport proc;
  proc.flows.push_back(Flow("ficlone", End(Kind::kFile, "/mnt/src", false, "btrfs"),
                            End(Kind::kFile, "/mnt/dst", false, "btrfs"), 4 * kMiB, 1, 0));
  proc.paths.push_back(Path(Syscall::kFiclone, Kind::kFile, Kind::kFile, 4 * kMiB, 1));
  JudgeZeroCopy(proc, true);
  ASSERT_TRUE(proc.flows[0].zero_copy);
  EXPECT_EQ(proc.flows[0].zero_copy->claimed, "FICLONE");
  EXPECT_EQ(proc.flows[0].zero_copy->achieved, Achieved::kZeroCopy);
  EXPECT_EQ(proc.flows[0].zero_copy->basis, Basis::kMeasured);
  EXPECT_NE(proc.flows[0].zero_copy->reason.find("btrfs shares the source's extents"), std::string::npos);
  EXPECT_EQ(proc.flows[0].cpu.basis, Basis::kMeasured);
  ASSERT_TRUE(proc.paths[0].zero_copy);
  EXPECT_EQ(proc.paths[0].zero_copy->achieved, Achieved::kZeroCopy);
  EXPECT_EQ(proc.paths[0].zero_copy->reason_code, "");

  // cp on ext4: FICLONE refused, then copy_file_range copied
  ProcessReport ext4;
  ext4.flows.push_back(Flow("copy_file_range", End(Kind::kFile, "/var/tmp/src", false, "ext4"),
                            End(Kind::kFile, "/var/tmp/dst", false, "ext4"), 4 * kMiB, 1, 1));
  ext4.paths.push_back(Path(Syscall::kCopyFileRange, Kind::kFile, Kind::kFile, 4 * kMiB, 1));
  ext4.paths[0].device.dirtied_bytes = 4 * kMiB;
  PathReport refused = Path(Syscall::kFiclone, Kind::kFile, Kind::kFile, 0, 1);
  refused.errors = 1;
  ext4.paths.push_back(refused);
  JudgeZeroCopy(ext4, true);
  ASSERT_TRUE(ext4.paths[1].zero_copy);
  EXPECT_EQ(ext4.paths[1].zero_copy->achieved, Achieved::kRefused);
  EXPECT_EQ(AchievedName(Achieved::kRefused), "refused");
  EXPECT_EQ(ext4.paths[1].zero_copy->reason_code, "clone_refused");
  EXPECT_NE(ext4.paths[1].zero_copy->reason.find("refused the clone (EOPNOTSUPP"), std::string::npos)
      << ext4.paths[1].zero_copy->reason;
  EXPECT_EQ(ext4.flows[0].zero_copy->achieved, Achieved::kCopied);
  EXPECT_NE(
      ext4.flows[0].zero_copy->reason.find("asked for a reflink first, which the kernel refused (1 clone "
                                           "failed)"),
      std::string::npos)
      << ext4.flows[0].zero_copy->reason;

  // some of a path's clones refused: those that succeeded shared their extents
  ext4.paths[1].calls = 3;
  JudgeZeroCopy(ext4, true);
  EXPECT_EQ(ext4.paths[1].zero_copy->achieved, Achieved::kZeroCopy);
  EXPECT_NE(ext4.paths[1].zero_copy->reason.find("refused 1 of 3 clones"), std::string::npos);
}

TEST(ZeroCopy, KtlsSaysWhoEncryptsWhenTheSocketSaysSo) {
  ProcessReport proc;
  FlowReport f = Flow("sendfile", End(Kind::kFile, "/srv/a"), End(Kind::kTcp, "tcp nic"), 64 * kMiB, 64, 1);
  f.flags = ZC_FLAG_SINK_KTLS;
  proc.flows.push_back(f);
  // software, read from the socket
  JudgeZeroCopy(proc, true, true);
  ZeroCopyVerdict v = *proc.flows[0].zero_copy;
  EXPECT_EQ(v.claimed, "kTLS sendfile");
  EXPECT_EQ(v.achieved, Achieved::kCopied);
  EXPECT_EQ(v.reason_code, "ktls_software");
  EXPECT_EQ(v.basis, Basis::kMeasured);
  EXPECT_NE(v.reason.find("in software (the socket's tx_conf)"), std::string::npos) << v.reason;
  // the tls module's type unknown at load: assumed, and said to be
  JudgeZeroCopy(proc, true, false);
  v = *proc.flows[0].zero_copy;
  EXPECT_EQ(v.basis, Basis::kModelled);
  EXPECT_NE(v.reason.find("the tls module was not loaded when zctrace started"), std::string::npos)
      << v.reason;
  // the NIC encrypts, but sendfile's pages are copied into the record
  proc.flows[0].flags = ZC_FLAG_SINK_KTLS | ZC_FLAG_SINK_KTLS_DEVICE;
  JudgeZeroCopy(proc, true, true);
  v = *proc.flows[0].zero_copy;
  EXPECT_EQ(v.achieved, Achieved::kCopied);
  EXPECT_EQ(v.reason_code, "ktls_device_copy");
  EXPECT_NE(v.reason.find("without TLS_TX_ZEROCOPY_RO"), std::string::npos) << v.reason;
  // and with TLS_TX_ZEROCOPY_RO, none
  proc.flows[0].flags = ZC_FLAG_SINK_KTLS | ZC_FLAG_SINK_KTLS_DEVICE_ZEROCOPY;
  JudgeZeroCopy(proc, true, true);
  v = *proc.flows[0].zero_copy;
  EXPECT_EQ(v.achieved, Achieved::kZeroCopy);
  EXPECT_EQ(v.reason_code, "");
}

TEST(ZeroCopy, ODirectServedBufferedIsCaughtByTheBlocksItDidNotSubmit) {
  ProcessReport proc;
  proc.flows.push_back(Flow("read+write", End(Kind::kFileDirect, "/var/tmp/src", false, "ext4"),
                            End(Kind::kTcp, "tcp lo", true), 8 * kMiB, 128, 2));
  proc.paths.push_back(Path(Syscall::kRead, Kind::kFileDirect, Kind::kUser, 8 * kMiB, 128));
  proc.paths[0].device.disk_read_bytes = 8 * kMiB;
  JudgeZeroCopy(proc, true);
  EXPECT_EQ(proc.flows[0].zero_copy->claimed, "O_DIRECT");
  EXPECT_EQ(proc.flows[0].zero_copy->achieved, Achieved::kZeroCopy);
  // tmpfs: no block I/O, the page cache serves it
  proc.flows[0].source.filesystem = "tmpfs";
  proc.paths[0].device.disk_read_bytes = 0;
  JudgeZeroCopy(proc, true);
  const ZeroCopyVerdict& v = *proc.flows[0].zero_copy;
  EXPECT_EQ(v.achieved, Achieved::kCopied);
  EXPECT_EQ(v.reason_code, "buffered_fallback");
  EXPECT_NE(v.reason.find("tmpfs"), std::string::npos) << v.reason;
}

TEST(ZeroCopy, InKernelMethodsAreJudgedByTheModelWithTheReason) {
  ProcessReport proc;
  proc.flows.push_back(
      Flow("sendfile", End(Kind::kFile, "/srv/a"), End(Kind::kTcp, "tcp lo", true), kMiB, 1, 0));
  proc.flows.push_back(Flow("sendfile", End(Kind::kFile, "/srv/a"), End(Kind::kFile, "/srv/b"), kMiB, 1, 1));
  proc.flows.push_back(Flow("splice", End(Kind::kZero, "/dev/zero"), End(Kind::kPipe, "pipe"), kMiB, 1, 1));
  proc.flows.push_back(Flow("read+write", End(Kind::kFile, "/srv/a"), End(Kind::kTcp, "tcp"), kMiB, 1, 2));
  JudgeZeroCopy(proc, true);
  EXPECT_EQ(proc.flows[0].zero_copy->achieved, Achieved::kZeroCopy);
  EXPECT_NE(proc.flows[0].zero_copy->reason.find("loopback has no NIC"), std::string::npos);
  EXPECT_EQ(proc.flows[1].zero_copy->reason_code, "page_cache_sink");
  EXPECT_EQ(proc.flows[2].zero_copy->reason_code, "copy_splice_read");
  EXPECT_FALSE(proc.flows[3].zero_copy);  // read+write asks for no zero copy
}

TEST(ZeroCopy, ADeviceWithoutScatterGatherCopiesWhatSendfileAndMsgZerocopyAskedToSendFromPages) {
  ProcessReport proc;
  FlowReport sendfile =
      Flow("sendfile", End(Kind::kFile, "/srv/a"), End(Kind::kTcp, "tcp veth"), kMiB, 16, 1);
  sendfile.flags = ZC_FLAG_SINK_NO_SG;
  FlowReport zerocopy =
      Flow("from memory", End(Kind::kUser, "memory"), End(Kind::kTcp, "tcp veth"), kMiB, 16, 1);
  zerocopy.flags = ZC_FLAG_SINK_NO_SG | ZC_FLAG_MSG_ZEROCOPY;
  proc.flows = {sendfile, zerocopy};
  JudgeZeroCopy(proc, true);
  EXPECT_EQ(proc.flows[0].zero_copy->achieved, Achieved::kCopied);
  EXPECT_EQ(proc.flows[0].zero_copy->reason_code, "no_scatter_gather");
  EXPECT_EQ(proc.flows[1].zero_copy->achieved, Achieved::kCopied);  // no completion read: modelled
  EXPECT_EQ(proc.flows[1].zero_copy->reason_code, "no_scatter_gather");
  proc.zero_copy_reports.msg_zerocopy_sends = proc.zero_copy_reports.msg_zerocopy_copied_sends = 16;
  JudgeZeroCopy(proc, true);
  EXPECT_EQ(proc.flows[1].zero_copy->basis, Basis::kMeasured);
  EXPECT_EQ(proc.flows[1].zero_copy->reason_code, "no_scatter_gather");
}

TEST(ZeroCopy, TwoClaimsOnOneFlowGiveTheWorseResultAndBothReasons) {
  ProcessReport proc;
  FlowReport f = Flow("read+write", End(Kind::kFileDirect, "/var/tmp/src", false, "ext4"),
                      End(Kind::kTcp, "tcp lo", true), 8 * kMiB, 128, 2);
  f.flags = ZC_FLAG_MSG_ZEROCOPY;
  proc.flows.push_back(f);
  proc.paths.push_back(Path(Syscall::kRead, Kind::kFileDirect, Kind::kUser, 8 * kMiB, 128));
  proc.paths[0].device.disk_read_bytes = 8 * kMiB;
  proc.zero_copy_reports.msg_zerocopy_sends = proc.zero_copy_reports.msg_zerocopy_copied_sends = 128;
  JudgeZeroCopy(proc, true);
  const ZeroCopyVerdict& v = *proc.flows[0].zero_copy;
  EXPECT_EQ(v.claimed, "O_DIRECT + MSG_ZEROCOPY");
  EXPECT_EQ(v.achieved, Achieved::kCopied);
  EXPECT_EQ(v.reason_code, "loopback");
  EXPECT_NE(v.reason.find("O_DIRECT: "), std::string::npos);
  EXPECT_NE(v.reason.find("; MSG_ZEROCOPY: "), std::string::npos);
}

}  // namespace
}  // namespace zctrace
