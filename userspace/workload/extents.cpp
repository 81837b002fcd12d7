#include "extents.h"

#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "errors.h"
#include "fd_util.h"

namespace workload {

std::optional<uint64_t> shared_extent_bytes(int fd) {
  constexpr unsigned kExtents = 128;
  std::vector<char> buffer(sizeof(struct fiemap) + kExtents * sizeof(struct fiemap_extent));
  auto* map = reinterpret_cast<struct fiemap*>(buffer.data());
  uint64_t shared = 0, start = 0;
  for (;;) {
    std::memset(buffer.data(), 0, buffer.size());
    map->fm_start = start;
    map->fm_length = FIEMAP_MAX_OFFSET - start;
    map->fm_extent_count = kExtents;
    if (ioctl(fd, FS_IOC_FIEMAP, map) != 0)
      return std::nullopt;
    bool last = map->fm_mapped_extents == 0;
    for (unsigned i = 0; i < map->fm_mapped_extents; ++i) {
      const struct fiemap_extent& e = map->fm_extents[i];
      if (e.fe_flags & FIEMAP_EXTENT_SHARED)
        shared += e.fe_length;
      start = e.fe_logical + e.fe_length;
      last = last || (e.fe_flags & FIEMAP_EXTENT_LAST);
    }
    if (last)
      return shared;
  }
}

void extents_command(const std::string& path) {
  const Fd fd = open_or_throw(path.c_str(), O_RDONLY, "file");
  struct stat st {};
  if (fstat(fd.get(), &st) != 0)
    throw RunError("stat " + path + ": " + std::strerror(errno));
  const std::optional<uint64_t> shared = shared_extent_bytes(fd.get());
  const nlohmann::json out = {{"bytes", static_cast<uint64_t>(st.st_size)},
                              {"shared_bytes", shared ? nlohmann::json(*shared) : nlohmann::json(nullptr)}};
  std::printf("%s\n", out.dump().c_str());
}

}  // namespace workload
