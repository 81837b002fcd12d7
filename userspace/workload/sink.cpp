#include "sink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"

namespace workload {
namespace {

// A connected loopback TCP pair: returns {sender end, receiver end}.
std::pair<Fd, Fd> tcp_pair() {
  Fd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener.valid())
    throw_errno("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // any free port
  socklen_t len = sizeof(addr);
  if (bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0)
    throw_errno("bind");
  if (listen(listener.get(), 1) != 0)
    throw_errno("listen");
  if (getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw_errno("getsockname");

  // Loopback connect completes against the listen backlog, so one process can do both.
  Fd sender(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sender.valid())
    throw_errno("socket");
  if (connect(sender.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    throw_errno("connect");
  Fd receiver(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!receiver.valid())
    throw_errno("accept");
  return {std::move(sender), std::move(receiver)};
}

std::pair<Fd, Fd> unix_pair() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw_errno("socketpair");
  return {Fd(sv[0]), Fd(sv[1])};
}

// Hands `far_end` to a helper child and keeps `near_end` as the sender's sink fd.
void attach_child(Sink& sink, Fd near_end, Fd far_end, const char* role, uint64_t expected,
                  std::vector<int> close_in_child) {
  close_in_child.push_back(near_end.get());
  sink.child = spawn_receiver(far_end.get(), role, expected, close_in_child);
  sink.fd = std::move(near_end);
  // far_end closes here, in the parent, as it goes out of scope.
}

}  // namespace

RemovedOnExit& RemovedOnExit::operator=(RemovedOnExit&& o) noexcept {
  if (this != &o) {
    if (!path_.empty())
      unlink(path_.c_str());
    path_ = std::exchange(o.path_, {});
  }
  return *this;
}

RemovedOnExit::~RemovedOnExit() {
  if (!path_.empty())
    unlink(path_.c_str());
}

Sink open_sink(const RunOptions& opt, const std::vector<int>& close_in_child) {
  Sink sink;
  sink.type = opt.sink;
  switch (opt.sink) {
    case SinkType::Tcp: {
      auto [near_end, far_end] = tcp_pair();
      attach_child(sink, std::move(near_end), std::move(far_end), "receiver", opt.bytes, close_in_child);
      break;
    }
    case SinkType::Unix: {
      auto [near_end, far_end] = unix_pair();
      attach_child(sink, std::move(near_end), std::move(far_end), "receiver", opt.bytes, close_in_child);
      break;
    }
    case SinkType::Pipe: {
      Pipe p = make_pipe(opt.chunk);
      attach_child(sink, std::move(p.write), std::move(p.read), "drainer", opt.bytes, close_in_child);
      break;
    }
    case SinkType::File: {
      std::string path = opt.dir + "/zctrace-workload-sink.XXXXXX";
      int fd = mkostemp(path.data(), O_CLOEXEC);
      if (fd < 0)
        throw_errno("create sink file in " + opt.dir);
      sink.fd = Fd(fd);
      sink.file = RemovedOnExit(path);
      break;
    }
    case SinkType::Null:
      sink.fd = open_or_throw("/dev/null", O_WRONLY, "sink");
      break;
  }
  return sink;
}

void finish_sink(Sink& sink, Io& io, uint64_t expected, std::vector<ProcessRecord>& processes) {
  if (sink.type == SinkType::File) {
    struct stat st {};
    if (fstat(sink.fd.get(), &st) != 0)
      throw_errno("fstat sink file");
    if (static_cast<uint64_t>(st.st_size) != expected)
      throw RunError("sink file has " + std::to_string(st.st_size) + " bytes, expected " +
                     std::to_string(expected));
  }
  sink.fd.reset();
  if (sink.child) {
    processes.push_back(collect_child(io, *sink.child, expected));
    sink.child.reset();
  }
}

}  // namespace workload
