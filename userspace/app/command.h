// `zctrace -- CMD`: the command is forked first and held before exec, so that tracing is in place
// when it starts; the BPF side begins counting at its exec (nothing zctrace's own child does before
// exec is counted).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace zctrace {

class HeldCommand {
 public:
  // Forks; the child waits for Release() before exec, as `user` (name or uid) when given.
  // False with *error on failure (e.g. no such user).
  bool Fork(const std::vector<std::string>& argv, const std::optional<std::string>& user, std::string* error);
  // Lets the child exec. False with *error if exec failed (e.g. no such command).
  bool Release(std::string* error);
  // Kills a child that was never released (tracing failed to start).
  void Abandon();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int go_fd_ = -1;    // parent writes one byte: go
  int exec_fd_ = -1;  // CLOEXEC: EOF means exec succeeded; an int errno means it failed
};

// The exit status a shell would report: the code, or 128 + the signal.
int ShellStatus(int wait_status);

}  // namespace zctrace
