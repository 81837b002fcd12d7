#include "receiver.h"

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <exception>

#include "errors.h"

namespace workload {
namespace {

// Big enough that the receiver is rarely the bottleneck; allocated before reading.
constexpr size_t kReceiveBuffer = 256 * 1024;

// Reads until EOF and returns the number of bytes seen. Every read, including the
// final one that returns 0, is recorded.
uint64_t drain(Io& io, const Endpoint& in) {
  std::vector<char> buf(kReceiveBuffer);
  uint64_t total = 0;
  for (;;) {
    long n = io.read(in, buf.data(), buf.size());
    if (n < 0)
      throw_errno("receiver read from " + in.kind);
    if (n == 0)
      return total;
    total += static_cast<uint64_t>(n);
  }
}

// Sends the record with one raw, unrecorded write (the parent accounts for it: it
// cannot count itself). The record is far below the pipe's capacity, so it is never
// split. Returns false if the write failed or was short.
bool send_record(int report_fd, const nlohmann::ordered_json& doc) {
  std::string text = doc.dump();
  long w = syscall(SYS_write, report_fd, text.data(), text.size());
  return w == static_cast<long>(text.size());
}

// Stays silent on stderr: problems travel in the record ("error") and the exit status,
// and the sender turns them into its one error line.
[[noreturn]] void child_main(int data_fd, int report_fd, uint64_t expected) {
  Recorder rec;
  Io io(rec);
  uint64_t received = 0;
  std::string error;
  try {
    received = drain(io, endpoint(data_fd));
  } catch (const std::exception& e) {
    error = e.what();
  }
  nlohmann::ordered_json doc = {{"received", received}, {"paths", rec.to_json()}};
  if (!error.empty())
    doc["error"] = error;
  bool ok = send_record(report_fd, doc) && error.empty() && received == expected;
  _exit(ok ? 0 : 1);  // no atexit handlers or stdio flushing inherited from the parent
}

}  // namespace

Child spawn_receiver(int data_fd, const std::string& role, uint64_t expected,
                     const std::vector<int>& close_in_child) {
  Pipe report = make_pipe(0);
  pid_t pid = fork();
  if (pid < 0)
    throw_errno("fork " + role);
  if (pid == 0) {
    for (int fd : close_in_child)
      close(fd);
    close(report.read.get());
    child_main(data_fd, report.write.get(), expected);
  }
  return Child{pid, role, std::move(report.read)};
}

ProcessRecord collect_child(Io& parent_io, Child& child, uint64_t expected) {
  Endpoint in = endpoint(child.report.get());
  std::string text;
  char buf[4096];
  for (;;) {
    long n = parent_io.read(in, buf, sizeof(buf));
    if (n < 0)
      throw_errno("read " + child.role + " record");
    if (n == 0)
      break;
    text.append(buf, static_cast<size_t>(n));
  }
  child.report.reset();

  int status = 0;
  if (waitpid(child.pid, &status, 0) < 0)
    throw_errno("waitpid " + child.role);
  const std::string who = child.role + " (pid " + std::to_string(child.pid) + ")";

  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.contains("paths") || !doc.contains("received"))
    throw RunError(who + " failed without sending a readable record");
  if (doc.contains("error"))
    throw RunError(who + ": " + doc["error"].get<std::string>());
  uint64_t received = doc.at("received").get<uint64_t>();
  if (received != expected)
    throw RunError(who + " received " + std::to_string(received) + " bytes, expected " +
                   std::to_string(expected));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw RunError(who + " failed");

  ProcessRecord rec{child.pid, child.role, Recorder::from_json(doc.at("paths"))};
  rec.paths.add({"write", kUser, "pipe"}, PathCount{1, text.size(), 0});
  return rec;
}

}  // namespace workload
