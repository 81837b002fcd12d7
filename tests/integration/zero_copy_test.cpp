// Claimed vs achieved zero copy, held to what the kernel told the program itself (the workload's ground
// truth: the MSG_ZEROCOPY completions and SEND_ZC notifications it read) and to what the filesystem says
// of the destination's extents (FIEMAP_EXTENT_SHARED: a reflink).
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include <gtest/gtest.h>

#include "harness.h"

namespace zctrace::testing {
namespace {

using json = nlohmann::json;

constexpr uint64_t kBytes = 4 << 20;

json ReadTruth(const std::string& path) {
  std::ifstream in(path);
  json truth;
  if (in)
    in >> truth;
  unlink(path.c_str());
  return truth;
}

// The workload moving kBytes from `source` with `method` to `sink`, traced; its ground truth in *truth.
Traced RunWorkload(const std::string& method, const std::string& sink, const std::string& source, json* truth,
                   const std::vector<std::string>& more = {}) {
  const std::string truth_path = TempPath("truth.json");
  std::vector<std::string> args = {"--",     WorkloadBin(), "run",     "--method", method,
                                   "--sink", sink,          "--file",  source,     "--bytes",
                                   "4M",     "--report",    truth_path};
  args.insert(args.end(), more.begin(), more.end());
  Traced traced = RunTraced(args);
  *truth = ReadTruth(truth_path);
  return traced;
}

// The sending process's flow (or path, `in` "paths") that claimed `claimed`, or null.
const json* Claim(const json& report, const std::string& in, const std::string& claimed,
                  const json** process) {
  for (const json& p : report.at("processes")) {
    for (const json& item : p.at(in)) {
      if (!item.at("zero_copy").is_null() && item.at("zero_copy").at("claimed") == claimed) {
        *process = &p;
        return &item;
      }
    }
  }
  return nullptr;
}

class ZeroCopyClaims : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!IsRoot())
      return;
    source_ = TempPath("zero-copy-source");
    const RunResult r = RunProgram({WorkloadBin(), "prepare", "--file", source_, "--bytes", "4M"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void TearDown() override {
    if (!source_.empty())
      unlink(source_.c_str());
  }
  std::string source_;
};

TEST_F(ZeroCopyClaims, MsgZerocopyOnLoopbackIsCopiedAsItsCompletionsSay) {
  REQUIRE_ROOT();
  json truth;
  const Traced traced = RunWorkload("msg-zerocopy", "tcp", source_, &truth);
  ASSERT_EQ(traced.run.exit_code, 0) << traced.run.err;
  const json& kernel = truth.at("kernel");
  const uint64_t completed = kernel.at("zerocopy_completions"),
                 copied = kernel.at("zerocopy_copied_completions");
  ASSERT_GT(completed, 0u) << truth.dump();
  const json* process = nullptr;
  const json* flow = Claim(traced.report, "flows", "MSG_ZEROCOPY", &process);
  ASSERT_NE(flow, nullptr) << traced.report.dump(1);
  // the kernel's completions, counted as the program read them
  const json& reports = process->at("zero_copy_reports");
  EXPECT_EQ(reports.at("msg_zerocopy_sends").get<uint64_t>(), completed);
  EXPECT_EQ(reports.at("msg_zerocopy_copied_sends").get<uint64_t>(), copied);
  EXPECT_EQ(flow->at("bytes").get<uint64_t>(), kBytes);
  const json& v = flow->at("zero_copy");
  EXPECT_EQ(v.at("basis"), "measured");
  EXPECT_EQ(v.at("achieved"), copied == completed ? "copied" : copied == 0 ? "zero-copy" : "partly copied");
  EXPECT_EQ(v.at("reason_code"), "loopback") << v.dump();  // loopback delivers locally: the pages are copied
  EXPECT_NE(v.at("reason").get<std::string>().find("SO_EE_CODE_ZEROCOPY_COPIED"), std::string::npos);

  // the gate names the reason
  const RunResult check =
      RunProgram({ZctraceBin(), "check", "--expect", "zero-copy", "--", WorkloadBin(), "run", "--method",
                  "msg-zerocopy", "--sink", "tcp", "--file", source_, "--bytes", "4M"});
  EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
  EXPECT_NE(check.out.find("asked for MSG_ZEROCOPY and got copied (measured)"), std::string::npos)
      << check.out;
  EXPECT_NE(check.out.find("on loopback the kernel copies the pages"), std::string::npos) << check.out;
}

TEST_F(ZeroCopyClaims, IoUringSendZcReportsItsCopiesOnLoopback) {
  REQUIRE_ROOT();
  json truth;
  const Traced traced = RunWorkload("io-uring", "tcp", source_, &truth);
  ASSERT_EQ(traced.run.exit_code, 0) << traced.run.err;
  const json& kernel = truth.at("kernel");
  if (!kernel.at("send_zc").get<bool>())
    GTEST_SKIP() << "this kernel's io_uring has no IORING_OP_SEND_ZC (6.0+)";
  const json* process = nullptr;
  const json* path = Claim(traced.report, "paths", "io_uring SEND_ZC", &process);
  ASSERT_NE(path, nullptr) << traced.report.dump(1);
  const json& reports = process->at("zero_copy_reports");
  EXPECT_EQ(reports.at("send_zc_notifications").get<uint64_t>(),
            kernel.at("zerocopy_notifications").get<uint64_t>());
  EXPECT_EQ(reports.at("send_zc_copied_notifications").get<uint64_t>(),
            kernel.at("zerocopy_copied_completions").get<uint64_t>());
  const json& v = path->at("zero_copy");
  EXPECT_EQ(v.at("achieved"), "copied") << v.dump();
  EXPECT_EQ(v.at("reason_code"), "loopback");
  // the workload asks for IORING_SEND_ZC_REPORT_USAGE: where the kernel has it (6.2+), the notifications
  // say so themselves
  EXPECT_EQ(v.at("basis"),
            kernel.at("zerocopy_copied_completions").get<uint64_t>() > 0 ? "measured" : "modelled");
}

// A btrfs filesystem in a loop image, mounted while it lives.
class BtrfsImage {
 public:
  BtrfsImage() {
    image_ = TempPath("btrfs.img");
    mount_point_ = TempPath("btrfs");
    if (FindProgram("mkfs.btrfs").empty()) {
      why_not_ = "mkfs.btrfs is not installed (btrfs-progs)";
      return;
    }
    RunResult r = RunProgram({FindProgram("truncate"), "-s", "256M", image_});
    if (r.exit_code == 0)
      r = RunProgram({FindProgram("mkfs.btrfs"), "-q", "-f", image_});
    if (r.exit_code != 0) {
      why_not_ = "mkfs.btrfs failed: " + r.err;
      return;
    }
    mkdir(mount_point_.c_str(), 0755);
    r = RunProgram({FindProgram("mount"), "-o", "loop", image_, mount_point_});
    if (r.exit_code != 0) {
      why_not_ = "this kernel cannot mount a btrfs loop image: " + r.err;
      return;
    }
    mounted_ = true;
  }
  ~BtrfsImage() {
    if (mounted_)
      umount2(mount_point_.c_str(), MNT_DETACH);
    rmdir(mount_point_.c_str());
    unlink(image_.c_str());
  }
  BtrfsImage(const BtrfsImage&) = delete;
  BtrfsImage& operator=(const BtrfsImage&) = delete;
  const std::string& why_not() const { return why_not_; }
  const std::string& dir() const { return mount_point_; }

 private:
  std::string image_, mount_point_, why_not_;
  bool mounted_ = false;
};

// A path's filesystem type, from statfs (the guest of scripts/test-vm.sh has no stat(1)).
std::string FilesystemOf(const std::string& path) {
  struct statfs fs {};
  if (statfs(path.c_str(), &fs) != 0)
    return "unknown";
  switch (static_cast<unsigned long>(fs.f_type)) {
    case EXT4_SUPER_MAGIC:  // ext2, ext3 and ext4 share it
      return "ext4";
    case TMPFS_MAGIC:
      return "tmpfs";
    case BTRFS_SUPER_MAGIC:
      return "btrfs";
    case XFS_SUPER_MAGIC:
      return "xfs";
    default:
      return "type 0x" + [&] {
        char hex[17];
        snprintf(hex, sizeof(hex), "%lx", static_cast<unsigned long>(fs.f_type));
        return std::string(hex);
      }();
  }
}

TEST_F(ZeroCopyClaims, CopyFileRangeCopiesOnExt4AndSharesExtentsOnBtrfs) {
  REQUIRE_ROOT();
  // ext4 (this machine's temporary directory): the kernel copies
  const std::string local_fs = FilesystemOf(source_);
  const std::string local_dir = source_.substr(0, source_.rfind('/'));
  json truth;
  Traced traced = RunWorkload("copy-file-range", "file", source_, &truth, {"--dir", local_dir});
  ASSERT_EQ(traced.run.exit_code, 0) << traced.run.err;
  const json* process = nullptr;
  const json* flow = Claim(traced.report, "flows", "copy_file_range", &process);
  ASSERT_NE(flow, nullptr) << traced.report.dump(1);
  if (local_fs == "ext4") {
    ASSERT_EQ(truth.at("kernel").at("sink_shared_bytes"), 0) << truth.dump();  // ext4 shares no extents
    EXPECT_EQ(flow->at("sink").at("filesystem"), "ext4");
    EXPECT_EQ(flow->at("zero_copy").at("achieved"), "copied") << flow->dump();
    EXPECT_EQ(flow->at("zero_copy").at("basis"), "measured");
    EXPECT_EQ(flow->at("zero_copy").at("reason_code"), "no_reflink");
    EXPECT_EQ(flow->at("copies").at("cpu").at("per_byte"), 1);
  } else {
    std::cout << "[ note ] the temporary directory is on " << local_fs
              << ", not ext4: its copy half judged by "
              << "the filesystem's own account only\n";
    const bool shared = truth.at("kernel").at("sink_shared_bytes") == kBytes;
    EXPECT_EQ(flow->at("zero_copy").at("achieved"), shared ? "zero-copy" : "copied") << flow->dump();
  }

  BtrfsImage btrfs;
  if (!btrfs.why_not().empty())
    GTEST_SKIP() << "the btrfs half: " << btrfs.why_not();
  const std::string on_btrfs = btrfs.dir() + "/source";
  ASSERT_EQ(RunProgram({WorkloadBin(), "prepare", "--file", on_btrfs, "--bytes", "4M"}).exit_code, 0);
  traced = RunWorkload("copy-file-range", "file", on_btrfs, &truth, {"--dir", btrfs.dir()});
  ASSERT_EQ(traced.run.exit_code, 0) << traced.run.err;
  // the filesystem's own account: every byte of the destination shares its extents with the source
  ASSERT_EQ(truth.at("kernel").at("sink_shared_bytes"), kBytes) << truth.dump();
  flow = Claim(traced.report, "flows", "copy_file_range", &process);
  ASSERT_NE(flow, nullptr) << traced.report.dump(1);
  EXPECT_EQ(flow->at("sink").at("filesystem"), "btrfs");
  const json& v = flow->at("zero_copy");
  EXPECT_EQ(v.at("achieved"), "zero-copy") << v.dump();
  EXPECT_EQ(v.at("basis"), "measured");
  EXPECT_EQ(flow->at("copies").at("cpu").at("bytes"), 0);
  // the path, and the process's CPU copies, took no copy either
  for (const json& p : process->at("paths")) {
    if (p.at("method") == "copy_file_range") {
      EXPECT_EQ(p.at("copies").at("cpu").at("bytes"), 0) << p.dump();
    }
  }
  // and the gate passes it
  const RunResult check = RunProgram({ZctraceBin(), "check", "--expect", "zero-copy", "--", WorkloadBin(),
                                      "run", "--method", "copy-file-range", "--sink", "file", "--dir",
                                      btrfs.dir(), "--file", on_btrfs, "--bytes", "4M"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  unlink(on_btrfs.c_str());
}

// What the filesystem says of a file: {"bytes", "shared_bytes"} (FIEMAP), from the workload.
json Extents(const std::string& path) {
  const RunResult r = RunProgram({WorkloadBin(), "extents", "--file", path});
  return r.exit_code == 0 ? json::parse(r.out) : json{{"error", r.err}};
}

// The process's path of `method`, or null.
const json* PathOf(const json& process, const std::string& method) {
  for (const json& p : process.at("paths")) {
    if (p.at("method") == method)
      return &p;
  }
  return nullptr;
}

// GNU cp (coreutils 9.0+ clones by default, --reflink=auto), traced copying `from` to `to`: its process.
json TracedCp(const std::string& from, const std::string& to) {
  const Traced traced = RunTraced({"--", FindProgram("cp"), from, to});
  EXPECT_EQ(traced.run.exit_code, 0) << traced.run.err;
  for (const json& p : traced.report.at("processes")) {
    if (p.at("comm") == "cp")
      return p;
  }
  ADD_FAILURE() << "no cp process in " << traced.report.dump(1);
  return json::object();
}

TEST_F(ZeroCopyClaims, CpClonesOnBtrfsAndIsRefusedOnExt4) {
  REQUIRE_ROOT();
  if (RunProgram({FindProgram("cp"), "--version"}).out.find("GNU coreutils") == std::string::npos)
    GTEST_SKIP() << "cp here is not GNU coreutils (the guest's is busybox's), which does not clone";
  // the temporary directory's filesystem: on ext4 cp's FICLONE is refused and it copies instead
  const std::string local_fs = FilesystemOf(source_);
  const std::string copy = source_ + ".cp";
  json proc = TracedCp(source_, copy);
  const json shared_locally = Extents(copy);
  unlink(copy.c_str());
  const json* clone = PathOf(proc, "ficlone");
  ASSERT_NE(clone, nullptr) << proc.dump(1);
  if (local_fs == "ext4") {
    ASSERT_EQ(shared_locally.at("shared_bytes"), 0) << shared_locally.dump();
    EXPECT_EQ(clone->at("errors"), clone->at("calls")) << clone->dump();
    const json& v = clone->at("zero_copy");
    EXPECT_EQ(v.at("achieved"), "refused") << v.dump();
    EXPECT_EQ(v.at("reason_code"), "clone_refused");
    EXPECT_EQ(v.at("basis"), "measured");
    // what cp did instead: copy_file_range, which ext4 copies, and its verdict says the clone came first
    const json* process = nullptr;
    const json traced_as_report = {{"processes", json::array({proc})}};
    const json* flow = Claim(traced_as_report, "flows", "copy_file_range", &process);
    ASSERT_NE(flow, nullptr) << proc.dump(1);
    EXPECT_EQ(flow->at("bytes").get<uint64_t>(), kBytes);
    EXPECT_EQ(flow->at("zero_copy").at("achieved"), "copied");
    EXPECT_NE(flow->at("zero_copy").at("reason").get<std::string>().find("asked for a reflink first"),
              std::string::npos)
        << flow->dump();
  } else {
    std::cout << "[ note ] the temporary directory is on " << local_fs
              << ", not ext4: its half judged by the filesystem's own account only\n";
    const bool cloned = shared_locally.at("shared_bytes") == kBytes;
    EXPECT_EQ(clone->at("errors") == 0, cloned) << clone->dump() << shared_locally.dump();
  }

  BtrfsImage btrfs;
  if (!btrfs.why_not().empty())
    GTEST_SKIP() << "the btrfs half: " << btrfs.why_not();
  const std::string on_btrfs = btrfs.dir() + "/source", cloned = btrfs.dir() + "/clone";
  ASSERT_EQ(RunProgram({WorkloadBin(), "prepare", "--file", on_btrfs, "--bytes", "4M"}).exit_code, 0);
  proc = TracedCp(on_btrfs, cloned);
  // the filesystem's own account: every byte of the copy shares the source's extents
  ASSERT_EQ(Extents(cloned).at("shared_bytes"), kBytes) << Extents(cloned).dump();
  clone = PathOf(proc, "ficlone");
  ASSERT_NE(clone, nullptr) << proc.dump(1);
  EXPECT_EQ(clone->at("calls"), 1);
  EXPECT_EQ(clone->at("errors"), 0);
  EXPECT_EQ(clone->at("bytes").get<uint64_t>(), kBytes);
  EXPECT_EQ(clone->at("copies").at("cpu").at("bytes"), 0);
  EXPECT_EQ(PathOf(proc, "copy_file_range"), nullptr) << "cp copied after a successful clone";
  const json* flow = nullptr;
  for (const json& f : proc.at("flows")) {
    if (f.at("method") == "ficlone")
      flow = &f;
  }
  ASSERT_NE(flow, nullptr) << proc.dump(1);
  EXPECT_EQ(flow->at("bytes").get<uint64_t>(), kBytes);
  EXPECT_EQ(flow->at("source").at("path"), on_btrfs);
  EXPECT_EQ(flow->at("sink").at("path"), cloned);
  EXPECT_EQ(flow->at("sink").at("filesystem"), "btrfs");
  const json& v = flow->at("zero_copy");
  EXPECT_EQ(v.at("claimed"), "FICLONE");
  EXPECT_EQ(v.at("achieved"), "zero-copy") << v.dump();
  EXPECT_EQ(v.at("basis"), "measured");
  EXPECT_EQ(flow->at("copies").at("cpu").at("bytes"), 0);
  unlink(cloned.c_str());
  // the gate passes a clone
  const RunResult check =
      RunProgram({ZctraceBin(), "check", "--expect", "zero-copy", "--", FindProgram("cp"), on_btrfs, cloned});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  unlink(cloned.c_str());

  // FICLONERANGE (xfs_io's reflink with offsets): 2 MiB from 1 MiB in, then from 1 MiB in to the end
  // (length 0): 2 + 3 MiB shared
  const std::string xfs_io = FindProgram("xfs_io");
  if (xfs_io.empty())
    GTEST_SKIP() << "the FICLONERANGE half: xfs_io is not installed (xfsprogs)";
  const Traced ranged = RunTraced({"--", xfs_io, "-f", "-c", "reflink " + on_btrfs + " 1048576 0 2097152",
                                   "-c", "reflink " + on_btrfs + " 1048576 2097152 0", cloned});
  ASSERT_EQ(ranged.run.exit_code, 0) << ranged.run.err;
  const json truth = Extents(cloned);
  ASSERT_EQ(truth.at("shared_bytes"), 5u << 20) << truth.dump();
  const json* process = nullptr;
  flow = Claim(ranged.report, "flows", "FICLONERANGE", &process);
  ASSERT_NE(flow, nullptr) << ranged.report.dump(1);
  EXPECT_EQ(flow->at("bytes"), truth.at("shared_bytes"));
  EXPECT_EQ(flow->at("chunks"), 2);
  EXPECT_EQ(flow->at("zero_copy").at("achieved"), "zero-copy");
  unlink(cloned.c_str());
  unlink(on_btrfs.c_str());
}

// A file the kernel makes up as it is read (sysfs: the kernel's own BTF, megabytes of it) has no page cache
// to lend a pipe: sendfile from it copies, and reading it costs no device transfer.
TEST_F(ZeroCopyClaims, SendfileFromASysfsFileIsACopy) {
  REQUIRE_ROOT();
  const std::string btf = "/sys/kernel/btf/vmlinux";
  if (access(btf.c_str(), R_OK) != 0)
    GTEST_SKIP() << "no " << btf << " to read";
  json truth;
  Traced traced = RunWorkload("sendfile", "tcp", btf, &truth);
  ASSERT_EQ(traced.run.exit_code, 0) << traced.run.err;
  const json* process = nullptr;
  const json* flow = Claim(traced.report, "flows", "sendfile", &process);
  ASSERT_NE(flow, nullptr) << traced.report.dump(1);
  EXPECT_EQ(flow->at("bytes").get<uint64_t>(), kBytes);
  EXPECT_EQ(flow->at("source").at("kind"), "pseudo-file");
  EXPECT_EQ(flow->at("source").at("path"), btf);
  EXPECT_EQ(flow->at("source").at("filesystem"), "sysfs");
  EXPECT_EQ(flow->at("copies").at("cpu").at("per_byte"), 1);
  const json& v = flow->at("zero_copy");
  EXPECT_EQ(v.at("achieved"), "copied") << v.dump();
  EXPECT_EQ(v.at("reason_code"), "copy_splice_read");
  const json* path = PathOf(*process, "sendfile");
  ASSERT_NE(path, nullptr);
  EXPECT_EQ(path->at("source").at("kind"), "pseudo-file");
  EXPECT_EQ(path->at("copies").at("cpu").at("bytes").get<uint64_t>(), kBytes);

  // read: the kernel formats it into the buffer, one copy and no disk behind it
  traced = RunWorkload("read-write", "tcp", btf, &truth);
  ASSERT_EQ(traced.run.exit_code, 0) << traced.run.err;
  const json* read = nullptr;
  for (const json& p : traced.report.at("processes")) {
    for (const json& candidate : p.at("paths")) {
      if (candidate.at("method") == "read" && candidate.at("source").at("kind") == "pseudo-file")
        read = &candidate;
    }
  }
  ASSERT_NE(read, nullptr) << traced.report.dump(1);
  EXPECT_EQ(read->at("bytes").get<uint64_t>(), kBytes);
  EXPECT_EQ(read->at("copies").at("dma").at("per_byte"), 0) << read->dump();
}

// The verdict on O_DIRECT reads of `source`: the flow's zero_copy, and the block reads its paths submitted.
struct DirectReads {
  bool refused = false;  // the filesystem refused O_DIRECT at open (the workload read buffered)
  json verdict;
  std::string filesystem;
  uint64_t disk = 0, bytes = 0;
};

DirectReads ReadDirect(const std::string& source) {
  DirectReads d;
  json truth;
  const Traced traced = RunWorkload("o-direct", "null", source, &truth);
  EXPECT_EQ(traced.run.exit_code, 0) << traced.run.err;
  const json* process = nullptr;
  const json* flow = Claim(traced.report, "flows", "O_DIRECT", &process);
  d.refused = truth.at("kernel").at("o_direct_fallback") == true;
  if (!flow) {
    EXPECT_TRUE(d.refused) << traced.report.dump(1);
    return d;
  }
  d.verdict = flow->at("zero_copy");
  d.filesystem = flow->at("source").at("filesystem").is_null() ? "" : flow->at("source").at("filesystem");
  for (const json& p : process->at("paths")) {
    if (p.at("source").at("kind") == "file-direct") {
      d.disk += p.at("device").at("disk_read_bytes").get<uint64_t>();
      d.bytes += p.at("bytes").get<uint64_t>();
    }
  }
  return d;
}

TEST_F(ZeroCopyClaims, ODirectIsDirectOnExt4AndBufferedOnTmpfs) {
  REQUIRE_ROOT();
  // ext4 reads O_DIRECT straight into the buffer: the calls submit every block themselves
  const DirectReads ext4 = ReadDirect(source_);
  ASSERT_FALSE(ext4.refused);
  EXPECT_EQ(ext4.bytes, kBytes);
  if (ext4.filesystem == "ext4") {
    EXPECT_GE(ext4.disk, ext4.bytes);
    EXPECT_EQ(ext4.verdict.at("achieved"), "zero-copy") << ext4.verdict.dump();
    EXPECT_EQ(ext4.verdict.at("basis"), "measured");
  } else {
    std::cout << "[ note ] the temporary directory is on " << ext4.filesystem << ", not ext4\n";
  }
  // tmpfs has no device: O_DIRECT there (6.6+) is served from its page cache
  if (FilesystemOf("/dev/shm") != "tmpfs")
    GTEST_SKIP() << "the tmpfs half: /dev/shm is not a tmpfs here";
  const std::string on_tmpfs = "/dev/shm/zctrace-test-" + std::to_string(getpid()) + "-direct";
  ASSERT_EQ(RunProgram({WorkloadBin(), "prepare", "--file", on_tmpfs, "--bytes", "4M"}).exit_code, 0);
  const DirectReads tmpfs = ReadDirect(on_tmpfs);
  unlink(on_tmpfs.c_str());
  if (tmpfs.refused)
    GTEST_SKIP() << "the tmpfs half: this kernel's tmpfs refuses O_DIRECT (before 6.6)";
  EXPECT_EQ(tmpfs.disk, 0u);
  EXPECT_EQ(tmpfs.verdict.at("achieved"), "copied") << tmpfs.verdict.dump();
  EXPECT_EQ(tmpfs.verdict.at("reason_code"), "buffered_fallback");
  EXPECT_NE(tmpfs.verdict.at("reason").get<std::string>().find("tmpfs"), std::string::npos);
}

TEST_F(ZeroCopyClaims, SendfileOverSoftwareKtlsCostsACpuPassPerByte) {
  REQUIRE_ROOT();
  const Traced traced = RunTraced({"--", KTLS_SENDER_BIN, source_});
  if (traced.run.exit_code == 3) {
    // what the kernel's own configuration says, where it tells (/proc/config.gz)
    const std::string zgrep = FindProgram("zgrep");
    const std::string config =
        zgrep.empty()
            ? ""
            : RunProgram({zgrep, "-h", "^# CONFIG_TLS is not set\\|^CONFIG_TLS=", "/proc/config.gz"}).out;
    GTEST_SKIP()
        << "this kernel has no kTLS"
        << (config.empty() ? std::string()
                           : " (its configuration: " + config.substr(0, config.find('\n')) + ")")
        << "; Debian's 6.1 has it as the module tls.ko, which the 6.1 guest of scripts/test-vm.sh loads: "
        << traced.run.err;
  }
  ASSERT_EQ(traced.run.exit_code, 0) << traced.run.err;
  const json* process = nullptr;
  const json* flow = Claim(traced.report, "flows", "kTLS sendfile", &process);
  ASSERT_NE(flow, nullptr) << traced.report.dump(1);
  EXPECT_EQ(flow->at("bytes").get<uint64_t>(), kBytes);
  EXPECT_EQ(flow->at("copies").at("cpu").at("per_byte"), 1);  // the cipher's pass over every byte
  const json& v = flow->at("zero_copy");
  EXPECT_EQ(v.at("achieved"), "copied") << v.dump();
  EXPECT_EQ(v.at("reason_code"), "ktls_software");
  EXPECT_NE(v.at("reason").get<std::string>().find("loopback has no TLS offload"), std::string::npos);
  // who encrypts, read from the socket (its tls_context's tx_conf) when the tls module's BTF is there, as
  // in the 6.1 guest, which loads the module before the tests
  if (access("/sys/kernel/btf/tls", R_OK) == 0) {
    EXPECT_EQ(v.at("basis"), "measured");
    EXPECT_NE(v.at("reason").get<std::string>().find("in software (the socket's tx_conf)"), std::string::npos)
        << v.dump();
  } else {
    std::cout << "[ note ] no BTF for the tls module here: the kTLS mode is assumed, not read\n";
    EXPECT_EQ(v.at("basis"), "modelled");
  }
  // the sendfile path is the kTLS one, its bytes a CPU pass each; the handshake written before the socket
  // had TLS is a plain write (its classification was forgotten when the ULP was set)
  bool sendfile_seen = false, handshake_seen = false;
  for (const json& p : process->at("paths")) {
    const bool ktls = p.at("flags").dump().find("sink_ktls") != std::string::npos;
    if (p.at("method") == "sendfile") {
      sendfile_seen = true;
      EXPECT_TRUE(ktls) << p.dump();
      EXPECT_EQ(p.at("bytes").get<uint64_t>(), kBytes);
      EXPECT_EQ(p.at("copies").at("cpu").at("bytes").get<uint64_t>(), kBytes) << p.dump();
    } else if (p.at("method") == "write" && p.at("sink").at("kind") == "tcp") {
      handshake_seen = true;
      EXPECT_FALSE(ktls) << p.dump();
      EXPECT_EQ(p.at("bytes"), 5) << p.dump();
    }
  }
  EXPECT_TRUE(sendfile_seen && handshake_seen) << process->dump(1);
}

}  // namespace
}  // namespace zctrace::testing
