// Test helper: a relay whose reads and writes run in different threads, as a server with a thread pool does
// (nginx's aio threads). A reader thread fills buffers from SOURCE and hands them over; the main thread
// writes them to OUT, every fourth one by writev behind a 16-byte tag it made itself. Before that it reads
// NOISE (a config file, say) and never writes it, and it writes a 100-byte header and a 64-byte trailer of
// its own. Ground truth: SOURCE's size from SOURCE to OUT; 100 + 64 + 16 per tagged chunk from memory.
// Prints "tagged N" (the number of tagged chunks) on stdout.
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace {

constexpr size_t kChunk = 32 * 1024;
constexpr size_t kBuffers = 4;

struct Filled {
  size_t buffer;
  size_t bytes;  // 0: the end of the source
};

bool WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    const ssize_t w = write(fd, data, n);
    if (w <= 0)
      return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: relay_threads SOURCE NOISE OUT\n");
    return 2;
  }
  const int source = open(argv[1], O_RDONLY);
  const int noise = open(argv[2], O_RDONLY);
  const int out = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (source < 0 || noise < 0 || out < 0) {
    std::perror("relay_threads: open");
    return 1;
  }
  std::array<char, 4096> config{};
  if (read(noise, config.data(), config.size()) < 0)
    return 1;
  std::array<char, 100> header{};
  std::memset(header.data(), 'H', header.size());
  if (!WriteAll(out, header.data(), header.size()))
    return 1;

  std::vector<std::vector<char>> buffers(kBuffers, std::vector<char>(kChunk));
  std::mutex mu;
  std::condition_variable changed;
  std::deque<Filled> filled;
  std::deque<size_t> free_buffers;
  for (size_t i = 0; i < kBuffers; ++i)
    free_buffers.push_back(i);
  bool failed = false;

  std::thread reader([&] {
    for (;;) {
      size_t b;
      {
        std::unique_lock<std::mutex> lock(mu);
        changed.wait(lock, [&] { return !free_buffers.empty(); });
        b = free_buffers.front();
        free_buffers.pop_front();
      }
      const ssize_t n = read(source, buffers[b].data(), kChunk);
      std::lock_guard<std::mutex> lock(mu);
      failed |= n < 0;
      filled.push_back({b, n > 0 ? static_cast<size_t>(n) : 0});
      changed.notify_all();
      if (n <= 0)
        return;
    }
  });

  std::array<char, 16> tag{};
  std::memset(tag.data(), 'T', tag.size());
  size_t chunks = 0, tagged = 0;
  for (;;) {
    Filled f;
    {
      std::unique_lock<std::mutex> lock(mu);
      changed.wait(lock, [&] { return !filled.empty(); });
      f = filled.front();
      filled.pop_front();
    }
    if (f.bytes == 0)
      break;
    bool ok;
    if (chunks++ % 4 == 3) {
      iovec iov[2] = {{tag.data(), tag.size()}, {buffers[f.buffer].data(), f.bytes}};
      ok = writev(out, iov, 2) == static_cast<ssize_t>(tag.size() + f.bytes);
      ++tagged;
    } else {
      ok = WriteAll(out, buffers[f.buffer].data(), f.bytes);
    }
    if (!ok)
      return 1;
    std::lock_guard<std::mutex> lock(mu);
    free_buffers.push_back(f.buffer);
    changed.notify_all();
  }
  reader.join();
  std::array<char, 64> trailer{};
  std::memset(trailer.data(), 'E', trailer.size());
  if (failed || !WriteAll(out, trailer.data(), trailer.size()))
    return 1;
  std::printf("tagged %zu\n", tagged);
  return 0;
}
