#include "copy_model.h"

#include <array>
#include <initializer_list>

namespace zctrace {
namespace {

// A set of kinds, as a bit mask over Kind.
class KindSet {
 public:
  constexpr KindSet(std::initializer_list<Kind> kinds) {
    for (Kind k : kinds)
      bits_ |= 1u << static_cast<unsigned>(k);
  }
  static constexpr KindSet Any() {
    KindSet s{};
    s.bits_ = ~0u;
    return s;
  }
  constexpr bool Has(Kind k) const {
    return static_cast<unsigned>(k) < 32 && (bits_ & (1u << static_cast<unsigned>(k)));
  }

 private:
  uint32_t bits_ = 0;
};

// Which syscalls a row covers.
enum class Applies : uint8_t { kReceive, kSend, kMmap, kMunmap, kSpliceLike, kVmsplice, kTee, kClone };

bool RowApplies(Applies a, Syscall s) {
  switch (a) {
    case Applies::kReceive:
      return FamilyOf(s) == Family::kReceive;
    case Applies::kSend:
      return FamilyOf(s) == Family::kSend;
    case Applies::kMmap:
      return s == Syscall::kMmap;
    case Applies::kMunmap:
      return s == Syscall::kMunmap;
    case Applies::kSpliceLike:  // page references through a pipe (real or internal)
      return s == Syscall::kSendfile || s == Syscall::kSplice || s == Syscall::kCopyFileRange;
    case Applies::kVmsplice:
      return s == Syscall::kVmsplice;
    case Applies::kTee:
      return s == Syscall::kTee;
    case Applies::kClone:
      return IsClone(s);
  }
  return false;
}

struct Row {
  Applies applies;
  KindSet source;
  KindSet sink;
  uint8_t required_flags;  // all of these ZC_FLAG_* must be set (the TLS field's value exactly, if named)
  int cpu_copies;
  std::string_view model;
  std::string_view kernel_path;
};

constexpr KindSet kSockets{Kind::kTcp, Kind::kUdp, Kind::kUnix};
constexpr KindSet kCopyingSpliceSources{Kind::kFileDirect, Kind::kZero, Kind::kChardev, Kind::kOther,
                                        Kind::kPseudo};
constexpr KindSet kReferencingSpliceSources{Kind::kFile, Kind::kPipe, Kind::kTcp,
                                            Kind::kUnix, Kind::kUdp,  Kind::kBlockdev};
constexpr KindSet kNoCopySinks{Kind::kTcp,  Kind::kUdp,  Kind::kUnix,
                               Kind::kPipe, Kind::kNull, Kind::kFileDirect};
constexpr KindSet kCopySinks{Kind::kFile, Kind::kBlockdev};
constexpr uint8_t kZerocopyLoopback = ZC_FLAG_MSG_ZEROCOPY | ZC_FLAG_SINK_LOOPBACK;
constexpr std::string_view kDeviceCannotSendPages =
    "page references into the skb, but the route's device cannot send them as they are: without "
    "scatter-gather "
    "(NETIF_F_SG) GSO copies them into linear frames (skb_segment); without checksum offload the kernel "
    "checksums every byte, linearizing pages it shares with the page cache first (skb_segment for GSO "
    "frames, skb_checksum_help for single ones)";
constexpr std::string_view kKtlsDeviceWrite =
    "tls_device_sendmsg: user → plaintext record (tls_device_copy_data, the only copy); the NIC encrypts as "
    "it "
    "sends";

// First matching row wins: specific rows come before general ones. Kernel functions are 6.18's
// (6.1 differs only where copy-model.md says so; the copy counts are the same).
const Row kRows[] = {
    // ---- read-like: fd → user memory ----
    {Applies::kReceive,
     {Kind::kFileDirect},
     KindSet::Any(),
     0,
     0,
     "direct I/O",
     "iomap_dio_rw: the device DMAs straight into the pinned user buffer"},
    {Applies::kReceive,
     {Kind::kFile},
     KindSet::Any(),
     0,
     1,
     "read+write",
     "filemap_read → copy_folio_to_iter: page cache → user"},
    {Applies::kReceive,
     {Kind::kTcp, Kind::kUnix},
     KindSet::Any(),
     0,
     1,
     "read+write",
     "tcp_recvmsg_locked / unix_stream_read_actor → skb_copy_datagram_iter: skb → user"},
    {Applies::kReceive,
     {Kind::kUdp},
     KindSet::Any(),
     0,
     1,
     "read+write",
     "udp_recvmsg → skb_copy_datagram_iter or copy_linear_skb: skb → user"},
    {Applies::kReceive,
     {Kind::kPipe},
     KindSet::Any(),
     0,
     1,
     "pipe",
     "pipe_read → copy_page_to_iter: pipe buffer → user"},
    {Applies::kReceive,
     {Kind::kZero},
     KindSet::Any(),
     0,
     1,
     "read+write",
     "read_iter_zero → iov_iter_zero: the CPU fills the user buffer"},
    {Applies::kReceive, {Kind::kNull}, KindSet::Any(), 0, 0, "none", "read_null: returns end of file"},
    {Applies::kReceive,
     {Kind::kBlockdev},
     KindSet::Any(),
     0,
     1,
     "read+write",
     "blkdev_read_iter → filemap_read: block device page cache → user"},
    {Applies::kReceive,
     {Kind::kPseudo},
     KindSet::Any(),
     0,
     1,
     "read+write",
     "seq_read_iter / kernfs_fop_read_iter: the kernel formats the contents into the user buffer "
     "(copy_to_iter); "
     "no page cache, no device"},
    {Applies::kReceive,
     {Kind::kChardev, Kind::kOther},
     KindSet::Any(),
     0,
     1,
     "read+write",
     "the driver's read copies to user (copy_to_user): assumed, not a known path"},

    // ---- write-like: user memory → fd ----
    {Applies::kSend,
     KindSet::Any(),
     {Kind::kFileDirect},
     0,
     0,
     "direct I/O",
     "iomap_dio_rw: the device DMAs straight from the pinned user buffer"},
    {Applies::kSend,
     KindSet::Any(),
     {Kind::kFile},
     0,
     1,
     "read+write",
     "generic_perform_write: user → page cache; the disk DMA follows at writeback"},
    {Applies::kSend,
     KindSet::Any(),
     {Kind::kTcp},
     ZC_FLAG_SINK_KTLS | ZC_FLAG_SINK_KTLS_DEVICE,
     1,
     "kTLS write (NIC offload)",
     kKtlsDeviceWrite},
    {Applies::kSend,
     KindSet::Any(),
     {Kind::kTcp},
     ZC_FLAG_SINK_KTLS | ZC_FLAG_SINK_KTLS_DEVICE_ZEROCOPY,
     1,
     "kTLS write (NIC offload)",
     kKtlsDeviceWrite},
    {Applies::kSend,
     KindSet::Any(),
     {Kind::kTcp},
     ZC_FLAG_SINK_KTLS,
     2,
     "kTLS write (software)",
     "tls_sw_sendmsg: user → plaintext record (a copy), then the cipher reads it and writes the "
     "ciphertext: a second CPU pass over every byte"},
    {Applies::kSend,
     KindSet::Any(),
     {Kind::kTcp},
     ZC_FLAG_MSG_ZEROCOPY | ZC_FLAG_SINK_NO_SG,
     1,
     "MSG_ZEROCOPY (copied: no SG or checksum offload)",
     kDeviceCannotSendPages},
    {Applies::kSend,
     KindSet::Any(),
     {Kind::kTcp},
     kZerocopyLoopback,
     1,
     "MSG_ZEROCOPY (copied)",
     "pages pinned, but on loopback skb_orphan_frags_rx → skb_copy_ubufs copies them at local delivery"},
    {Applies::kSend,
     KindSet::Any(),
     {Kind::kTcp, Kind::kUdp},
     ZC_FLAG_MSG_ZEROCOPY,
     0,
     "MSG_ZEROCOPY",
     "user pages pinned and sent by the NIC's scatter-gather DMA"},
    {Applies::kSend, KindSet::Any(), kSockets, 0, 1, "read+write",
     "tcp_sendmsg_locked / udp_sendmsg / unix_stream_sendmsg: user → skb"},
    {Applies::kSend,
     KindSet::Any(),
     {Kind::kPipe},
     0,
     1,
     "pipe",
     "pipe_write → copy_page_from_iter: user → pipe buffer"},
    {Applies::kSend,
     KindSet::Any(),
     {Kind::kNull, Kind::kZero},
     0,
     0,
     "none",
     "write_null / write_zero: discarded, nothing copied"},
    {Applies::kSend,
     KindSet::Any(),
     {Kind::kBlockdev},
     0,
     1,
     "read+write",
     "blkdev_write_iter: user → block device page cache"},
    {Applies::kSend,
     KindSet::Any(),
     {Kind::kPseudo},
     0,
     1,
     "read+write",
     "the file's write handler copies the user buffer in (proc_reg_write, kernfs_fop_write_iter)"},
    {Applies::kSend,
     KindSet::Any(),
     {Kind::kChardev, Kind::kOther},
     0,
     1,
     "read+write",
     "the driver's write copies from user (copy_from_user): assumed, not a known path"},

    // ---- mappings ----
    {Applies::kMmap,
     {Kind::kFile, Kind::kBlockdev},
     KindSet::Any(),
     0,
     0,
     "mmap+write",
     "filemap_fault maps page-cache pages into the process: no copy; first touches fault"},
    {Applies::kMmap, KindSet::Any(), KindSet::Any(), 0, 0, "none", "a mapping moves no data by itself"},
    {Applies::kMunmap, KindSet::Any(), KindSet::Any(), 0, 0, "none", "unmapping moves no data"},

    // ---- in-kernel moves: sendfile, splice, copy_file_range (page references through a pipe) ----
    {Applies::kSpliceLike,
     kReferencingSpliceSources,
     {Kind::kTcp},
     ZC_FLAG_SINK_KTLS | ZC_FLAG_SINK_KTLS_DEVICE_ZEROCOPY,
     0,
     "kTLS sendfile/splice (NIC offload, zero copy)",
     "tls_device_sendmsg keeps MSG_SPLICE_PAGES (TLS_TX_ZEROCOPY_RO): tls_push_data puts the page-cache "
     "pages "
     "in the record by reference and the NIC encrypts as it sends: no CPU pass"},
    {Applies::kSpliceLike,
     kReferencingSpliceSources,
     {Kind::kTcp},
     ZC_FLAG_SINK_KTLS | ZC_FLAG_SINK_KTLS_DEVICE,
     1,
     "kTLS sendfile/splice (NIC offload)",
     "tls_device_sendmsg drops MSG_SPLICE_PAGES without TLS_TX_ZEROCOPY_RO: tls_push_data copies the pages "
     "into "
     "the record (tls_device_copy_data), so that a file changed meanwhile cannot corrupt a retransmission; "
     "the "
     "NIC encrypts"},
    {Applies::kSpliceLike,
     kReferencingSpliceSources,
     {Kind::kTcp},
     ZC_FLAG_SINK_KTLS,
     1,
     "kTLS sendfile/splice (software)",
     "tls_sw_sendmsg with MSG_SPLICE_PAGES (6.1: tls_sw_sendpage) takes the pages by reference, then the "
     "cipher reads them and writes the ciphertext: one CPU pass over every byte"},
    {Applies::kSpliceLike,
     kReferencingSpliceSources,
     {Kind::kTcp},
     ZC_FLAG_SINK_NO_SG,
     1,
     "sendfile/splice (copied: no SG or checksum offload)",
     kDeviceCannotSendPages},
    {Applies::kSpliceLike, kReferencingSpliceSources, kNoCopySinks, 0, 0, "sendfile/splice",
     "filemap_splice_read / skb_splice_bits take page references; splice_to_socket sends them with "
     "MSG_SPLICE_PAGES (scatter-gather), pipes link them: no copy"},
    {Applies::kSpliceLike, kReferencingSpliceSources, kCopySinks, 0, 1, "sendfile/splice",
     "page references in, then iter_file_splice_write → write_iter copies into the destination page cache"},
    {Applies::kSpliceLike, kCopyingSpliceSources, kNoCopySinks, 0, 1, "sendfile/splice",
     "copy_splice_read copies into pipe pages (O_DIRECT input, /dev/zero, char devices, procfs and sysfs "
     "files)"},
    {Applies::kSpliceLike, kCopyingSpliceSources, kCopySinks, 0, 2, "sendfile/splice",
     "copy_splice_read into pipe pages, then write_iter into the destination page cache"},
    {Applies::kVmsplice,
     {Kind::kUser},
     {Kind::kPipe},
     0,
     0,
     "vmsplice",
     "iter_to_pipe: the user pages are referenced by the pipe, not copied"},
    {Applies::kVmsplice,
     {Kind::kPipe},
     {Kind::kUser},
     0,
     1,
     "vmsplice",
     "vmsplice from a pipe's read end: copy_page_to_iter, pipe → user"},
    {Applies::kTee, {Kind::kPipe}, {Kind::kPipe}, 0, 0, "tee", "link_pipe: buffers shared, no copy"},
    // a clone succeeds only by sharing extents: a filesystem that cannot refuses it (EOPNOTSUPP, EXDEV)
    {Applies::kClone, KindSet::Any(), KindSet::Any(), 0, 0, "reflink",
     "ioctl_file_clone → vfs_clone_file_range → remap_file_range: the filesystem shares the source's extents "
     "(a reflink): metadata only, no data read, copied or written (btrfs and xfs first write back the "
     "source's dirty pages in the range)"},
};

constexpr DeviceTransfer kNoDevice{0, Device::kNone, "no device"};

// The flags a row's required flags compare: those, and the whole TLS field where a row names a value of it
// (a software kTLS row, naming none, takes any; a NIC offload row takes only its own value).
uint8_t FlagsARowLooksAt(uint8_t required) {
  return required | ((required & ZC_FLAG_SINK_TLS_MASK) ? ZC_FLAG_SINK_TLS_MASK : 0);
}

}  // namespace

DeviceTransfer DeviceTransferOf(Kind kind, bool loopback, bool is_source) {
  switch (kind) {
    case Kind::kFile:
      return is_source ? DeviceTransfer{1, Device::kDisk, "disk → page cache (only on a cache miss)"}
                       : DeviceTransfer{1, Device::kDisk, "page cache → disk, later, at writeback"};
    case Kind::kFileDirect:
      return {1, Device::kDisk, "disk ↔ user buffer (direct I/O)"};
    case Kind::kBlockdev:
      return {1, Device::kDisk, "block device ↔ page cache"};
    case Kind::kTcp:
    case Kind::kUdp:
      if (loopback)
        return {0, Device::kNone, "loopback: no NIC, no DMA"};
      return is_source ? DeviceTransfer{1, Device::kNic, "NIC → socket buffer"}
                       : DeviceTransfer{1, Device::kNic, "socket buffer → NIC"};
    default:
      return kNoDevice;
  }
}

PathCost ModelPath(const PathSpec& path) {
  PathCost cost;
  cost.source_dma = DeviceTransferOf(path.source, path.flags & ZC_FLAG_SOURCE_LOOPBACK, true);
  cost.sink_dma = DeviceTransferOf(path.sink, path.flags & ZC_FLAG_SINK_LOOPBACK, false);
  if (FamilyOf(path.syscall) == Family::kMap) {
    // A mapping moves nothing itself: the device side shows up when the pages are touched.
    cost.sink_dma = kNoDevice;
  }
  if (IsClone(path.syscall)) {
    // shared extents: the data stays where it is on the device
    cost.source_dma = cost.sink_dma = DeviceTransfer{0, Device::kNone, "shared extents: no data moved"};
  }
  for (const Row& row : kRows) {
    if (!RowApplies(row.applies, path.syscall) || !row.source.Has(path.source) || !row.sink.Has(path.sink) ||
        (path.flags & FlagsARowLooksAt(row.required_flags)) != row.required_flags) {
      continue;
    }
    cost.known = true;
    cost.cpu_copies = row.cpu_copies;
    cost.model = row.model;
    cost.kernel_path = row.kernel_path;
    return cost;
  }
  cost.model = "unmodelled";
  cost.kernel_path = "no row of the copy model covers this combination: CPU copies not counted";
  return cost;
}

const ClassicLine* ClassicLines(size_t* count) {
  static constexpr ClassicLine kLines[] = {
      {"read+write", 2, 2, 4, "page cache → user → socket buffer"},
      {"mmap+write", 1, 2, 4, "page cache → socket buffer; plus mmap/munmap and page faults"},
      {"sendfile", 0, 2, 2, "NIC with scatter-gather DMA reads the page cache"},
      {"splice", 0, 2, 4, "file → pipe → socket by page references (two syscalls)"},
  };
  *count = std::size(kLines);
  return kLines;
}

}  // namespace zctrace
