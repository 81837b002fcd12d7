// `prepare` runs outside tracing, so it uses plain unrecorded I/O.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "commands.h"
#include "errors.h"
#include "fd_util.h"

namespace workload {
namespace {

// xorshift64: cheap, deterministic, and not compressible or all-zero, so no
// filesystem can store the file sparsely or dedupe it.
void fill_random(std::vector<uint64_t>& block, uint64_t& state) {
  for (uint64_t& word : block) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    word = state;
  }
}

}  // namespace

void prepare_command(const std::string& path, uint64_t bytes) {
  if (bytes == 0)
    throw UsageError("--bytes must be greater than 0");
  Fd fd = open_or_throw(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, "source file");
  std::vector<uint64_t> block(128 * 1024);  // 1 MiB
  uint64_t state = 0x9E3779B97F4A7C15ull;
  for (uint64_t done = 0; done < bytes;) {
    fill_random(block, state);
    uint64_t want = bytes - done;
    size_t len = want < block.size() * 8 ? static_cast<size_t>(want) : block.size() * 8;
    ssize_t n = write(fd.get(), block.data(), len);
    if (n <= 0)
      throw_errno("write " + path);
    done += static_cast<uint64_t>(n);
  }
  if (fsync(fd.get()) != 0)
    throw_errno("fsync " + path);
  printf("prepared %s: %llu bytes\n", path.c_str(), static_cast<unsigned long long>(bytes));
}

}  // namespace workload
