// Test helper: many short-lived children or many threads, each writing a known amount to /dev/null.
//   spawner children N WRITES SIZE   — N forked children, each WRITES writes of SIZE bytes, then _exit
//   spawner together N WRITES SIZE   — N forked children alive at once: each waits until all are forked,
//                                        then writes the same and exits
//   spawner fork-loop N WRITES SIZE  — N children one after another (each waited for before the next is
//                                        forked), each WRITES writes of SIZE bytes, then _exit
//   spawner threads N WRITES SIZE    — N threads of this process, the same each
//   spawner lingering N WRITES SIZE GO — once the file GO exists, N threads write the same, make GO.done
//                                        when all have, and stay alive until killed
//   spawner exec-thread 1 WRITES SIZE — a second thread writes the same, then execs `spawner threads 1
//                                        WRITES SIZE` (the kernel gives it the leader's id)
//   spawner idle-threads N CALLS 0     — N threads that move no data: CALLS getppid() syscalls each
//   spawner fd-switch A B CHUNKS SIZE  — on one fd number, files A then B: CHUNKS read+write loops of
//                                        SIZE bytes to /dev/null from each, then CHUNKS sendfiles of SIZE
//                                        from each (dup2 puts B on A's fd between them)
//   spawner remap FILE PAGES           — maps PAGES pages of FILE and reads each, unmaps them, maps as many
//                                        anonymous pages at the same address and writes each
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

void WriteNull(int writes, size_t size) {
  const int fd = open("/dev/null", O_WRONLY);
  std::vector<char> buf(size, 'x');
  for (int i = 0; i < writes; ++i) {
    if (write(fd, buf.data(), size) != static_cast<ssize_t>(size))
      _exit(1);
  }
  close(fd);
}

}  // namespace

// Repeats on one fd number whose file changes under it: what a thread remembers of its last call on an fd
// must not outlive the file.
int FdSwitch(const char* a, const char* b, int chunks, size_t size) {
  const int fd = open(a, O_RDONLY), other = open(b, O_RDONLY), null = open("/dev/null", O_WRONLY);
  if (fd < 0 || other < 0 || null < 0)
    return 1;
  std::vector<char> buf(size);
  for (int file = 0; file < 2; ++file) {
    if (file == 1 && dup2(other, fd) != fd)  // B now on A's fd number, from offset 0
      return 1;
    for (int i = 0; i < chunks; ++i) {
      if (read(fd, buf.data(), size) != static_cast<ssize_t>(size) ||
          write(null, buf.data(), size) != static_cast<ssize_t>(size))
        return 1;
    }
  }
  const int fd2 = open(a, O_RDONLY);
  if (fd2 < 0)
    return 1;
  for (int file = 0; file < 2; ++file) {
    if (file == 1 && dup2(other, fd2) != fd2)
      return 1;
    off_t offset = 0;
    for (int i = 0; i < chunks; ++i) {
      if (sendfile(null, fd2, &offset, size) != static_cast<ssize_t>(size))
        return 1;
    }
  }
  return 0;
}

// Page faults in a file mapping, then in anonymous memory at the same addresses: what a thread remembers
// of the VMAs it faulted in must not outlive the mapping.
int Remap(const char* path, size_t pages) {
  const size_t len = pages * 4096;
  const int fd = open(path, O_RDONLY);
  if (fd < 0)
    return 1;
  void* file = mmap(nullptr, len, PROT_READ, MAP_PRIVATE, fd, 0);
  if (file == MAP_FAILED)
    return 1;
  volatile unsigned long sum = 0;
  for (size_t i = 0; i < len; i += 4096)
    sum += static_cast<volatile unsigned char*>(file)[i];
  if (munmap(file, len) != 0)
    return 1;
  void* anon =
      mmap(file, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (anon != file)
    return 1;
  madvise(anon, len, MADV_NOHUGEPAGE);  // one fault a page
  for (size_t i = 0; i < len; i += 4096)
    static_cast<volatile unsigned char*>(anon)[i] = 1;
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "remap") == 0)
    return Remap(argv[2], static_cast<size_t>(std::atol(argv[3])));
  if (argc == 6 && std::strcmp(argv[1], "fd-switch") == 0)
    return FdSwitch(argv[2], argv[3], std::atoi(argv[4]), static_cast<size_t>(std::atol(argv[5])));
  if (argc != 5 && !(argc == 6 && std::strcmp(argv[1], "lingering") == 0))
    return 2;
  const int n = std::atoi(argv[2]), writes = std::atoi(argv[3]);
  const size_t size = static_cast<size_t>(std::atol(argv[4]));
  if (std::strcmp(argv[1], "children") == 0) {
    for (int i = 0; i < n; ++i) {
      const pid_t pid = fork();
      if (pid == 0) {
        WriteNull(writes, size);
        _exit(0);
      }
      if (pid < 0)
        return 1;
    }
    int status = 0, failed = 0;
    while (wait(&status) > 0)
      failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return failed ? 1 : 0;
  }
  if (std::strcmp(argv[1], "together") == 0) {
    int gate[2];
    if (pipe(gate) != 0)
      return 1;
    for (int i = 0; i < n; ++i) {
      const pid_t pid = fork();
      if (pid == 0) {
        close(gate[1]);
        char byte;
        while (read(gate[0], &byte, 1) > 0) {
        }
        WriteNull(writes, size);
        _exit(0);
      }
      if (pid < 0)
        return 1;
    }
    close(gate[1]);  // every child is forked: their reads end
    int status = 0, failed = 0;
    while (wait(&status) > 0)
      failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return failed ? 1 : 0;
  }
  if (std::strcmp(argv[1], "fork-loop") == 0) {
    for (int i = 0; i < n; ++i) {
      const pid_t pid = fork();
      if (pid == 0) {
        WriteNull(writes, size);
        _exit(0);
      }
      int status = 0;
      if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return 1;
    }
    return 0;
  }
  if (std::strcmp(argv[1], "threads") == 0) {
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
      threads.emplace_back(WriteNull, writes, size);
    for (auto& t : threads)
      t.join();
    return 0;
  }
  if (std::strcmp(argv[1], "idle-threads") == 0) {
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([=] {
        for (int call = 0; call < writes; ++call)
          syscall(SYS_getppid);  // not the libc wrapper: one real syscall each
      });
    }
    for (auto& t : threads)
      t.join();
    return 0;
  }
  if (std::strcmp(argv[1], "exec-thread") == 0) {
    std::thread writer([=] {
      WriteNull(writes, size);
      execl("/proc/self/exe", "spawner", "threads", "1", argv[3], argv[4], nullptr);
      _exit(127);
    });
    writer.join();  // returns only if the exec failed in a way that did not _exit
    return 1;
  }
  if (std::strcmp(argv[1], "lingering") == 0) {
    // the test creates GO once a tracer has taken this process on (-p); then threads that are still
    // alive when it reads
    while (access(argv[5], F_OK) != 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    // GO.done once every thread has written: the test ends tracing then, the threads still alive
    const std::string done = std::string(argv[5]) + ".done";
    std::atomic<int> finished{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([=, &finished] {
        WriteNull(writes, size);
        if (++finished == n)
          close(open(done.c_str(), O_WRONLY | O_CREAT, 0600));
        pause();
      });
    }
    for (auto& t : threads)
      t.join();
    return 0;
  }
  return 2;
}
