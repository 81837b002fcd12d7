// msg-zerocopy: read() the source into a buffer, send(MSG_ZEROCOPY) it to the TCP
// sink, and collect the kernel's completion notifications from the socket's error
// queue with recvmsg(MSG_ERRQUEUE).
//
// Each successful zero-copy send is given the next notification id; the kernel
// reports completed ids as ranges [ee_info, ee_data]. The transfer is finished once
// every id has been confirmed. On loopback the kernel usually ends up copying and says
// so with SO_EE_CODE_ZEROCOPY_COPIED. The receiver only counts bytes, so the buffer is
// refilled without waiting for the completion of its previous contents.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
// clang-format off
#include <time.h>  // must come first: linux/errqueue.h uses struct timespec
#include <linux/errqueue.h>
// clang-format on

#include <cerrno>

#include "errors.h"
#include "transfer.h"

namespace workload {
namespace {

// How long to wait for outstanding notifications before calling it a failure.
constexpr int kCompletionTimeoutMs = 10000;

// Waits up to timeout_ms for the error queue to become readable, then reads one
// notification. Returns false if nothing arrived in time.
bool reap_one(Transfer& t, int timeout_ms) {
  struct pollfd pfd = {t.sink.fd, 0, 0};  // POLLERR is always reported
  if (poll(&pfd, 1, timeout_ms) <= 0 || !(pfd.revents & POLLERR))
    return false;

  char control[256];
  struct msghdr msg {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  if (t.io.recvmsg(t.sink, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
    if (errno == EAGAIN)
      return false;
    throw_errno("recvmsg(MSG_ERRQUEUE)");
  }
  t.kernel.zerocopy_notifications++;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    bool recverr = (c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
                   (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR);
    if (!recverr)
      continue;
    const auto* err = reinterpret_cast<const struct sock_extended_err*>(CMSG_DATA(c));
    if (err->ee_origin != SO_EE_ORIGIN_ZEROCOPY || err->ee_errno != 0)
      continue;
    t.kernel.zerocopy_completions += err->ee_data - err->ee_info + 1;
    if (err->ee_code & SO_EE_CODE_ZEROCOPY_COPIED) {
      t.kernel.zerocopy_copied = true;
      t.kernel.zerocopy_copied_completions += err->ee_data - err->ee_info + 1;
    }
  }
  return true;
}

// Sends buf[0, n) completely. ENOBUFS means too many notifications are outstanding
// (the socket's option-memory limit): wait for some, then try again.
void send_all(Transfer& t, size_t n) {
  for (size_t off = 0; off < n;) {
    long sent = t.io.sendto(t.sink, t.buffer + off, n - off, MSG_ZEROCOPY);
    if (sent < 0 && errno == ENOBUFS) {
      if (!reap_one(t, kCompletionTimeoutMs))
        throw RunError("MSG_ZEROCOPY: no completions (ENOBUFS)");
      continue;
    }
    off += check_moved(sent, "send(MSG_ZEROCOPY)");
    t.kernel.zerocopy_sends++;
    // Collect whatever is already there so the outstanding set stays small.
    while (reap_one(t, 0)) {
    }
  }
}

}  // namespace

uint64_t transfer_msg_zerocopy(Transfer& t) {
  int one = 1;
  if (setsockopt(t.sink.fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)) != 0)
    throw_errno("setsockopt(SO_ZEROCOPY)");

  uint64_t done = 0;
  while (done < t.bytes) {
    size_t n = check_moved(t.io.read(t.source, t.buffer, next_len(t, done)), "read");
    send_all(t, n);
    done += n;
  }
  while (t.kernel.zerocopy_completions < t.kernel.zerocopy_sends) {
    if (!reap_one(t, kCompletionTimeoutMs))
      throw RunError(
          "MSG_ZEROCOPY: " + std::to_string(t.kernel.zerocopy_sends - t.kernel.zerocopy_completions) +
          " completions never arrived");
  }
  return done;
}

}  // namespace workload
