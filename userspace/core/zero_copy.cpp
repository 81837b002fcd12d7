#include "zero_copy.h"

#include <algorithm>
#include <vector>

#include "flows.h"
#include "render.h"

namespace zctrace {
namespace {

// Below this share of copied bytes (or sends) a claim holds; above 1 minus it, nothing was saved.
constexpr double kNegligible = 0.01;
// MSG_ZEROCOPY pays for its page pinning and completion notifications only above about 10 KB a send (the
// kernel's Documentation/networking/msg_zerocopy.rst).
constexpr uint64_t kZerocopyWorthwhile = 10 * 1000;
// Filesystems whose copy_file_range can share extents (remap_file_range): a reflink, no data copied.
constexpr std::string_view kReflinkFilesystems[] = {"btrfs", "xfs",  "ocfs2", "bcachefs",
                                                    "nfs4",  "cifs", "smb3"};

// The sink socket's route goes through a device that cannot send pages as they are.
constexpr std::string_view kNoScatterGather =
    "the socket's route goes through a device without scatter-gather or checksum offload (ethtool -k says "
    "which): GSO copies the pages into linear frames for it (skb_segment), or the kernel checksums every "
    "byte "
    "itself, copying pages it shares with the page cache first (skb_segment for GSO frames, "
    "skb_checksum_help for single ones)";

Achieved FromFraction(double copied) {
  if (copied < kNegligible)
    return Achieved::kZeroCopy;
  return copied > 1 - kNegligible ? Achieved::kCopied : Achieved::kPartlyCopied;
}

double Share(uint64_t part, uint64_t whole) {
  return whole ? std::min(1.0, static_cast<double>(part) / static_cast<double>(whole)) : 0.0;
}

bool CanReflink(const std::string& filesystem) {
  return std::find(std::begin(kReflinkFilesystems), std::end(kReflinkFilesystems), filesystem) !=
         std::end(kReflinkFilesystems);
}

// The evidence a process's paths hold, summed over the paths a claim covers.
struct Evidence {
  uint64_t bytes = 0;
  uint64_t calls = 0;
  uint64_t dirtied = 0;
  uint64_t filled = 0;
  uint64_t disk_read = 0;
  uint64_t disk_write = 0;
};

template <typename Pred>
Evidence Sum(const ProcessReport& proc, Pred covers) {
  Evidence e;
  for (const PathReport& p : proc.paths) {
    if (!covers(p))
      continue;
    e.bytes += p.bytes;
    e.calls += p.calls - p.errors;
    e.dirtied += p.device.dirtied_bytes;
    e.filled += p.device.cache_fill_bytes + p.device.cache_created_bytes;
    e.disk_read += p.device.disk_read_bytes;
    e.disk_write += p.device.disk_write_bytes;
  }
  return e;
}

// The kernel said how many of the claimed sends it copied: the verdict is measured.
void Reported(ZeroCopyVerdict& v, uint64_t copied, uint64_t reported) {
  v.basis = Basis::kMeasured;
  v.copied_fraction = Share(copied, reported);
  v.achieved = FromFraction(v.copied_fraction);
}

// MSG_ZEROCOPY sends: the completions the program read say, send by send, whether the kernel copied.
ZeroCopyVerdict MsgZerocopy(const ProcessReport& proc, bool loopback, bool no_sg, uint64_t bytes,
                            uint64_t chunks) {
  ZeroCopyVerdict v;
  v.claimed = "MSG_ZEROCOPY";
  const ZeroCopyReports& r = proc.zero_copy_reports;
  if (r.msg_zerocopy_sends > 0) {
    Reported(v, r.msg_zerocopy_copied_sends, r.msg_zerocopy_sends);
    v.reason = "the completions the program read flag " + GroupedCount(r.msg_zerocopy_copied_sends) + " of " +
               Counted(r.msg_zerocopy_sends, "send", "sends") + " (" + Percent(v.copied_fraction) +
               ") SO_EE_CODE_ZEROCOPY_COPIED";
    if (v.achieved != Achieved::kZeroCopy) {
      v.reason_code = loopback ? "loopback" : no_sg ? "no_scatter_gather" : "copied_by_kernel";
      v.reason += loopback ? ": on loopback the kernel copies the pages when it delivers them locally "
                             "(skb_orphan_frags_rx), so the send costs the copy it meant to save and the "
                             "completions on top"
                  : no_sg
                      ? ": the route's device lacks scatter-gather or checksum offload, so they were copied"
                      : ": the kernel copied them (a path that needs its own copy of the pages)";
    }
  } else if (loopback) {
    v.achieved = Achieved::kCopied;
    v.copied_fraction = 1;
    v.reason_code = "loopback";
    v.reason =
        "on loopback the kernel copies the pages when it delivers them locally (skb_orphan_frags_rx); "
        "modelled: the program read no completion (MSG_ERRQUEUE) that would say so";
  } else if (no_sg) {
    v.achieved = Achieved::kCopied;
    v.copied_fraction = 1;
    v.reason_code = "no_scatter_gather";
    v.reason = std::string(kNoScatterGather);
  } else {
    v.reason_code = "not_reported";
    v.reason =
        "the program read no completion from the socket's error queue (MSG_ERRQUEUE), so the kernel's "
        "verdict is unknown; zero copy needs a NIC with scatter-gather";
  }
  // the process's MSG_ZEROCOPY sends that returned, against the completions it read
  uint64_t sends = 0, failed = 0;
  for (const PathReport& p : proc.paths) {
    if ((p.flags & ZC_FLAG_MSG_ZEROCOPY) && !IsIoUring(p.syscall)) {
      sends += p.calls - p.errors;
      failed += p.errors;
    }
  }
  if (r.msg_zerocopy_sends > 0 && sends > r.msg_zerocopy_sends) {
    v.reason += "; the completions of " + Counted(sends - r.msg_zerocopy_sends, "send", "sends") +
                " were not read while traced: they wait in the error queue, which holds at most optmem_max";
  }
  if (failed > 0) {
    v.reason += "; " + Counted(failed, "MSG_ZEROCOPY send", "MSG_ZEROCOPY sends") +
                " failed (ENOBUFS is the error queue full of unread completions)";
  }
  const uint64_t average = chunks ? bytes / chunks : 0;
  if (chunks && average < kZerocopyWorthwhile) {
    v.reason += "; its sends average " + HumanBytes(average) +
                ": MSG_ZEROCOPY pays for pinning pages and notifying completions only above about 10 KB";
  }
  return v;
}

// io_uring SEND_ZC: each request's notification says whether it was copied, when the request asked
// (IORING_SEND_ZC_REPORT_USAGE). The notifications are the process's, so the requests are all of its own.
ZeroCopyVerdict SendZc(const ProcessReport& proc, bool loopback) {
  ZeroCopyVerdict v;
  v.claimed = "io_uring SEND_ZC";
  const ZeroCopyReports& r = proc.zero_copy_reports;
  if (r.send_zc_copied_notifications > 0) {
    Reported(v, r.send_zc_copied_notifications, r.send_zc_notifications);
    v.reason_code = loopback ? "loopback" : "copied_by_kernel";
    v.reason = GroupedCount(r.send_zc_copied_notifications) + " of " +
               Counted(r.send_zc_notifications, "notification", "notifications") + " (" +
               Percent(v.copied_fraction) + ") reported IORING_NOTIF_USAGE_ZC_COPIED" +
               (loopback ? ": on loopback the kernel copies the pages when it delivers them locally"
                         : ": the kernel copied the payload");
  } else if (loopback) {
    v.achieved = Achieved::kCopied;
    v.copied_fraction = 1;
    v.reason_code = "loopback";
    v.reason =
        "on loopback the kernel copies the pages when it delivers them locally; modelled: " +
        std::string(r.send_zc_notifications
                        ? "none of the " + Counted(r.send_zc_notifications, "notification", "notifications") +
                              " could say so (the requests did not set IORING_SEND_ZC_REPORT_USAGE)"
                        : "no notification was seen");
  } else {
    v.reason_code = "not_reported";
    v.reason =
        r.send_zc_notifications
            ? "no notification reported a copy, but only requests that set IORING_SEND_ZC_REPORT_USAGE "
              "would: set it to know"
            : "no notification was seen";
  }
  // each request pins its buffer until its notification: those not seen yet are a backlog of pinned pages
  const Evidence sent = Sum(proc, [](const PathReport& p) { return p.syscall == Syscall::kIoUringSendZc; });
  const uint64_t requests = sent.calls;
  if (r.send_zc_notifications > 0 && requests > r.send_zc_notifications) {
    v.reason += "; " + GroupedCount(requests - r.send_zc_notifications) + " of " +
                Counted(requests, "request", "requests") +
                " had no notification while traced: the kernel still held their buffers";
  }
  if (requests && sent.bytes / requests < kZerocopyWorthwhile) {
    v.reason += "; its requests average " + HumanBytes(sent.bytes / requests) +
                ": pinning pages and the notification cost more than a copy below about 10 KB";
  }
  return v;
}

// copy_file_range: a filesystem that shares extents (remap_file_range) dirties no page of the destination;
// a copy (do_splice_direct) dirties them all. A filesystem that cannot share extents copies whatever the
// tracepoint saw: tmpfs keeps no dirty accounting (noop_dirty_folio), so its copies dirty nothing seen.
ZeroCopyVerdict CopyFileRange(const Evidence& e, const std::string& filesystem, bool several_flows,
                              bool disk_measured) {
  ZeroCopyVerdict v;
  v.claimed = "copy_file_range";
  const bool known = !filesystem.empty();
  const bool can_reflink = known && CanReflink(filesystem);
  const std::string scope = several_flows ? " (the process's copy_file_range calls together)" : "";
  if (known && !can_reflink) {
    v.achieved = Achieved::kCopied;
    v.copied_fraction = 1;
    v.reason_code = "no_reflink";
    v.basis = disk_measured && e.dirtied > 0 ? Basis::kMeasured : Basis::kModelled;
    v.reason = filesystem + " cannot share extents, so the kernel copied the data (do_splice_direct)";
    if (v.basis == Basis::kMeasured)
      v.reason += ": the calls dirtied " + HumanBytes(e.dirtied) + " of the destination's page cache" + scope;
    return v;
  }
  if (!disk_measured) {
    v.reason_code = "not_measured";
    v.reason = (known ? filesystem + " can share extents" : std::string("the filesystem is not known")) +
               ", but whether it did is not seen: writeback:writeback_dirty_folio is not attached";
    return v;
  }
  v.basis = Basis::kMeasured;
  v.copied_fraction = Share(e.dirtied, e.bytes);
  v.achieved = e.dirtied == 0 ? Achieved::kZeroCopy : FromFraction(v.copied_fraction);
  if (v.achieved == Achieved::kZeroCopy) {
    v.reason = "the calls dirtied no page of the destination" + scope + ": " +
               (known ? filesystem : "the filesystem") +
               " shared the source's extents (a reflink): metadata only, no data copied";
    return v;
  }
  v.reason_code = "no_reflink";
  v.reason =
      "the calls dirtied " + HumanBytes(e.dirtied) + " of the destination's page cache for " +
      HumanBytes(e.bytes) + scope +
      ": the kernel copied the data instead of sharing extents (across filesystems, unaligned ranges, or "
      "extents that cannot be shared)";
  return v;
}

// What a clone ioctl is called in its man page.
std::string ClaimedClone(Syscall s) {
  return s == Syscall::kFiclonerange ? "FICLONERANGE" : "FICLONE";
}

// FICLONE, FICLONERANGE: the kernel has no copying fallback for a clone (vfs_clone_file_range): it returns
// success only once the filesystem shares the extents, so a successful call is the kernel's own word.
ZeroCopyVerdict Clone(Syscall s, const std::string& filesystem) {
  ZeroCopyVerdict v;
  v.claimed = ClaimedClone(s);
  v.achieved = Achieved::kZeroCopy;
  v.basis = Basis::kMeasured;
  v.copied_fraction = 0;
  v.reason = "the calls succeeded, which a clone does only once " +
             (filesystem.empty() ? std::string("the filesystem") : filesystem) +
             " shares the source's extents (a reflink): metadata only, no data read, copied or written";
  return v;
}

// The clones of a path the kernel refused: nothing moved, and the program copied by other means or not at
// all.
ZeroCopyVerdict RefusedClones(const PathReport& p) {
  ZeroCopyVerdict v;
  v.claimed = ClaimedClone(p.syscall);
  v.basis = Basis::kMeasured;
  v.achieved = p.errors == p.calls ? Achieved::kRefused : Achieved::kZeroCopy;
  v.copied_fraction = 0;
  v.reason_code = "clone_refused";
  const std::string which = p.errors < p.calls
                                ? GroupedCount(p.errors) + " of " + Counted(p.calls, "clone", "clones")
                            : p.calls == 1 ? std::string("the clone")
                                           : "all " + GroupedCount(p.calls) + " clones";
  v.reason = "the kernel refused " + which +
             " (EOPNOTSUPP: a filesystem that cannot share extents, such as ext4 or tmpfs; EXDEV: two "
             "filesystems; EINVAL: a range not aligned to blocks), and a refused clone moves nothing: what "
             "the program did instead is in its other flows";
  return v;
}

// O_DIRECT: a direct transfer is the device's DMA to or from the user buffer, submitted by the call; a
// buffered fallback goes through the page cache (filled or dirtied by the call, no block I/O of its own).
ZeroCopyVerdict Direct(const Evidence& reads, const Evidence& writes, const std::string& filesystem,
                       bool disk_measured) {
  ZeroCopyVerdict v;
  v.claimed = "O_DIRECT";
  if (!disk_measured) {
    v.reason_code = "not_measured";
    v.reason =
        "block:block_bio_queue is not attached: whether the filesystem served the calls directly is not seen";
    return v;
  }
  v.basis = Basis::kMeasured;
  const uint64_t bytes = reads.bytes + writes.bytes;
  const uint64_t direct = std::min(reads.bytes, reads.disk_read) + std::min(writes.bytes, writes.disk_write);
  v.copied_fraction = Share(bytes - std::min(bytes, direct), bytes);
  v.achieved = FromFraction(v.copied_fraction);
  if (v.achieved == Achieved::kZeroCopy) {
    v.reason = "the calls submitted the blocks themselves (" + HumanBytes(direct) + " of block I/O for " +
               HumanBytes(bytes) + "): the device moved the data to and from the user buffer";
    return v;
  }
  v.reason_code = "buffered_fallback";
  v.reason = HumanBytes(bytes - std::min(bytes, direct)) + " of " + HumanBytes(bytes) +
             " went through the page cache, not the device (" + HumanBytes(reads.filled + writes.dirtied) +
             " of pages filled or dirtied by the calls): ";
  if (filesystem == "tmpfs")
    v.reason += "tmpfs keeps files in the page cache, so O_DIRECT there is a copy";
  else if (filesystem == "ext4")
    v.reason +=
        "ext4 serves O_DIRECT buffered for data=journal, inline data, fs-verity and encryption "
        "without inline crypto";
  else
    v.reason += "the filesystem served the O_DIRECT calls buffered";
  return v;
}

// sendfile, splice, tee, vmsplice: from the copy model (the kernel reports nothing per call).
ZeroCopyVerdict InKernel(const FlowReport& flow) {
  ZeroCopyVerdict v;
  v.claimed = flow.method;
  if (flow.cpu_copies_per_byte == 0) {
    v.achieved = Achieved::kZeroCopy;
    v.copied_fraction = 0;
    v.reason = "the kernel passes page references, no copy";
    if (flow.sink.loopback || flow.source.loopback)
      v.reason += "; loopback has no NIC, so there is no device DMA to save either";
    return v;
  }
  v.achieved = Achieved::kCopied;
  v.copied_fraction = 1;
  if (flow.flags & ZC_FLAG_SINK_NO_SG) {
    v.reason_code = "no_scatter_gather";
    v.reason = std::string(kNoScatterGather);
  } else if (flow.sink.kind == Kind::kFile) {
    v.reason_code = "page_cache_sink";
    v.reason =
        "the destination is a buffered file, which takes a copy into its page cache "
        "(iter_file_splice_write)";
  } else if (flow.source.kind == Kind::kZero || flow.source.kind == Kind::kChardev ||
             flow.source.kind == Kind::kFileDirect || flow.source.kind == Kind::kOther ||
             flow.source.kind == Kind::kPseudo) {
    v.reason_code = "copy_splice_read";
    v.reason = std::string(KindName(flow.source.kind)) +
               " cannot lend its pages to a pipe, so the kernel copies them into new ones (copy_splice_read)";
  } else if (IsSocket(flow.source.kind)) {
    v.reason_code = "socket_source";
    v.reason = "a socket's received data is copied out of its buffers";
  } else {
    v.reason_code = "model";
    v.reason = Counted(static_cast<uint64_t>(flow.cpu_copies_per_byte), "CPU copy", "CPU copies") +
               " per byte on this path";
  }
  return v;
}

bool IsCloneMethod(const std::string& method) {
  return method == FlowMethodName(ZC_FLOW_CLONE) || method == FlowMethodName(ZC_FLOW_CLONE_RANGE);
}

Syscall CloneSyscall(const std::string& method) {
  return method == FlowMethodName(ZC_FLOW_CLONE_RANGE) ? Syscall::kFiclonerange : Syscall::kFiclone;
}

bool IsInKernelMethod(const std::string& method) {
  for (uint8_t m : {ZC_FLOW_SENDFILE, ZC_FLOW_SPLICE, ZC_FLOW_SPLICE_RELAY, ZC_FLOW_TEE, ZC_FLOW_VMSPLICE}) {
    if (method == FlowMethodName(m))
      return true;
  }
  return false;
}

// kTLS: the kernel encrypts what the socket sends. In software (tls_sw) that is a CPU pass over every byte,
// from sendfile too; with the NIC's TLS offload (tls_device) none, but sendfile's pages are copied into the
// record unless the socket set TLS_TX_ZEROCOPY_RO. Who encrypts is read from the socket (tls_context's
// tx_conf) when the tls module's type was known at load.
ZeroCopyVerdict Ktls(const FlowReport& flow, bool mode_measured) {
  ZeroCopyVerdict v;
  const bool in_kernel = IsInKernelMethod(flow.method);
  const uint8_t mode = flow.flags & ZC_FLAG_SINK_TLS_MASK;
  v.claimed = in_kernel ? "kTLS " + flow.method : "kTLS";
  v.basis = mode_measured ? Basis::kMeasured : Basis::kModelled;
  if (mode == ZC_FLAG_SINK_KTLS_DEVICE_ZEROCOPY && in_kernel) {
    v.achieved = Achieved::kZeroCopy;
    v.copied_fraction = 0;
    v.reason = "the NIC encrypts (the socket's tx_conf: device offload) and TLS_TX_ZEROCOPY_RO lets " +
               flow.method + " hand it the page cache's pages: no CPU pass";
    return v;
  }
  v.achieved = Achieved::kCopied;
  v.copied_fraction = 1;
  if (mode == ZC_FLAG_SINK_KTLS_DEVICE || mode == ZC_FLAG_SINK_KTLS_DEVICE_ZEROCOPY) {
    v.reason_code = "ktls_device_copy";
    v.reason =
        std::string("the NIC encrypts (the socket's tx_conf: device offload), ") +
        (in_kernel ? "but without TLS_TX_ZEROCOPY_RO the kernel copies " + flow.method +
                         "'s pages into the record first (tls_device_copy_data), so that a file changed "
                         "meanwhile cannot corrupt a retransmission: set it (setsockopt SOL_TLS) if the "
                         "file does not change while sent"
                   : "so the write's copy into the record is the only CPU pass");
    return v;
  }
  v.reason_code = "ktls_software";
  v.reason = std::string("the socket's TLS is the kernel's (the tls ULP), ") +
             (mode_measured ? "in software (the socket's tx_conf): its cipher (tls_sw)"
                            : "and its cipher (tls_sw, software, assumed)") +
             " reads every byte and writes the ciphertext: " +
             (in_kernel ? "one CPU pass, even though " + flow.method + " itself copies nothing"
                        : "a CPU pass on top of the copy into the record");
  if (flow.sink.loopback)
    v.reason += "; loopback has no TLS offload";
  else if (mode_measured)
    v.reason += "; a NIC with TLS offload (ethtool -k: tls-hw-tx-offload) would encrypt instead";
  else
    v.reason +=
        "; whether a NIC encrypts instead is not known: the tls module was not loaded when zctrace started";
  return v;
}

// Two claims on one flow (O_DIRECT reads sent with MSG_ZEROCOPY): the worse result, both reasons.
ZeroCopyVerdict Combine(const ZeroCopyVerdict& a, const ZeroCopyVerdict& b) {
  ZeroCopyVerdict v;
  v.claimed = a.claimed + " + " + b.claimed;
  const auto rank = [](Achieved x) {
    return x == Achieved::kZeroCopy ? 0 : x == Achieved::kUnknown ? 1 : x == Achieved::kPartlyCopied ? 2 : 3;
  };
  const ZeroCopyVerdict& worse = rank(a.achieved) >= rank(b.achieved) ? a : b;
  v.achieved = worse.achieved;
  v.reason_code = !worse.reason_code.empty() ? worse.reason_code
                  : a.reason_code.empty()    ? b.reason_code
                                             : a.reason_code;
  v.reason = a.claimed + ": " + a.reason + "; " + b.claimed + ": " + b.reason;
  v.basis = a.basis == Basis::kMeasured && b.basis == Basis::kMeasured ? Basis::kMeasured : Basis::kModelled;
  v.copied_fraction = std::max(a.copied_fraction, b.copied_fraction);
  return v;
}

void Claim(std::optional<ZeroCopyVerdict>& slot, const ZeroCopyVerdict& v) {
  slot = slot ? Combine(*slot, v) : v;
}

}  // namespace

std::string_view AchievedName(Achieved a) {
  switch (a) {
    case Achieved::kZeroCopy:
      return "zero-copy";
    case Achieved::kCopied:
      return "copied";
    case Achieved::kPartlyCopied:
      return "partly copied";
    case Achieved::kRefused:
      return "refused";
    case Achieved::kUnknown:
      break;
  }
  return "unknown";
}

void JudgeZeroCopy(ProcessReport& proc, bool disk_measured, bool ktls_mode_measured) {
  const std::string copy_file_range(FlowMethodName(ZC_FLOW_COPY_FILE_RANGE));
  const Evidence cfr = Sum(proc, [](const PathReport& p) { return p.syscall == Syscall::kCopyFileRange; });
  const Evidence direct_reads = Sum(proc, [](const PathReport& p) {
    return p.source == Kind::kFileDirect && FamilyOf(p.syscall) != Family::kMap;
  });
  const Evidence direct_writes = Sum(proc, [](const PathReport& p) { return p.sink == Kind::kFileDirect; });
  uint64_t refused_clones = 0;
  for (const PathReport& p : proc.paths)
    refused_clones += IsClone(p.syscall) ? p.errors : 0;
  const size_t cfr_flows =
      static_cast<size_t>(std::count_if(proc.flows.begin(), proc.flows.end(),
                                        [&](const FlowReport& f) { return f.method == copy_file_range; }));

  for (FlowReport& f : proc.flows) {
    f.zero_copy.reset();
    if (f.method == copy_file_range && cfr.bytes > 0 && f.sink.kind == Kind::kFile) {
      Claim(f.zero_copy, CopyFileRange(cfr, f.sink.filesystem, cfr_flows > 1, disk_measured));
      if (refused_clones && f.zero_copy->achieved != Achieved::kZeroCopy) {
        f.zero_copy->reason += "; the program asked for a reflink first, which the kernel refused (" +
                               Counted(refused_clones, "clone", "clones") + " failed)";
      }
      if (f.zero_copy->achieved == Achieved::kZeroCopy && f.zero_copy->basis == Basis::kMeasured) {
        // shared extents: no copy and no data transfer at all
        f.cpu_copies_per_byte = f.dma_copies_per_byte = 0;
        f.cpu = f.dma = CopyFigure{0, 0, Basis::kMeasured, 0};
        f.notes.clear();
      }
    } else if (IsCloneMethod(f.method)) {
      Claim(f.zero_copy, Clone(CloneSyscall(f.method), f.sink.filesystem));
      f.cpu = CopyFigure{0, 0, Basis::kMeasured, 0};  // the kernel said so: shared extents
    } else if (f.flags & ZC_FLAG_SINK_KTLS) {
      Claim(f.zero_copy, Ktls(f, ktls_mode_measured));
    } else if (IsInKernelMethod(f.method)) {
      Claim(f.zero_copy, InKernel(f));
    }
    const bool reads_direct = f.source.kind == Kind::kFileDirect && direct_reads.bytes > 0;
    const bool writes_direct = f.sink.kind == Kind::kFileDirect && direct_writes.bytes > 0;
    if (reads_direct || writes_direct) {
      Claim(f.zero_copy,
            Direct(reads_direct ? direct_reads : Evidence{}, writes_direct ? direct_writes : Evidence{},
                   reads_direct ? f.source.filesystem : f.sink.filesystem, disk_measured));
    }
    if (f.flags & ZC_FLAG_MSG_ZEROCOPY)
      Claim(f.zero_copy, MsgZerocopy(proc, f.sink.loopback, f.flags & ZC_FLAG_SINK_NO_SG, f.bytes, f.chunks));
  }
  // the copy_file_range path is all of the process's copy_file_range flows: theirs is its verdict when
  // they agree
  std::optional<ZeroCopyVerdict> cfr_verdict;
  bool all_reflinked = cfr_flows > 0;
  for (const FlowReport& f : proc.flows) {
    if (f.method != copy_file_range || !f.zero_copy)
      continue;
    if (!cfr_verdict)
      cfr_verdict = f.zero_copy;
    all_reflinked = all_reflinked && f.zero_copy->achieved == Achieved::kZeroCopy &&
                    f.zero_copy->basis == Basis::kMeasured;
  }
  for (PathReport& p : proc.paths) {
    p.zero_copy.reset();
    const bool loopback = p.flags & ZC_FLAG_SINK_LOOPBACK;
    if (p.syscall == Syscall::kIoUringSendZc) {
      p.zero_copy = SendZc(proc, loopback);
    } else if ((p.flags & ZC_FLAG_MSG_ZEROCOPY) && p.calls > p.errors) {
      p.zero_copy = MsgZerocopy(proc, loopback, p.flags & ZC_FLAG_SINK_NO_SG, p.bytes, p.calls - p.errors);
    } else if (IsClone(p.syscall)) {
      p.zero_copy = p.errors ? RefusedClones(p) : Clone(p.syscall, "");
      if (p.calls > p.errors)
        p.cpu = CopyFigure{0, 0, Basis::kMeasured, 0};
    } else if (p.syscall == Syscall::kCopyFileRange && p.sink == Kind::kFile && p.bytes > 0) {
      p.zero_copy = cfr_verdict ? *cfr_verdict : CopyFileRange(cfr, "", false, disk_measured);
      if (all_reflinked) {
        // shared extents: the model's copy did not happen
        p.cpu = CopyFigure{0, 0, Basis::kMeasured, 0};
        p.cpu_copies_per_byte = 0;
        p.kernel_path =
            "remap_file_range: the filesystem shared the source's extents (a reflink): no data copied";
      }
    }
  }
}

}  // namespace zctrace
