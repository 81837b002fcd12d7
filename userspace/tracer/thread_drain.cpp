// Threads count in their own records (zc_thread_counts): the task iterator dumps live threads' records,
// and exited threads' records are taken out of the kernel's dead_threads map into threads_, once each.
#include "tracer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "libbpf_log.h"
#include "map_reader.h"
#include "zctrace.skel.h"

namespace zctrace {

bool Tracer::DumpLiveThreads(std::vector<zc_thread_counts>* records, std::string* error) const {
  const int fd = bpf_iter_create(bpf_link__fd(thread_iter_));
  if (fd < 0) {
    *error = "reading live threads' counts failed (bpf_iter_create: " + ErrnoText(errno) + ")";
    return false;
  }
  std::vector<char> bytes;
  char buf[16384];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      *error = "reading live threads' counts failed: " + ErrnoText(errno);
      close(fd);
      return false;
    }
    if (n == 0)
      break;
    bytes.insert(bytes.end(), buf, buf + n);
  }
  close(fd);
  const size_t count = bytes.size() / sizeof(zc_thread_counts);
  records->resize(count);
  if (count)
    std::memcpy(records->data(), bytes.data(), count * sizeof(zc_thread_counts));
  return true;
}

void Tracer::DrainDeadThreads() const {
  std::vector<__u64> taken;
  ForEachKey<__u64>(skel_->maps.dead_threads, [&](const __u64& serial) {
    zc_thread_counts record{};
    if (bpf_map__lookup_elem(skel_->maps.dead_threads, &serial, sizeof(serial), &record, sizeof(record), 0) ==
        0) {
      threads_.Retire(record);
      taken.push_back(serial);
    }
  });
  for (const __u64& serial : taken)
    bpf_map__delete_elem(skel_->maps.dead_threads, &serial, sizeof(serial), 0);
}

}  // namespace zctrace
