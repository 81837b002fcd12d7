// Test helper: one process that is a small-file HTTP server and its clients, turning over CONNECTIONS
// loopback TCP connections in turn for ROUNDS rounds, as an event loop serves many keep-alive clients: per
// request the client send()s an 80-byte request, the server recvfrom()s it into that connection's buffer,
// echoes it back with write() from the same buffer, writev()s a 200-byte header it made, and sendfile()s
// FILE's first 4096 bytes (every other round from a file it opens again for the request, as nginx does
// without open_file_cache); the client read()s the 4376 bytes. Then the server closes its first
// connection and writes 100 bytes to /dev/null on the same fd number.
//   round_robin CONNECTIONS ROUNDS FILE
// Prints "reads N" (the client's read calls) and "port P" (the server's) on stdout.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr size_t kRequest = 80, kHeader = 200, kBody = 4096, kNull = 100;

int Fail(const char* what) {
  std::perror(what);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: round_robin CONNECTIONS ROUNDS FILE\n");
    return 2;
  }
  const int connections = std::atoi(argv[1]), rounds = std::atoi(argv[2]);
  const char* path = argv[3];
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(listener, 1024) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return Fail("listen");
  std::vector<int> client(connections), server(connections);
  std::vector<std::vector<char>> buffers(connections, std::vector<char>(kRequest));
  for (int i = 0; i < connections; ++i) {
    client[i] = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(client[i], reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
      return Fail("connect");
    server[i] = accept(listener, nullptr, nullptr);
    if (server[i] < 0)
      return Fail("accept");
  }
  const int kept_open = open(path, O_RDONLY);
  if (kept_open < 0)
    return Fail("open");
  char request[kRequest], header[kHeader], response[8192];
  std::memset(request, 'q', sizeof(request));
  std::memset(header, 'h', sizeof(header));
  unsigned long reads = 0;
  for (int round = 0; round < rounds; ++round) {
    for (int i = 0; i < connections; ++i) {
      if (send(client[i], request, sizeof(request), 0) != static_cast<ssize_t>(sizeof(request)))
        return Fail("send");
      if (recvfrom(server[i], buffers[i].data(), kRequest, MSG_WAITALL, nullptr, nullptr) !=
          static_cast<ssize_t>(kRequest))
        return Fail("recvfrom");
      if (write(server[i], buffers[i].data(), kRequest) != static_cast<ssize_t>(kRequest))
        return Fail("write");
      iovec v{header, sizeof(header)};
      if (writev(server[i], &v, 1) != static_cast<ssize_t>(kHeader))
        return Fail("writev");
      const int file = round % 2 ? open(path, O_RDONLY) : kept_open;
      off_t offset = 0;
      if (file < 0 || sendfile(server[i], file, &offset, kBody) != static_cast<ssize_t>(kBody))
        return Fail("sendfile");
      if (file != kept_open)
        close(file);
      for (size_t got = 0; got < kRequest + kHeader + kBody; ++reads) {
        const ssize_t r = read(client[i], response, sizeof(response));
        if (r <= 0)
          return Fail("read");
        got += static_cast<size_t>(r);
      }
    }
  }
  // the fd number of a connection the loop knew, now another kind of file
  const int reused = server[0];
  close(reused);
  if (open("/dev/null", O_WRONLY) != reused)
    return Fail("reopen");
  if (write(reused, response, kNull) != static_cast<ssize_t>(kNull))
    return Fail("write /dev/null");
  std::printf("reads %lu\nport %d\n", reads, ntohs(addr.sin_port));
  return 0;
}
