// The regression driver: without libFuzzer (the normal g++ build), each fuzz target links this main and
// replays its corpus — the seeds, and every crash the fuzzer ever found — as a test.
//
//   zctrace_fuzz_<target> PATH...   (files, or directories whose files are all inputs)
//
// Each input runs in a child process, so that one crash does not hide the inputs after it: the summary
// names every input that crashed, threw, failed an invariant or hung. Exit 0 only when all passed.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

// Inputs are small and every target is fast: one that runs this long is stuck (libFuzzer's default
// -timeout is 1200 s, far too generous for a test).
constexpr unsigned kSecondsPerInput = 20;

bool CollectInputs(const char* arg, std::vector<fs::path>& inputs) {
  std::error_code ec;
  const fs::path path(arg);
  if (fs::is_regular_file(path, ec)) {
    inputs.push_back(path);
    return true;
  }
  if (!fs::is_directory(path, ec)) {
    std::fprintf(stderr, "replay: %s is neither a file nor a directory\n", arg);
    return false;
  }
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(path, ec)) {
    if (entry.is_regular_file(ec))
      files.push_back(entry.path());
  }
  if (ec) {
    std::fprintf(stderr, "replay: cannot list %s: %s\n", arg, ec.message().c_str());
    return false;
  }
  std::sort(files.begin(), files.end());  // the same order on every run, so that logs compare
  inputs.insert(inputs.end(), files.begin(), files.end());
  return true;
}

bool ReadFile(const fs::path& path, std::vector<uint8_t>& bytes) {
  std::ifstream in(path, std::ios::binary);
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

// Runs one input in a child; returns "" when it passed, else what went wrong.
std::string RunOne(const std::vector<uint8_t>& bytes) {
  std::fflush(nullptr);  // buffered output would otherwise be written by both processes
  const pid_t child = fork();
  if (child < 0)
    return std::string("fork: ") + std::strerror(errno);
  if (child == 0) {
    alarm(kSecondsPerInput);
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    std::fflush(nullptr);
    _exit(0);  // no atexit handlers or static destructors of the parent's state in the child
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR)
      return std::string("waitpid: ") + std::strerror(errno);
  }
  if (WIFEXITED(status))
    return WEXITSTATUS(status) == 0 ? "" : "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return sig == SIGALRM ? "timed out after " + std::to_string(kSecondsPerInput) + " s"
                          : std::string("killed by ") + strsignal(sig);
  }
  return "stopped with status " + std::to_string(status);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    if (!CollectInputs(argv[i], inputs))
      return 2;
  }
  if (inputs.empty()) {
    // A wrong or empty corpus path must not pass as "nothing failed".
    std::fprintf(stderr, "usage: %s FILE_OR_DIR... (found no inputs)\n", argc ? argv[0] : "replay");
    return 2;
  }
  std::vector<std::string> failures;
  for (const fs::path& path : inputs) {
    std::vector<uint8_t> bytes;
    if (!ReadFile(path, bytes)) {
      failures.push_back(path.string() + ": unreadable");
      continue;
    }
    const std::string error = RunOne(bytes);
    if (!error.empty()) {
      failures.push_back(path.string() + ": " + error);
      std::fprintf(stderr, "FAILED %s: %s\n", path.c_str(), error.c_str());
    }
  }
  std::printf("replayed %zu inputs, %zu failed\n", inputs.size(), failures.size());
  for (const std::string& f : failures)
    std::printf("  %s\n", f.c_str());
  return failures.empty() ? 0 : 1;
}
