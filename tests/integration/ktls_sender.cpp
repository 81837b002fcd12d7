// Sends a file over loopback TCP with the kernel's TLS (kTLS, software): a plain write first, as a
// handshake would, then the "tls" ULP and a TX key, then the file by sendfile. A child reads the
// ciphertext and discards it.
//
//   ktls_sender FILE     prints {"bytes": N, "handshake_bytes": H} and exits 0;
//                        exits 3 when the kernel has no kTLS (the reason on stderr)
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

namespace {

constexpr char kHandshake[] = "hello";

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "ktls_sender: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: ktls_sender FILE\n");
    return 2;
  }
  const int file = open(argv[1], O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (file < 0 || fstat(file, &st) != 0)
    Fail("open");

  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener, 1) != 0 || getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    Fail("listen");
  const int sender = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sender < 0 || connect(sender, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    Fail("connect");
  const int receiver = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (receiver < 0)
    Fail("accept");

  const pid_t reader = fork();
  if (reader < 0)
    Fail("fork");
  if (reader == 0) {
    close(sender);
    static char sink[1 << 16];
    while (read(receiver, sink, sizeof(sink)) > 0) {
    }
    _exit(0);
  }
  close(receiver);

  // the handshake, in the clear, before the socket has TLS
  if (write(sender, kHandshake, sizeof(kHandshake) - 1) != sizeof(kHandshake) - 1)
    Fail("write");
  if (setsockopt(sender, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) != 0) {
    std::fprintf(stderr, "ktls_sender: no kTLS: setsockopt(TCP_ULP, \"tls\"): %s\n", std::strerror(errno));
    return 3;
  }
  tls12_crypto_info_aes_gcm_128 crypto{};
  crypto.info.version = TLS_1_2_VERSION;
  crypto.info.cipher_type = TLS_CIPHER_AES_GCM_128;
  std::memset(crypto.key, 0x5a, sizeof(crypto.key));  // a test key: nobody decrypts what is sent
  if (setsockopt(sender, SOL_TLS, TLS_TX, &crypto, sizeof(crypto)) != 0) {
    std::fprintf(stderr, "ktls_sender: no kTLS: setsockopt(TLS_TX, AES-GCM-128): %s\n", std::strerror(errno));
    return 3;
  }
  off_t offset = 0;
  while (offset < st.st_size) {
    if (sendfile(sender, file, &offset, static_cast<size_t>(st.st_size - offset)) <= 0)
      Fail("sendfile");
  }
  close(sender);
  int status = 0;
  waitpid(reader, &status, 0);
  std::printf("{\"bytes\": %lld, \"handshake_bytes\": %zu}\n", static_cast<long long>(offset),
              sizeof(kHandshake) - 1);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
