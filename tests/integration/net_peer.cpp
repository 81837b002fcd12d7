// Test helper: one TCP transfer of a known size, for receive tests across network namespaces (a veth pair).
//   net_peer receive PORT BYTES       — listens on PORT (every address), accepts one connection and read()s
//   it
//                                       until EOF; exits 0 iff it received exactly BYTES
//   net_peer send ADDRESS PORT BYTES  — connects, retrying for up to 30 s (the receiver starts under zctrace,
//                                       which loads its programs first), writes BYTES, closes
//   net_peer sendfile ADDRESS PORT FILE — the same, sending FILE by sendfile
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr size_t kChunk = 64 * 1024;

int Receive(uint16_t port, unsigned long long expected) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  const int on = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = htons(port);
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(listener, 1) != 0) {
    std::perror("net_peer receive: bind/listen");
    return 2;
  }
  const int conn = accept(listener, nullptr, nullptr);
  if (conn < 0) {
    std::perror("net_peer receive: accept");
    return 2;
  }
  std::vector<char> buf(kChunk);
  unsigned long long received = 0;
  for (;;) {
    const ssize_t n = read(conn, buf.data(), buf.size());
    if (n < 0) {
      std::perror("net_peer receive: read");
      return 2;
    }
    if (n == 0)
      break;
    received += static_cast<unsigned long long>(n);
  }
  std::printf("received %llu\n", received);
  return received == expected ? 0 : 1;
}

// A connected socket to ADDRESS:PORT, retrying for up to 30 s; -1 (said) if none.
int ConnectTo(const char* address, uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, address, &addr.sin_addr) != 1) {
    std::fprintf(stderr, "net_peer: bad address %s\n", address);
    return -1;
  }
  int fd = -1;
  for (int attempt = 0; attempt < 300; ++attempt) {  // 300 × 100 ms
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0)
      break;
    close(fd);
    fd = -1;
    usleep(100 * 1000);
  }
  if (fd < 0)
    std::perror("net_peer: connect");
  return fd;
}

int Send(const char* address, uint16_t port, unsigned long long bytes) {
  const int fd = ConnectTo(address, port);
  if (fd < 0)
    return 2;
  const std::vector<char> buf(kChunk, 'r');
  while (bytes > 0) {
    const size_t want = bytes < kChunk ? static_cast<size_t>(bytes) : kChunk;
    const ssize_t n = write(fd, buf.data(), want);
    if (n <= 0) {
      std::perror("net_peer send: write");
      return 2;
    }
    bytes -= static_cast<unsigned long long>(n);
  }
  close(fd);
  return 0;
}

// The whole of FILE by sendfile, in chunks of at most 64 KiB.
int SendFile(const char* address, uint16_t port, const char* path) {
  const int file = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (file < 0 || fstat(file, &st) != 0) {
    std::perror("net_peer sendfile: open");
    return 2;
  }
  const int fd = ConnectTo(address, port);
  if (fd < 0)
    return 2;
  off_t offset = 0;
  while (offset < st.st_size) {
    const size_t want = static_cast<size_t>(std::min<off_t>(st.st_size - offset, kChunk));
    if (sendfile(fd, file, &offset, want) <= 0) {
      std::perror("net_peer sendfile: sendfile");
      return 2;
    }
  }
  close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "receive" && argc == 4)
    return Receive(static_cast<uint16_t>(std::atoi(argv[2])), std::strtoull(argv[3], nullptr, 10));
  if (mode == "send" && argc == 5)
    return Send(argv[2], static_cast<uint16_t>(std::atoi(argv[3])), std::strtoull(argv[4], nullptr, 10));
  if (mode == "sendfile" && argc == 5)
    return SendFile(argv[2], static_cast<uint16_t>(std::atoi(argv[3])), argv[4]);
  std::fprintf(
      stderr,
      "usage: net_peer receive PORT BYTES | net_peer send ADDRESS PORT BYTES | net_peer sendfile ADDRESS "
      "PORT FILE\n");
  return 2;
}
