// Test helper: maps a file, truncates it, and touches the mapping — the seed's mmap hazard. With
// --handler it survives through a SIGBUS handler; with --lease it takes a file lease first.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace {

void OnSigbus(int) {
  _exit(42);
}  // survived: the handler ran

}  // namespace

int main(int argc, char** argv) {
  bool handler = false, lease = false;
  const char* path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--handler") == 0) {
      handler = true;
    } else if (std::strcmp(argv[i], "--lease") == 0) {
      lease = true;
    } else {
      path = argv[i];
    }
  }
  if (!path) {
    std::fprintf(stderr, "usage: sigbus_victim [--handler] [--lease] FILE\n");
    return 2;
  }
  const int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ftruncate(fd, 8192) != 0)
    return 1;
  if (lease && fcntl(fd, F_SETLEASE, F_WRLCK) != 0)
    return 1;
  if (handler) {
    struct sigaction sa {};
    sa.sa_handler = OnSigbus;
    sigaction(SIGBUS, &sa, nullptr);
  }
  auto* map = static_cast<volatile char*>(mmap(nullptr, 8192, PROT_READ, MAP_SHARED, fd, 0));
  if (map == MAP_FAILED)
    return 1;
  if (lease)
    fcntl(fd, F_SETLEASE, F_UNLCK);  // the truncation below would break our own lease
  if (ftruncate(fd, 0) != 0)
    return 1;        // as another process would
  return map[4096];  // beyond the end of the file now: SIGBUS
}
