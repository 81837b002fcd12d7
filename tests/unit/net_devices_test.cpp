// The receive side's device classification, on a made-up /sys/class/net.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "net_devices.h"

namespace zctrace {
namespace {

class NetDevices : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/zctrace-net-devices-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
  }
  void TearDown() override { ASSERT_EQ(system(("rm -rf " + root_).c_str()), 0); }

  // A netdev directory as sysfs shows it; `bus` adds the device link a NIC has.
  void Add(const std::string& name, const std::string& ifindex, bool bus) {
    const std::string dir = root_ + "/" + name;
    ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
    std::ofstream(dir + "/ifindex") << ifindex << "\n";
    if (bus) {
      ASSERT_EQ(symlink("../../../0000:00:03.0/virtio2", (dir + "/device").c_str()), 0);
    }
  }

  std::string root_;
};

TEST_F(NetDevices, ANicIsADeviceWithABusDeviceBehindIt) {
  Add("lo", "1", false);
  Add("eth0", "4", true);  // virtio-net on PCI
  Add("veth-a", "12", false);
  Add("br0", "7", false);
  const std::vector<NetDevice> d = ReadNetDevices(root_);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].name, "lo");  // sorted by ifindex
  EXPECT_EQ(d[0].ifindex, 1u);
  EXPECT_FALSE(d[0].nic);
  EXPECT_EQ(d[1].name, "eth0");
  EXPECT_TRUE(d[1].nic);
  EXPECT_EQ(d[2].name, "br0");
  EXPECT_FALSE(d[2].nic);
  EXPECT_EQ(d[3].ifindex, 12u);
  EXPECT_FALSE(d[3].nic);
  EXPECT_EQ(DescribeNetDevices(d), "NIC eth0; virtual lo, br0, veth-a");
}

TEST_F(NetDevices, EntriesWithoutAnIfindexAreNotDevices) {
  Add("eth0", "2", true);
  std::ofstream(root_ + "/bonding_masters") << "\n";  // a file the bonding driver adds there
  Add("broken", "not-a-number", false);
  const std::vector<NetDevice> d = ReadNetDevices(root_);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].name, "eth0");
}

TEST_F(NetDevices, NoDirectoryNoDevices) {
  EXPECT_TRUE(ReadNetDevices(root_ + "/missing").empty());
  EXPECT_EQ(DescribeNetDevices({}), "NIC none; virtual none");
}

}  // namespace
}  // namespace zctrace
