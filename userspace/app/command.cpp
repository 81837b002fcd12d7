#include "command.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace zctrace {

namespace {

struct Identity {
  uid_t uid;
  gid_t gid;
  std::string name;
};

// A user name, or a numeric uid (with that user's primary group if it has a passwd entry).
bool LookUpUser(const std::string& user, Identity* id, std::string* error) {
  const passwd* pw = getpwnam(user.c_str());
  if (!pw && !user.empty() &&
      std::all_of(user.begin(), user.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
      user.size() < 10) {
    const uid_t uid = static_cast<uid_t>(std::stoul(user));
    pw = getpwuid(uid);
    if (!pw) {
      *id = {uid, static_cast<gid_t>(uid), ""};
      return true;
    }
  }
  if (!pw) {
    *error = "no such user '" + user + "'";
    return false;
  }
  *id = {pw->pw_uid, pw->pw_gid, pw->pw_name};
  return true;
}

}  // namespace

bool HeldCommand::Fork(const std::vector<std::string>& argv, const std::optional<std::string>& user,
                       std::string* error) {
  Identity identity{};
  if (user && !LookUpUser(*user, &identity, error))
    return false;
  int go[2], exec_status[2];
  if (pipe2(go, O_CLOEXEC) != 0 || pipe2(exec_status, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_ = fork();
  if (pid_ < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (pid_ == 0) {
    close(go[1]);
    close(exec_status[0]);
    // The signal mask zctrace set up for itself must not leak into the command.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    char byte;
    if (read(go[0], &byte, 1) != 1)
      _exit(127);  // zctrace gave up: do not run untraced
    // Drop root before exec: groups first, then gid, then uid (after setuid nothing else is allowed).
    if (user) {
      const bool groups_ok = identity.name.empty() ? setgroups(0, nullptr) == 0
                                                   : initgroups(identity.name.c_str(), identity.gid) == 0;
      if (!groups_ok || setgid(identity.gid) != 0 || setuid(identity.uid) != 0) {
        const int err = errno;
        (void)!write(exec_status[1], &err, sizeof(err));
        _exit(127);
      }
    }
    execvp(args[0], args.data());
    const int err = errno;
    (void)!write(exec_status[1], &err, sizeof(err));
    _exit(127);
  }
  close(go[0]);
  close(exec_status[1]);
  go_fd_ = go[1];
  exec_fd_ = exec_status[0];
  return true;
}

bool HeldCommand::Release(std::string* error) {
  const char byte = 1;
  const bool sent = write(go_fd_, &byte, 1) == 1;
  close(go_fd_);
  go_fd_ = -1;
  int err = 0;
  const ssize_t n = sent ? read(exec_fd_, &err, sizeof(err)) : -1;
  close(exec_fd_);
  exec_fd_ = -1;
  if (n == 0)
    return true;
  *error = n == static_cast<ssize_t>(sizeof(err)) ? std::strerror(err) : "the command did not start";
  int status;
  waitpid(pid_, &status, 0);
  return false;
}

void HeldCommand::Abandon() {
  if (pid_ <= 0)
    return;
  if (go_fd_ >= 0)
    close(go_fd_);  // the child reads EOF and exits without exec
  if (exec_fd_ >= 0)
    close(exec_fd_);
  go_fd_ = exec_fd_ = -1;
  int status;
  waitpid(pid_, &status, 0);
}

int ShellStatus(int wait_status) {
  if (WIFEXITED(wait_status))
    return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status))
    return 128 + WTERMSIG(wait_status);
  return 1;
}

}  // namespace zctrace
