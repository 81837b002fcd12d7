// The network devices of a network namespace, as the receive side classifies them: a NIC DMAs the
// frames it receives into memory, a virtual device (lo, veth, a bridge, tun, ifb) has the CPU move them.
// Read from sysfs (plain files), so that it is testable without root on a made-up tree.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace zctrace {

struct NetDevice {
  std::string name;
  uint32_t ifindex = 0;
  // a bus device (PCI, virtio, USB) stands behind it: /sys/class/net/NAME/device exists, the sysfs side
  // of the kernel's net_device.dev.parent that the transmit probe tests
  bool nic = false;
};

// Every device under `sys_class_net` (normally /sys/class/net, which shows the reading process's own
// network namespace) whose ifindex can be read, sorted by ifindex.
std::vector<NetDevice> ReadNetDevices(const std::string& sys_class_net = "/sys/class/net");

// "NIC eth0; virtual lo, veth1": the classification in words, for the capability's detail.
std::string DescribeNetDevices(const std::vector<NetDevice>& devices);

}  // namespace zctrace
