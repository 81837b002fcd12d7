// What a file's filesystem says of its extents: the ground truth for reflinks (copy_file_range, FICLONE).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace workload {

// The bytes of the file's extents that it shares with another file (FIEMAP_EXTENT_SHARED), read without
// syncing first (a copy's delayed allocation is not shared); empty where the filesystem cannot say (no
// FIEMAP: tmpfs).
std::optional<uint64_t> shared_extent_bytes(int fd);

// `extents`: prints {"bytes": the file's size, "shared_bytes": shared_extent_bytes or null} as JSON.
void extents_command(const std::string& path);

}  // namespace workload
