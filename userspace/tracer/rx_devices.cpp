// The receive side's device table (the rx_devices map): the devices of zctrace's network namespace, read
// from sysfs, written in by ifindex as NIC or virtual, and kept current while tracing.
#include "tracer.h"

#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "libbpf_log.h"
#include "map_reader.h"
#include "zctrace.skel.h"

namespace zctrace {

std::vector<NetDevice> Tracer::RefreshRxDevices(std::string* error) const {
  if (netns_ == 0)
    return {};
  std::vector<NetDevice> devices = ReadNetDevices();
  // Devices deleted since the last refresh leave the table, so that a long trace on a host whose
  // containers come and go (a veth each) does not fill it; an empty listing (sysfs unreadable for a
  // moment) deletes nothing.
  std::vector<zc_rx_device_key> gone;
  ForEachKey<zc_rx_device_key>(skel_->maps.rx_devices, [&](const zc_rx_device_key& key) {
    const bool listed = std::any_of(devices.begin(), devices.end(),
                                    [&](const NetDevice& d) { return d.ifindex == key.ifindex; });
    if (key.netns == netns_ && !listed && !devices.empty())
      gone.push_back(key);
  });
  bool changed = !gone.empty();
  for (const zc_rx_device_key& key : gone)
    bpf_map__delete_elem(skel_->maps.rx_devices, &key, sizeof(key), 0);
  for (const NetDevice& d : devices) {
    const zc_rx_device_key key{netns_, d.ifindex};
    const __u32 device_class = d.nic ? ZC_RX_NIC : ZC_RX_VIRTUAL;
    __u32 known = 0;
    if (bpf_map__lookup_elem(skel_->maps.rx_devices, &key, sizeof(key), &known, sizeof(known), 0) == 0 &&
        known == device_class)
      continue;
    changed = true;
    if (bpf_map__update_elem(skel_->maps.rx_devices, &key, sizeof(key), &device_class, sizeof(device_class),
                             BPF_ANY) != 0 &&
        error && error->empty()) {
      *error = "cannot add " + d.name + " to the device table: " + ErrnoText(errno);
    }
  }
  // Threads remember the class of the device their last skb came from: after the table changed (the
  // map updates above are done, each a syscall), a new generation makes them look again.
  if (changed)
    __atomic_fetch_add(&skel_->bss->rx_devices_generation, 1, __ATOMIC_SEQ_CST);
  return devices;
}

}  // namespace zctrace
