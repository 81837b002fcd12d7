// The device side of the four-copy model, measured per process: disk DMA on a cold read and none on a
// warm one, page faults of mmap, deferred write DMA, no NIC DMA on loopback or a veth, and receive DMA
// on the machine's NIC.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/magic.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "harness.h"

namespace zctrace::testing {
namespace {

using nlohmann::json;

constexpr uint64_t kFileBytes = 64ull << 20;

class Devices : public ::testing::Test {
 protected:
  static std::string source_;

  static void SetUpTestSuite() {
    if (!IsRoot())
      return;
    // /var/tmp: a disk-backed filesystem (tmpfs would have no block I/O to see)
    source_ = "/var/tmp/zctrace-device-test-" + std::to_string(getpid()) + ".bin";
    const RunResult r = RunProgram({WorkloadBin(), "prepare", "--file", source_, "--bytes", "64M"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    if (!source_.empty())
      unlink(source_.c_str());
  }

  // Traces one transfer; returns the whole report (the sender first, then its helper children).
  json Transfer(const std::string& method, const std::string& sink, bool cold) {
    std::vector<std::string> args = {"--",        WorkloadBin(), "run",     "--method", method,
                                     "--sink",    sink,          "--file",  source_,    "--report",
                                     "/dev/null", "--dir",       "/var/tmp"};
    if (cold)
      args.push_back("--cold");
    const Traced t = RunTraced(args);
    EXPECT_EQ(t.run.exit_code, 0) << t.run.err;
    return t.report;
  }

  // Traces one transfer; returns the sending process's report.
  json Sender(const std::string& method, const std::string& sink, bool cold) {
    const json report = Transfer(method, sink, cold);
    if (!report.contains("processes") || report.at("processes").empty())
      return json::object();
    return report.at("processes")[0];
  }

  // Disk DMA needs a disk under the file: on a memory-only filesystem no bio is ever queued and no page is
  // written back (shmem has no writeback). Non-empty: why the tests that measure disk DMA cannot run here,
  // e.g. in the 6.1 guest of scripts/test-vm.sh booted without its RAM disk (ZCTRACE_VM_DISK=0).
  static std::string NoBlockDevice() {
    struct statfs fs {};
    if (statfs("/var/tmp", &fs) != 0)
      return "";  // let the test fail on the file itself
    if (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC)
      return "/var/tmp is a memory-only filesystem (tmpfs/ramfs): no block device, so no disk DMA to see";
    return "";
  }

  static const json& Path(const json& process, const std::string& method, const std::string& source,
                          const std::string& sink) {
    for (const json& p : process.at("paths")) {
      if (p.at("method") == method && p.at("source").at("kind") == source && p.at("sink").at("kind") == sink)
        return p;
    }
    static const json kNone = json::object();
    ADD_FAILURE() << "no path " << method << " " << source << "->" << sink << " in " << process.dump(1);
    return kNone;
  }
};
std::string Devices::source_;

TEST_F(Devices, ColdReadShowsDiskDmaWarmReadShowsNone) {
  REQUIRE_ROOT();
  if (const std::string why = NoBlockDevice(); !why.empty())
    GTEST_SKIP() << why;
  const json cold = Sender("read-write", "null", true);
  const json& cold_read = Path(cold, "read", "file", "user");
  ASSERT_FALSE(cold_read.empty());
  EXPECT_EQ(cold_read.at("copies").at("dma").at("basis"), "measured");
  const double cold_dma = cold_read.at("copies").at("dma").at("bytes").get<double>();
  // A page the kernel reclaims between readahead and the copy to the reader is read from the disk again
  // (seen here: 2 MiB once in a few runs, with proactive reclaim on the machine). Such a re-read is real
  // DMA and fills the page cache a second time: the expected DMA is the file plus the refilled bytes.
  const double fills = cold.at("device").at("page_cache_fill_bytes").get<double>();
  const double refilled = std::max(0.0, fills - static_cast<double>(kFileBytes));
  EXPECT_NEAR(cold_dma, static_cast<double>(kFileBytes) + refilled, 0.02 * kFileBytes)
      << "disk DMA within 2% of 64 MiB (page-cache fills " << fills << ")";
  EXPECT_NEAR(cold.at("device").at("disk_read_bytes").get<double>(),
              static_cast<double>(kFileBytes) + refilled, 0.02 * kFileBytes)
      << "page-cache fills " << fills;
  EXPECT_LT(refilled, 0.25 * kFileBytes) << "most of the file was read once";

  const json warm = Sender("read-write", "null", false);  // the cold run left the file cached
  const json& warm_read = Path(warm, "read", "file", "user");
  ASSERT_FALSE(warm_read.empty());
  EXPECT_EQ(warm_read.at("copies").at("dma").at("basis"), "measured");
  // the same reclaim between the two runs makes a warm read fetch those pages again: its DMA is what it
  // refilled into the page cache, and none for the part still cached
  const double warm_fills = warm.at("device").at("page_cache_fill_bytes").get<double>();
  EXPECT_LT(warm_read.at("copies").at("dma").at("bytes").get<double>(), warm_fills + 0.01 * kFileBytes)
      << "a cached read has no DMA (page-cache refills " << warm_fills << ")";
  EXPECT_LT(warm_fills, 0.25 * kFileBytes) << "most of the file was still cached";
}

TEST_F(Devices, MmapWriteShowsItsPageFaults) {
  REQUIRE_ROOT();
  if (const std::string why = NoBlockDevice(); !why.empty())
    GTEST_SKIP() << why;
  // not /dev/null: write_null never touches the buffer, so the mapping would never be read. Here only the
  // kernel reads it (tcp_sendmsg copying from it): its faults are the kernel's, no mode switch, and the
  // user-mode faults charged to the mapping are none of them (Robustness has a program reading its mapping)
  const json sender = Sender("mmap-write", "tcp", true);
  const json& mmap = Path(sender, "mmap", "file", "user");
  ASSERT_FALSE(mmap.empty());
  const uint64_t faults = mmap.at("page_faults").at("total");
  EXPECT_EQ(faults, 0u) << "user-mode faults charged to a mapping only the kernel read";
  EXPECT_EQ(mmap.at("mode_switches").at("total").get<uint64_t>(),
            2 * (mmap.at("calls").get<uint64_t>() + faults));
  EXPECT_GT(sender.at("page_faults").at("total").get<uint64_t>(), 0u);  // the program's own
  EXPECT_EQ(sender.at("mode_switches").at("page_faults").get<uint64_t>(),
            2 * sender.at("page_faults").at("total").get<uint64_t>());
  // cold pages are read from the disk while the kernel copies from the mapping; as for the cold read,
  // pages reclaimed meanwhile (proactive reclaim here: the file's, or the program's own) are read again
  // and fill the page cache again: the expected disk reads are the file plus what was refilled
  const double fills = sender.at("device").at("page_cache_fill_bytes").get<double>();
  const double refilled = std::max(0.0, fills - static_cast<double>(kFileBytes));
  EXPECT_NEAR(sender.at("device").at("disk_read_bytes").get<double>(),
              static_cast<double>(kFileBytes) + refilled, 0.02 * kFileBytes)
      << "page-cache fills " << fills;
  EXPECT_LT(refilled, 0.25 * kFileBytes) << "most of the file was read once";
  EXPECT_TRUE(sender.at("page_faults").at("major").is_number());
}

TEST_F(Devices, BufferedWriteDmaIsDeferredAndCharged) {
  REQUIRE_ROOT();
  if (const std::string why = NoBlockDevice(); !why.empty())
    GTEST_SKIP() << why;
  const json sender = Sender("read-write", "file", false);
  const json& write = Path(sender, "write", "user", "file");
  ASSERT_FALSE(write.empty());
  EXPECT_EQ(write.at("copies").at("dma").at("basis"), "measured");
  EXPECT_NEAR(write.at("device").at("dirtied_bytes").get<double>(), static_cast<double>(kFileBytes),
              0.02 * kFileBytes);
  EXPECT_EQ(write.at("device").at("disk_write_bytes").get<uint64_t>(), 0u);  // a kworker writes it back later
}

// dd iflag=direct into a file: the O_DIRECT reads fill no page cache (the disk DMAs straight into the
// buffer); the buffered writes add the destination's pages. Fills and pages created by writes are told
// apart, on the paths and for the process.
TEST_F(Devices, AnODirectCopyIntoAFileFillsNothingAndCreatesTheDestinationsPages) {
  REQUIRE_ROOT();
  if (const std::string why = NoBlockDevice(); !why.empty())
    GTEST_SKIP() << why;
  const json sender = Sender("o-direct", "file", false);
  bool direct = false;
  for (const json& p : sender.at("paths"))
    direct = direct || p.at("source").at("kind") == "file-direct";
  if (!direct)
    GTEST_SKIP() << "/var/tmp's filesystem refused O_DIRECT (the workload read it buffered)";
  const json& read = Path(sender, "read", "file-direct", "user");
  const json& write = Path(sender, "write", "user", "file");
  ASSERT_FALSE(read.empty() || write.empty());
  const double file = static_cast<double>(kFileBytes);
  EXPECT_EQ(read.at("device").at("page_cache_fill_bytes").get<uint64_t>(), 0u) << read.dump();
  EXPECT_NEAR(read.at("device").at("disk_read_bytes").get<double>(), file, 0.02 * file) << read.dump();
  EXPECT_EQ(write.at("device").at("page_cache_fill_bytes").get<uint64_t>(), 0u) << write.dump();
  EXPECT_NEAR(write.at("device").at("page_cache_created_bytes").get<double>(), file, 0.02 * file);
  const json& device = sender.at("device");
  EXPECT_NEAR(device.at("page_cache_created_bytes").get<double>(), file, 0.02 * file) << device.dump();
  // what is left of the fills is the program's own pages (its executable and libraries, if evicted)
  EXPECT_LT(device.at("page_cache_fill_bytes").get<double>(), 0.05 * file) << device.dump();
}

// A read whose atime the filesystem updates (relatime: atime older than mtime) makes ext4 journal the inode
// in the reader's context: a block of the block device's page cache is dirtied inside the read. That is
// the filesystem's write, not the read path's DMA: the process counts it, the path does not.
TEST_F(Devices, AnAtimeUpdateDuringAReadIsNotTheReadPathsDma) {
  REQUIRE_ROOT();
  if (const std::string why = NoBlockDevice(); !why.empty())
    GTEST_SKIP() << why;
  const std::string file = source_ + ".atime";
  {
    std::ofstream out(file, std::ios::binary);
    out << std::string(1 << 20, 'a');
  }
  // written back, then an atime far older than the mtime: the next read updates it
  sync();
  const struct timespec atime_2020_mtime_kept[2] = {{1577836800, 0}, {0, UTIME_OMIT}};
  ASSERT_EQ(utimensat(AT_FDCWD, file.c_str(), atime_2020_mtime_kept, 0), 0) << strerror(errno);
  sync();
  // the workload (not cat: the 6.1 guest has no coreutils) reads it with read() and drops it
  const Traced t = RunTraced({"--", WorkloadBin(), "run", "--method", "read-write", "--sink", "null",
                              "--file", file, "--bytes", "1M", "--report", "/dev/null"});
  unlink(file.c_str());
  ASSERT_EQ(t.run.exit_code, 0) << t.run.err;
  const json& reader = t.report.at("processes")[0];
  if (reader.at("device").at("dirtied_bytes").get<uint64_t>() == 0)
    GTEST_SKIP()
        << "this filesystem dirtied nothing for the atime update (noatime, or no journal): nothing to "
           "tell apart here";
  const json& read = Path(reader, "read", "file", "user");
  ASSERT_FALSE(read.empty());
  EXPECT_EQ(read.at("device").at("dirtied_bytes").get<uint64_t>(), 0u);
  EXPECT_EQ(read.at("copies").at("dma").at("bytes").get<uint64_t>(),
            read.at("device").at("disk_read_bytes").get<uint64_t>());
}

TEST_F(Devices, LoopbackTcpHasNoNicDma) {
  REQUIRE_ROOT();
  const json sender = Sender("sendfile", "tcp", false);
  const json& sendfile = Path(sender, "sendfile", "file", "tcp");
  ASSERT_FALSE(sendfile.empty());
  // no NIC DMA: whatever DMA the path shows is the disk's (a file evicted by earlier tests is re-read)
  EXPECT_EQ(sendfile.at("device").at("nic_tx_bytes").get<uint64_t>(), 0u);
  EXPECT_EQ(sendfile.at("copies").at("dma").at("bytes").get<uint64_t>(),
            sendfile.at("device").at("disk_read_bytes").get<uint64_t>());
  EXPECT_EQ(sendfile.at("copies").at("dma").at("basis"), "measured");
  EXPECT_NE(sendfile.at("device_detail").get<std::string>().find("loopback: no NIC"), std::string::npos);
  EXPECT_EQ(sender.at("device").at("nic_tx_bytes").get<uint64_t>(), 0u);
  EXPECT_GT(sender.at("device").at("virtual_tx_bytes").get<uint64_t>(), 0u);  // real traffic, no DMA
}

TEST_F(Devices, LoopbackTcpReceiveIsMeasuredAsVirtual) {
  REQUIRE_ROOT();
  const json report = Transfer("read-write", "tcp", false);
  ASSERT_TRUE(report.contains("processes"));
  EXPECT_TRUE(report.at("capabilities").at("nic_rx").at("available").get<bool>())
      << report.at("capabilities").at("nic_rx").dump();
  // the receiver: the helper child that reads the loopback socket until EOF
  const json* receiver = nullptr;
  for (const json& p : report.at("processes")) {
    if (PathField(p, "read", "tcp", "user", "bytes") == kFileBytes)
      receiver = &p;
  }
  ASSERT_NE(receiver, nullptr) << "no process read the 64 MiB from TCP: " << report.dump(1);
  const json& read = Path(*receiver, "read", "tcp", "user");
  ASSERT_FALSE(read.empty());
  // every copied skb arrived on lo: the payload, exactly, and no NIC DMA, measured
  EXPECT_EQ(read.at("device").at("virtual_rx_bytes").get<uint64_t>(), kFileBytes);
  EXPECT_EQ(read.at("device").at("nic_rx_bytes").get<uint64_t>(), 0u);
  EXPECT_EQ(read.at("device").at("unclassified_rx_bytes").get<uint64_t>(), 0u);
  EXPECT_EQ(read.at("copies").at("dma").at("bytes").get<uint64_t>(), 0u);
  EXPECT_EQ(read.at("copies").at("dma").at("basis"), "measured");
  EXPECT_NE(
      read.at("device_detail").get<std::string>().find("arrived on a virtual device / loopback: no DMA"),
      std::string::npos)
      << read.at("copies").at("dma").dump();
  EXPECT_EQ(receiver->at("device").at("nic_rx_bytes").get<uint64_t>(), 0u);
  EXPECT_GE(receiver->at("device").at("virtual_rx_bytes").get<uint64_t>(), kFileBytes);
}

}  // namespace
}  // namespace zctrace::testing

namespace zctrace::testing {
namespace {

// dma:* (6.12+) and swiotlb:swiotlb_bounced are attached where the kernel has them, and say so where
// not (the 6.1 guest); their figures are in every process's device block either way.
TEST(Device, DmaApiAndSwiotlbProbesFollowTheKernel) {
  REQUIRE_ROOT();
  const Traced t = RunTraced({"--", "/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=4k", "count=4"});
  const auto& caps = t.report.at("capabilities");
  // each on its own: 6.1 has swiotlb_bounced but no dma:* events
  const std::pair<const char*, const char*> probes[] = {{"dma_map_phys", "dma:dma_map_phys"},
                                                        {"dma_map_sg", "dma:dma_map_sg"},
                                                        {"swiotlb_bounces", "swiotlb:swiotlb_bounced"}};
  for (const auto& [name, tracepoint] : probes) {
    const auto& c = caps.at(name);
    if (c.at("available").get<bool>())
      EXPECT_EQ(c.at("detail"), tracepoint) << name;
    else  // left off with the reason, e.g. "dma:dma_map_phys: not in this kernel"
      EXPECT_EQ(c.at("detail").get<std::string>().rfind(std::string(tracepoint) + ": ", 0), 0u) << c.dump();
  }
  const auto& device = t.report.at("processes").at(0).at("device");
  EXPECT_TRUE(device.contains("dma_map_bytes"));
  EXPECT_TRUE(device.contains("swiotlb_bounce_bytes"));
  // /dev/zero → /dev/null involves no device: no driver maps anything for it
  EXPECT_EQ(device.at("dma_map_bytes").get<uint64_t>(), 0u);
  EXPECT_EQ(device.at("swiotlb_bounce_bytes").get<uint64_t>(), 0u);
}

}  // namespace
}  // namespace zctrace::testing

namespace zctrace::testing {
namespace {

// The receive side over real devices: a veth pair to another network namespace, and this machine's NIC.
// Both need programs the 6.1 guest of scripts/test-vm.sh does not have (ip, curl: it has busybox only, and
// no network); there they skip and say so. scripts/install-deps.sh installs both for the host suite.

// A program running beside the traced one; killed and reaped when the test ends, whatever happens.
class Background {
 public:
  Background(const std::vector<std::string>& argv, const std::string& stderr_path) {
    pid_ = fork();
    if (pid_ == 0) {
      const int devnull = open("/dev/null", O_RDWR);
      const int err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(devnull, 0);
      dup2(devnull, 1);
      dup2(err >= 0 ? err : devnull, 2);
      std::vector<char*> args;
      for (const std::string& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~Background() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  // Its exit code once it has ended, or -1 if it is still running after `seconds` (then killed).
  int Wait(double seconds) {
    for (int waited_ms = 0; pid_ > 0; waited_ms += 50) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (waited_ms > seconds * 1000)
        return -1;
      usleep(50 * 1000);
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
};

// A network namespace joined to the root namespace by a veth pair: `outer` (10.231.N.1/24) stays here,
// `inner` (10.231.N.2/24) goes into the namespace. Names and subnet carry the test's pid, so that
// concurrent runs do not meet; everything is deleted when the object goes, also after a failed assertion.
class VethToNamespace {
 public:
  explicit VethToNamespace(const std::string& ip) : ip_(ip) {
    const std::string tag = std::to_string(getpid() % 100000);
    ns_ = "zctrace-rx-" + tag;
    outer_ = "zcrx" + tag + "o";
    inner_ = "zcrx" + tag + "i";
    const std::string subnet = "10.231." + std::to_string(getpid() % 250) + ".";
    outer_address_ = subnet + "1";
    inner_address_ = subnet + "2";
    const std::vector<std::vector<std::string>> steps = {
        {ip_, "netns", "add", ns_},
        {ip_, "link", "add", outer_, "type", "veth", "peer", "name", inner_, "netns", ns_},
        {ip_, "addr", "add", outer_address_ + "/24", "dev", outer_},
        {ip_, "link", "set", outer_, "up"},
        {ip_, "-n", ns_, "addr", "add", inner_address_ + "/24", "dev", inner_},
        {ip_, "-n", ns_, "link", "set", inner_, "up"},
        {ip_, "-n", ns_, "link", "set", "lo", "up"}};
    for (const std::vector<std::string>& step : steps) {
      const RunResult r = RunProgram(step);
      if (r.exit_code != 0) {
        error_ = step[1] + " " + step[2] + " " + step[3] + ": " + r.err;
        return;
      }
    }
  }
  ~VethToNamespace() {
    // deleting the namespace deletes the inner end, and a veth's other end goes with it; the outer end is
    // deleted on its own too, in case the namespace was never made
    RunProgram({ip_, "netns", "del", ns_});
    RunProgram({ip_, "link", "del", outer_});
  }
  VethToNamespace(const VethToNamespace&) = delete;
  VethToNamespace& operator=(const VethToNamespace&) = delete;

  const std::string& error() const { return error_; }  // empty: made
  const std::string& ns() const { return ns_; }
  const std::string& outer() const { return outer_; }  // the end in this namespace
  const std::string& outer_address() const { return outer_address_; }
  const std::string& inner_address() const { return inner_address_; }

 private:
  std::string ip_, ns_, outer_, inner_, outer_address_, inner_address_, error_;
};

// The receive paths from TCP of a process: their device figures summed, and whether every one of them
// has its DMA measured.
struct TcpReceives {
  uint64_t bytes = 0, nic_rx_bytes = 0, virtual_rx_bytes = 0, dma_bytes = 0;
  bool all_measured = true;
  std::string details;
};

TcpReceives TcpReceivesOf(const json& process) {
  TcpReceives r;
  for (const json& p : process.at("paths")) {
    const std::string method = p.at("method");
    const bool receive = method == "read" || method == "readv" || method == "recvfrom" || method == "recvmsg";
    if (!receive || p.at("source").at("kind") != "tcp" || p.at("bytes").get<uint64_t>() == 0)
      continue;
    r.bytes += p.at("bytes").get<uint64_t>();
    r.nic_rx_bytes += p.at("device").at("nic_rx_bytes").get<uint64_t>();
    r.virtual_rx_bytes += p.at("device").at("virtual_rx_bytes").get<uint64_t>();
    r.dma_bytes += p.at("copies").at("dma").at("bytes").get<uint64_t>();
    r.all_measured = r.all_measured && p.at("copies").at("dma").at("basis") == "measured";
    r.details += p.at("device_detail").get<std::string>() + "\n";
  }
  return r;
}

TEST(DeviceReceive, BytesFromAVethHaveNoNicDma) {
  REQUIRE_ROOT();
  const std::string ip = FindProgram("ip");
  if (ip.empty())
    GTEST_SKIP() << "no ip (iproute2) in PATH: cannot make a network namespace and a veth pair";
  const VethToNamespace net(ip);
  ASSERT_EQ(net.error(), "") << "setting up the veth pair failed";
  constexpr uint64_t kPayload = 16ull << 20;
  const std::string port = std::to_string(20000 + getpid() % 20000);
  // the sender in the other namespace, untraced; it retries until the traced receiver listens
  const std::string sender_err = TempPath("net_peer_send.err");
  Background sender({ip, "netns", "exec", net.ns(), NET_PEER_BIN, "send", net.outer_address(), port,
                     std::to_string(kPayload)},
                    sender_err);
  const Traced t = RunTraced({"--", NET_PEER_BIN, "receive", port, std::to_string(kPayload)});
  const int sender_exit = sender.Wait(30);
  std::ifstream err_in(sender_err);
  const std::string sender_stderr((std::istreambuf_iterator<char>(err_in)), std::istreambuf_iterator<char>());
  unlink(sender_err.c_str());
  ASSERT_EQ(t.run.exit_code, 0) << "the receiver did not get " << kPayload << " bytes: " << t.run.out
                                << t.run.err << "; sender exit " << sender_exit << ": " << sender_stderr;
  EXPECT_EQ(sender_exit, 0) << sender_stderr;
  EXPECT_TRUE(t.report.at("capabilities").at("nic_rx").at("available").get<bool>());

  const json* receiver = FindProcess(t.report, "net_peer");
  ASSERT_NE(receiver, nullptr) << t.report.dump(1);
  const TcpReceives rx = TcpReceivesOf(*receiver);
  EXPECT_EQ(rx.bytes, kPayload);
  // 10.231.N.1 is no loopback address: the model would have said NIC; the device the skbs arrived on
  // says veth, no DMA, measured
  EXPECT_EQ(rx.nic_rx_bytes, 0u);
  EXPECT_GE(rx.virtual_rx_bytes, kPayload);
  EXPECT_EQ(rx.dma_bytes, 0u);
  EXPECT_TRUE(rx.all_measured) << rx.details;
  EXPECT_NE(rx.details.find("arrived on a virtual device / loopback: no DMA"), std::string::npos)
      << rx.details;
  EXPECT_EQ(receiver->at("device").at("nic_rx_bytes").get<uint64_t>(), 0u);
  EXPECT_GE(receiver->at("device").at("virtual_rx_bytes").get<uint64_t>(), kPayload);
  EXPECT_EQ(receiver->at("device").at("unclassified_rx_bytes").get<uint64_t>(), 0u);
}

// Sets one of a device's offloads (an ethtool_value command: ETHTOOL_SSG, ETHTOOL_STXCSUM... what
// `ethtool -K DEV sg off` does), or with `get` (ETHTOOL_GSG...) reads it into *value; "" or why not.
std::string Offload(const std::string& device, uint32_t cmd, uint32_t* value) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ethtool_value request_value{};
  request_value.cmd = cmd;
  request_value.data = *value;
  ifreq request{};
  std::strncpy(request.ifr_name, device.c_str(), IFNAMSIZ - 1);
  request.ifr_data = reinterpret_cast<char*>(&request_value);
  const bool done = fd >= 0 && ioctl(fd, SIOCETHTOOL, &request) == 0;
  const std::string why = done ? "" : std::strerror(errno);
  if (fd >= 0)
    close(fd);
  *value = request_value.data;
  return why;
}

// 4 MiB sendfile()d by net_peer through a veth pair into a namespace, with one offload of the outer end
// turned off: the sending process's report. The receiver, in the other namespace, is not traced.
json SendfileThroughAVethWithout(uint32_t offload_off) {
  const std::string ip = FindProgram("ip");
  const VethToNamespace net(ip);
  EXPECT_EQ(net.error(), "") << "setting up the veth pair failed";
  uint32_t off = 0;
  EXPECT_EQ(Offload(net.outer(), offload_off, &off), "") << "cannot turn the offload off on " << net.outer();
  if (offload_off == ETHTOOL_STXCSUM) {
    // the kernel keeps scatter-gather without checksum offload: the flag must come from the checksum
    uint32_t sg = 0;
    EXPECT_EQ(Offload(net.outer(), ETHTOOL_GSG, &sg), "");
    EXPECT_EQ(sg, 1u) << "scatter-gather went off with checksum offload on " << net.outer();
  }
  const std::string source = TempPath("veth-source");
  EXPECT_EQ(RunProgram({WorkloadBin(), "prepare", "--file", source, "--bytes", "4M"}).exit_code, 0);
  const std::string port = std::to_string(20000 + (getpid() + 7) % 20000);
  // the traced sender retries until the receiver listens
  const std::string receiver_err = TempPath("net_peer_receive.err");
  Background receiver(
      {ip, "netns", "exec", net.ns(), NET_PEER_BIN, "receive", port, std::to_string(4u << 20)}, receiver_err);
  const Traced t = RunTraced({"--", NET_PEER_BIN, "sendfile", net.inner_address(), port, source});
  const int receiver_exit = receiver.Wait(30);
  unlink(receiver_err.c_str());
  unlink(source.c_str());
  EXPECT_EQ(t.run.exit_code, 0) << t.run.out << t.run.err;
  EXPECT_EQ(receiver_exit, 0) << "the receiver did not get 4 MiB";
  const json* sender = FindProcess(t.report, "net_peer");
  return sender ? *sender : json::object();
}

// The socket's route goes through a device that cannot send from pages as they are: the kernel copied them.
void ExpectSendfileCopied(const json& sender) {
  ASSERT_TRUE(sender.contains("paths")) << "no net_peer process traced";
  uint64_t sent = 0;
  for (const json& p : sender.at("paths")) {
    if (p.at("method") != "sendfile")
      continue;
    sent += p.at("bytes").get<uint64_t>();
    EXPECT_NE(p.at("flags").dump().find("sink_no_sg"), std::string::npos) << p.dump();
    EXPECT_EQ(p.at("copies").at("cpu").at("per_byte"), 1) << p.dump();
  }
  EXPECT_EQ(sent, 4u << 20);
  ASSERT_EQ(sender.at("flows").size(), 1u) << sender.at("flows").dump(1);
  const json& flow = sender.at("flows")[0];
  EXPECT_EQ(flow.at("method"), "sendfile");
  EXPECT_EQ(flow.at("zero_copy").at("achieved"), "copied") << flow.dump();
  EXPECT_EQ(flow.at("zero_copy").at("reason_code"), "no_scatter_gather");
}

TEST(DeviceSend, SendfileThroughADeviceWithoutScatterGatherIsACopy) {
  REQUIRE_ROOT();
  if (FindProgram("ip").empty())
    GTEST_SKIP() << "no ip (iproute2) in PATH: cannot make a network namespace and a veth pair";
  ExpectSendfileCopied(SendfileThroughAVethWithout(ETHTOOL_SSG));
}

TEST(DeviceSend, SendfileThroughADeviceWithoutChecksumOffloadIsACopy) {
  REQUIRE_ROOT();
  if (FindProgram("ip").empty())
    GTEST_SKIP() << "no ip (iproute2) in PATH: cannot make a network namespace and a veth pair";
  ExpectSendfileCopied(SendfileThroughAVethWithout(ETHTOOL_STXCSUM));
}

// A file of Debian 12's release that the mirror keeps as long as bookworm is a current release (a pool file
// of a fixed version never changes), a few MB: enough frames that a miscount would show.
constexpr const char* kMirrorFile =
    "http://deb.debian.org/debian/pool/main/c/cmake/cmake-data_3.25.1-1_all.deb";
constexpr uint64_t kMirrorFileBytes = 2026484;

TEST(DeviceReceive, BytesFromTheNicAreMeasured) {
  REQUIRE_ROOT();
  const std::string curl = FindProgram("curl");
  if (curl.empty())
    GTEST_SKIP() << "no curl in PATH: cannot download from the mirror";
  // the only network this machine reaches is Debian's mirror, over eth0
  const RunResult probe = RunProgram(
      {curl, "-sS", "-o", "/dev/null", "-I", "--max-time", "15", "-w", "%{http_code}", kMirrorFile},
      {std::nullopt, 30});
  if (probe.exit_code != 0 || probe.out != "200")
    GTEST_SKIP() << "the mirror is unreachable or lost the file (" << kMirrorFile << ": exit "
                 << probe.exit_code << ", HTTP " << probe.out << ", " << probe.err << ")";
  const Traced t = RunTraced(
      {"--", curl, "-sS", "-o", "/dev/null", "--max-time", "90", "-w", "%{size_download}", kMirrorFile});
  ASSERT_EQ(t.run.exit_code, 0) << t.run.err;
  ASSERT_EQ(t.run.out, std::to_string(kMirrorFileBytes)) << "curl downloaded another size: " << t.run.err;
  EXPECT_TRUE(t.report.at("capabilities").at("nic_rx").at("available").get<bool>());

  const json* downloader = FindProcess(t.report, "curl");
  ASSERT_NE(downloader, nullptr) << t.report.dump(1);
  const TcpReceives rx = TcpReceivesOf(*downloader);
  // the body and the HTTP headers, each byte copied from an skb that eth0 (virtio-net: a bus device)
  // DMAed into memory
  EXPECT_GE(rx.nic_rx_bytes, kMirrorFileBytes);
  EXPECT_EQ(rx.nic_rx_bytes, rx.bytes) << "every byte received from TCP arrived on the NIC";
  EXPECT_EQ(rx.virtual_rx_bytes, 0u);
  EXPECT_EQ(rx.dma_bytes, rx.nic_rx_bytes);
  EXPECT_TRUE(rx.all_measured) << rx.details;
  EXPECT_NE(rx.details.find("measured: the skbs arrived on a NIC"), std::string::npos) << rx.details;
  EXPECT_GE(downloader->at("device").at("nic_rx_bytes").get<uint64_t>(), kMirrorFileBytes);
  EXPECT_EQ(downloader->at("device").at("unclassified_rx_bytes").get<uint64_t>(), 0u);
}

}  // namespace
}  // namespace zctrace::testing
