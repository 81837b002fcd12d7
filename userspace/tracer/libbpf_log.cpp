#include "libbpf_log.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <vector>

#include "kernel_info.h"

namespace zctrace {
namespace {

// libbpf's messages are noise on success; on a failed load they hold the verifier's log, which the error
// names. They are kept (bounded: a verifier log can be megabytes; its end says why) and, with
// ZCTRACE_LIBBPF_LOG=1 in the environment, all of them (debug too) also go to stderr as they come.
std::string g_libbpf_messages;
constexpr size_t kLibbpfMessagesKept = 64 * 1024;

}  // namespace

int CaptureLibbpfPrint(enum libbpf_print_level level, const char* format, va_list args) {
  static const bool echo = [] {
    const char* v = std::getenv("ZCTRACE_LIBBPF_LOG");
    return v && *v && std::strcmp(v, "0") != 0;
  }();
  if (level == LIBBPF_DEBUG && !echo)
    return 0;
  va_list copy;
  va_copy(copy, args);
  const int n = vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (n <= 0)
    return n;
  std::string text(static_cast<size_t>(n) + 1, '\0');
  vsnprintf(text.data(), text.size(), format, args);
  text.pop_back();
  if (echo)
    std::cerr << text << std::flush;
  if (level != LIBBPF_DEBUG) {
    g_libbpf_messages += text;
    if (g_libbpf_messages.size() > kLibbpfMessagesKept)
      g_libbpf_messages.erase(0, g_libbpf_messages.size() - kLibbpfMessagesKept);
  }
  return n;
}

std::string ErrnoText(int err) {
  return std::strerror(err < 0 ? -err : err);
}

namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos)
      end = text.size();
    lines.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return lines;
}

bool StartsWith(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

// The verifier's reason for rejecting a program, from libbpf's "-- BEGIN PROG LOAD LOG --" ... "-- END PROG
// LOAD LOG --" block: the last line before its end that is not one of the statistics the verifier adds
// there. Read from the end, because a long log may have lost its beginning to the bound on what is kept.
// Empty when there was no such log. *program gets the name from libbpf's "prog 'NAME': failed to load"
// (or "... BPF program load failed") line.
std::string VerifierReason(const std::string& messages, std::string* program) {
  const std::vector<std::string> lines = Lines(messages);
  size_t end = lines.size();
  for (size_t i = lines.size(); i-- > 0;) {
    if (lines[i].find("-- END PROG LOAD LOG --") != std::string::npos) {
      end = i;
      break;
    }
  }
  if (end == lines.size())
    return "";
  for (const std::string& line : lines) {
    if (line.find("failed to load") == std::string::npos &&
        line.find("BPF program load failed") == std::string::npos)
      continue;
    const size_t open = line.find("prog '"), close = line.find("':");
    if (open != std::string::npos && close != std::string::npos && close > open + 6)
      *program = line.substr(open + 6, close - open - 6);
  }
  for (size_t i = end; i-- > 0;) {
    const std::string& line = lines[i];
    if (line.find("-- BEGIN PROG LOAD LOG --") != std::string::npos)
      break;
    if (!line.empty() && !StartsWith(line, "processed ") && !StartsWith(line, "verification time") &&
        !StartsWith(line, "stack depth"))
      return line;
  }
  return "";
}

}  // namespace

std::string LoadFailure(int err) {
  std::string program;
  const std::string reason = VerifierReason(g_libbpf_messages, &program);
  // The verifier says EACCES (or EPERM) for a program it refuses: that is not a missing privilege, and the
  // caller's privileges were checked before loading.
  if (!reason.empty()) {
    return "the kernel's verifier rejected BPF program '" + program + "' (" + ErrnoText(err) +
           "): " + reason +
           " (ZCTRACE_LIBBPF_LOG=1 prints its whole log)\nzctrace: this build of zctrace does not load on "
           "kernel " +
           KernelRelease() +
           ": upgrade zctrace, or report the kernel version (uname -rv) with that log to its maintainers";
  }
  if (err == -EPERM || err == -EACCES) {
    return "the kernel refused to load BPF programs (" + ErrnoText(err) +
           "): zctrace needs root, or CAP_BPF and CAP_PERFMON";
  }
  std::string msg = "loading the BPF programs failed: " + ErrnoText(err);
  const std::vector<std::string> lines = Lines(g_libbpf_messages);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (!it->empty()) {
      msg += " (" + *it + ")";
      break;
    }
  }
  return msg;
}

}  // namespace zctrace
