#include "net_devices.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

namespace zctrace {

std::vector<NetDevice> ReadNetDevices(const std::string& sys_class_net) {
  std::vector<NetDevice> devices;
  DIR* dir = opendir(sys_class_net.c_str());
  if (!dir)
    return devices;
  while (const dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..")
      continue;
    const std::string base = sys_class_net + "/" + name;
    std::ifstream ifindex_file(base + "/ifindex");
    NetDevice device;
    device.name = name;
    if (!(ifindex_file >> device.ifindex) || device.ifindex == 0)
      continue;  // not a netdev directory (e.g. bonding_masters), or gone meanwhile
    struct stat link {};
    device.nic = lstat((base + "/device").c_str(), &link) == 0;
    devices.push_back(device);
  }
  closedir(dir);
  std::sort(devices.begin(), devices.end(),
            [](const NetDevice& a, const NetDevice& b) { return a.ifindex < b.ifindex; });
  return devices;
}

std::string DescribeNetDevices(const std::vector<NetDevice>& devices) {
  std::string nics, virtuals;
  for (const NetDevice& d : devices) {
    std::string& list = d.nic ? nics : virtuals;
    list += (list.empty() ? "" : ", ") + d.name;
  }
  return "NIC " + (nics.empty() ? std::string("none") : nics) + "; virtual " +
         (virtuals.empty() ? std::string("none") : virtuals);
}

}  // namespace zctrace
