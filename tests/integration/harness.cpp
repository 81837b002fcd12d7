#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace zctrace::testing {
namespace {

double Now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

RunResult RunProgram(const std::vector<std::string>& argv, const RunOptions& options) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
    return {};
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    const int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    if (options.as_uid) {
      if (setgroups(0, nullptr) != 0 || setgid(*options.as_uid) != 0 || setuid(*options.as_uid) != 0)
        _exit(126);
    }
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  RunResult result;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  const double deadline = Now() + options.timeout_s;
  bool killed = false;
  while (open_fds > 0) {
    const int left_ms = static_cast<int>((deadline - Now()) * 1000);
    if (left_ms <= 0 && !killed) {
      kill(pid, SIGKILL);
      killed = true;
      ADD_FAILURE() << argv[0] << " hung: killed after " << options.timeout_s << " s";
    }
    if (poll(fds, 2, left_ms > 0 ? std::min(left_ms, 1000) : 1000) < 0)
      break;
    for (pollfd& p : fds) {
      if (p.fd < 0 || !(p.revents & (POLLIN | POLLHUP)))
        continue;
      char buf[65536];
      const ssize_t n = read(p.fd, buf, sizeof(buf));
      if (n <= 0) {
        close(p.fd);
        p.fd = -1;
        --open_fds;
      } else {
        (p.fd == out[0] ? result.out : result.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string ZctraceBin() {
  return ZCTRACE_BIN;
}
std::string WorkloadBin() {
  return ZCTRACE_WORKLOAD_BIN;
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/zctrace-test-" + std::to_string(getpid()) + "-" + name;
}

Traced RunTraced(const std::vector<std::string>& zctrace_args) {
  Traced t;
  const std::string json_path = TempPath("report.json");
  std::vector<std::string> argv = {ZctraceBin(), "-q", "--json", json_path};
  argv.insert(argv.end(), zctrace_args.begin(), zctrace_args.end());
  t.run = RunProgram(argv);
  std::ifstream in(json_path);
  if (!in) {
    ADD_FAILURE() << "zctrace wrote no report; exit " << t.run.exit_code << ", stderr: " << t.run.err;
    return t;
  }
  try {
    in >> t.report;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "zctrace's JSON does not parse: " << e.what();
  }
  unlink(json_path.c_str());
  return t;
}

const nlohmann::json* FindProcess(const nlohmann::json& report, const std::string& comm) {
  if (!report.contains("processes"))
    return nullptr;
  for (const auto& p : report.at("processes")) {
    if (p.at("comm") == comm)
      return &p;
  }
  return nullptr;
}

uint64_t PathField(const nlohmann::json& process, const std::string& method, const std::string& source,
                   const std::string& sink, const std::string& field) {
  uint64_t sum = 0;
  for (const auto& p : process.at("paths")) {
    if (p.at("method") != method || p.at("source").at("kind") != source || p.at("sink").at("kind") != sink)
      continue;
    const nlohmann::json* at = &p;  // "copies.cpu.bytes": a field inside fields
    std::stringstream parts(field);
    for (std::string part; std::getline(parts, part, '.');)
      at = &at->at(part);
    sum += at->get<uint64_t>();
  }
  return sum;
}

std::string FindProgram(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return "";
}

ForcedRefusal::ForcedRefusal(const std::string& program) {
  setenv("ZCTRACE_TEST_REJECT", program.c_str(), 1);
}
ForcedRefusal::~ForcedRefusal() {
  unsetenv("ZCTRACE_TEST_REJECT");
}

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

pid_t SpawnProgram(const std::vector<std::string>& argv, const std::string& out_path) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, 1);
    dup2(out, 2);
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int ReapProgram(pid_t pid, double seconds) {
  const double deadline = Now() + seconds;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (Now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    usleep(20 * 1000);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool IsRoot() {
  return geteuid() == 0;
}

int CountZctracePrograms() {
  const RunResult r = RunProgram({"/usr/sbin/bpftool", "prog", "list"});
  int n = 0;
  for (size_t at = r.out.find("name on_sys_exit"); at != std::string::npos;
       at = r.out.find("name on_sys_exit", at + 1))
    ++n;
  return n;
}

int SettledZctracePrograms(int target) {
  int n = CountZctracePrograms();
  for (int i = 0; i < 100 && n > target; ++i) {
    usleep(50 * 1000);
    n = CountZctracePrograms();
  }
  return n;
}

std::set<int> TracedMapIds() {
  std::set<int> ids;
  const nlohmann::json maps =
      nlohmann::json::parse(RunProgram({"/usr/sbin/bpftool", "-j", "map", "show"}).out, nullptr, false);
  if (!maps.is_array())
    return ids;
  for (const nlohmann::json& m : maps)
    if (m.value("name", "") == "traced")
      ids.insert(m.at("id").get<int>());
  return ids;
}

bool WaitUntilTraced(pid_t pid, double seconds, const std::set<int>& ignored_maps) {
  // bpftool -j prints each entry with its BTF-formatted form: "formatted":{"key":PID,"value":SLOT}
  const std::string entry = "\"formatted\":{\"key\":" + std::to_string(pid) + ",";
  for (double waited = 0; waited < seconds; waited += 0.1) {
    for (const int id : TracedMapIds()) {
      if (ignored_maps.count(id))
        continue;
      if (RunProgram({"/usr/sbin/bpftool", "-j", "map", "dump", "id", std::to_string(id)}).out.find(entry) !=
          std::string::npos)
        return true;
    }
    usleep(100 * 1000);
  }
  return false;
}

bool WaitForAttach(int before, double seconds) {
  for (double waited = 0; waited < seconds; waited += 0.1) {
    if (CountZctracePrograms() > before)
      return true;
    usleep(100 * 1000);
  }
  return CountZctracePrograms() > before;
}

}  // namespace zctrace::testing
