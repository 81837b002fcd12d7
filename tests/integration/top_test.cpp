// `zctrace top` in a pseudo-terminal, as a user runs it: a process started after it shows, ranked first by
// the bytes it has the CPU copy, and q gives the terminal back.
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

#include "harness.h"

namespace zctrace::testing {
namespace {

// What the terminal got, read for up to `seconds` or until `until` shows after `from`.
std::string ReadScreen(int fd, double seconds, std::string& screen, const std::string& until,
                       size_t from = 0) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  char buf[4096];
  while (std::chrono::steady_clock::now() < end) {
    if (screen.find(until, from) != std::string::npos)
      break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0)
      continue;
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0)
      break;  // the child closed the terminal
    screen.append(buf, static_cast<size_t>(n));
  }
  return screen;
}

// The first row under the column header of the last complete frame in `screen`.
std::string TopRowOfLastFrame(const std::string& screen) {
  const std::string clear = "\033[H\033[2J";
  const size_t last = screen.rfind(clear);
  const size_t previous =
      last == std::string::npos || last == 0 ? std::string::npos : screen.rfind(clear, last - 1);
  if (previous == std::string::npos)
    return "";
  const std::string frame = screen.substr(previous, last - previous);
  const size_t header = frame.find("PID COMMAND");
  if (header == std::string::npos)
    return "";
  const size_t start = frame.find('\n', header);
  if (start == std::string::npos)
    return "";
  const size_t end = frame.find('\n', start + 1);
  return frame.substr(start + 1, end == std::string::npos ? std::string::npos : end - start - 1);
}

// `zctrace top --interval SECONDS` on a pseudo-terminal of 30 rows × 120 columns; *terminal is its master.
pid_t TopOnATerminal(const char* interval, int* terminal) {
  winsize size{};
  size.ws_row = 30;
  size.ws_col = 120;
  const pid_t top = forkpty(terminal, nullptr, nullptr, &size);
  if (top == 0) {
    const std::string bin = ZctraceBin();
    execl(bin.c_str(), "zctrace", "top", "--interval", interval, static_cast<char*>(nullptr));
    _exit(127);
  }
  return top;
}

TEST(Top, ALaterProcessIsRankedByItsCpuCopiedBytesAndQQuits) {
  REQUIRE_ROOT();
  const std::string dir = TempPath("top");
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  const std::string named = dir + "/zc-top-wl";  // its name in the view
  ASSERT_EQ(symlink(WorkloadBin().c_str(), named.c_str()), 0) << strerror(errno);

  int terminal = -1;
  const pid_t top = TopOnATerminal("0.5", &terminal);
  ASSERT_GE(top, 0) << strerror(errno);
  std::string screen;
  ReadScreen(terminal, 60, screen, "PID COMMAND");
  ASSERT_NE(screen.find("zctrace top"), std::string::npos) << screen;

  // started after top: the CPU copies /dev/zero's bytes into it, 64 MiB at a time, for a few seconds
  const pid_t work =
      SpawnProgram({"/bin/sh", "-c",
                    "for i in 1 2 3 4 5 6 7 8; do " + named +
                        " run --method read-write --source zero --sink null --bytes 1G --chunk 1M "
                        "--report /dev/null || exit 1; done"});
  std::string row;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && row.find("zc-top-wl") == std::string::npos) {
    const size_t before = screen.size();
    ReadScreen(terminal, 1, screen, "\033[H\033[2J", before);
    row = TopRowOfLastFrame(screen);
  }
  EXPECT_NE(row.find("zc-top-wl"), std::string::npos) << "top row: " << row;
  kill(work, SIGKILL);
  ReapProgram(work, 10);

  ASSERT_EQ(write(terminal, "q", 1), 1);
  const int status = ReapProgram(top, 20);
  ReadScreen(terminal, 1, screen, "\033[?1049l");
  close(terminal);
  RunProgram({"/bin/rm", "-rf", dir});
  EXPECT_EQ(status, 0) << screen.substr(screen.size() > 2000 ? screen.size() - 2000 : 0);
  EXPECT_NE(screen.find("\033[?1049l"), std::string::npos) << "the terminal was not given back";
}

// The screen says at once that tracing has started, not one interval later (30 s here).
TEST(Top, TheScreenSaysAtOnceThatTracingStarted) {
  REQUIRE_ROOT();
  int terminal = -1;
  const pid_t top = TopOnATerminal("30", &terminal);
  ASSERT_GE(top, 0) << strerror(errno);
  std::string screen;
  ReadScreen(terminal, 20, screen, "the first figures come in 30 s");
  ASSERT_EQ(write(terminal, "q", 1), 1);
  const int status = ReapProgram(top, 20);
  ReadScreen(terminal, 1, screen, "\033[?1049l");
  close(terminal);
  EXPECT_NE(screen.find("tracing started; the first figures come in 30 s"), std::string::npos) << screen;
  EXPECT_NE(screen.find("PID COMMAND"), std::string::npos) << "no header before the first figures";
  EXPECT_EQ(status, 0);
}

}  // namespace
}  // namespace zctrace::testing
