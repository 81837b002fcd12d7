// zctrace: wires the pieces together — options → privileges → (command held) → tracer → wait →
// snapshot → aggregate → render. Each piece lives in its own file; this one only decides the order.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "aggregate.h"
#include "check.h"
#include "command.h"
#include "demo_runner.h"
#include "kernel_info.h"
#include "kernel_support.h"
#include "live.h"
#include "options.h"
#include "output_file.h"
#include "privileges.h"
#include "profile_export.h"
#include "render.h"
#include "run_info.h"
#include "symbolizer.h"
#include "target_scan.h"
#include "tracer.h"

namespace zctrace {
namespace {

int Fail(const std::string& message) {
  std::cerr << "zctrace: " << message << "\n";
  return 1;
}

// How the trace ended, for the exit status and the report.
struct Ending {
  bool command_exited = false;
  int command_status = 0;  // wait status
  int signal = 0;          // SIGINT/SIGTERM that stopped us, if any
  bool deadline = false;
  bool quit = false;  // q in the top view
};

double SecondsUntil(const timespec& deadline) {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(deadline.tv_sec - now.tv_sec) +
         static_cast<double>(deadline.tv_nsec - now.tv_nsec) / 1e9;
}

bool ReapCommand(pid_t pid, Ending& ending, int flags) {
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, flags) == pid) {
    ending.command_exited = true;
    ending.command_status = status;
    return true;
  }
  return false;
}

// Gives a command we stopped a moment to exit, so that its counts are complete and its status known.
void StopCommand(pid_t pid, int sig, Ending& ending) {
  kill(pid, sig);
  for (int i = 0; i < 40 && !ending.command_exited; ++i) {
    if (!ReapCommand(pid, ending, WNOHANG))
      usleep(50 * 1000);
  }
}

Ending WaitForEnd(const Options& opts, const Tracer& tracer, pid_t command, const sigset_t& signals,
                  LiveOutputs& live) {
  Ending ending;
  timespec start{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  double next_tick = opts.interval_s.value_or(0);
  double next_device_refresh = 1.0;
  timespec deadline{};
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  const double duration = opts.duration_s.value_or(1e12);
  deadline.tv_sec += static_cast<time_t>(duration);
  deadline.tv_nsec += static_cast<long>((duration - std::floor(duration)) * 1e9);
  if (deadline.tv_nsec >= 1000000000) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1000000000;
  }
  for (;;) {
    const double left = SecondsUntil(deadline);
    if (left <= 0) {
      ending.deadline = true;
      if (command > 0)
        StopCommand(command, SIGTERM, ending);
      return ending;
    }
    double wait = std::min(left, 0.2);
    if (const double elapsed = -SecondsUntil(start); elapsed >= next_device_refresh) {
      // a device made meanwhile (a veth, a container's interface) is classified before much arrives on it
      tracer.RefreshRxDevices(nullptr);
      tracer.Maintain();  // exited processes' entries back to the kernel for new ones
      next_device_refresh = elapsed + 1.0;
    }
    if (opts.interval_s) {
      const double elapsed = -SecondsUntil(start);
      if (elapsed >= next_tick) {
        live.Tick(elapsed);
        next_tick += *opts.interval_s;
      }
      wait = std::max(0.001, std::min(wait, next_tick - elapsed));
    }
    if (live.TakesKeys()) {
      // the top view's keys: wait on stdin, then take any signal without waiting
      pollfd in{STDIN_FILENO, POLLIN, 0};
      if (poll(&in, 1, static_cast<int>(wait * 1000)) > 0 && (in.revents & POLLIN)) {
        char key = 0;
        if (read(STDIN_FILENO, &key, 1) != 1 || !live.Key(key)) {  // q, or the terminal went away
          ending.quit = true;
          return ending;
        }
      }
      wait = 0;
    }
    timespec ts{static_cast<time_t>(wait), static_cast<long>((wait - std::floor(wait)) * 1e9)};
    siginfo_t info{};
    const int sig = sigtimedwait(&signals, &info, &ts);
    if (sig == SIGCHLD) {
      if (ReapCommand(command, ending, WNOHANG))
        return ending;
    } else if (sig == SIGINT || sig == SIGTERM) {
      ending.signal = sig;
      // From here on a second Ctrl-C (or SIGTERM) ends zctrace at once, report or not; the kernel
      // detaches its programs when the process goes.
      signal(SIGINT, SIG_DFL);
      signal(SIGTERM, SIG_DFL);
      sigset_t stop;
      sigemptyset(&stop);
      sigaddset(&stop, SIGINT);
      sigaddset(&stop, SIGTERM);
      sigprocmask(SIG_UNBLOCK, &stop, nullptr);
      // A terminal's Ctrl-C already reached the command (same process group); a kill(1) did not.
      if (command > 0 && info.si_code == SI_USER)
        StopCommand(command, sig, ending);
      if (command > 0 && !ending.command_exited)
        StopCommand(command, 0, ending);  // just reap if it ended
      return ending;
    }
    if (!opts.pids.empty() && command <= 0 && tracer.LiveProcesses() == 0)
      return ending;  // every target has exited (--cgroup and --comm wait for new ones; -- CMD for CMD)
  }
}

int Run(const Options& opts, const std::vector<std::string>& argv) {
  // check promises 2 for tracing errors, so that 1 always means "the flows miss the bar"
  const int error_status = opts.mode == Options::Mode::kCheck ? 2 : 1;
  auto Failed = [error_status](const std::string& message) {
    Fail(message);
    return error_status;
  };
#ifndef ZCTRACE_HAVE_HTTPLIB
  // Said before anything is loaded or run: the option cannot work in this build at all.
  if (opts.prometheus_host)
    return Failed(kNoPrometheus);
#endif
  if (!HasTracingPrivileges()) {
    return Failed("needs root (or CAP_BPF and CAP_PERFMON) to load BPF programs; try: sudo zctrace ...");
  }
  Targets targets;
  std::string error;
  if (!ResolveTargets(opts, &targets, &error))
    return Failed(error);
  for (const std::string& note : targets.notes)
    std::cerr << "zctrace: " << note << "\n";
  OutputFile json_file;  // not truncated until the report is there: a failed run leaves it as it was
  const bool json_to_stdout = opts.json_path && *opts.json_path == "-";
  if (opts.json_path && !json_to_stdout && !json_file.Open(*opts.json_path, &error))
    return Failed("cannot write --json " + *opts.json_path + ": " + error);
  OutputFile folded_file, pprof_file;
  const bool folded_to_stdout = opts.folded_path && *opts.folded_path == "-";
  if (opts.folded_path && !folded_to_stdout && !folded_file.Open(*opts.folded_path, &error))
    return Failed("cannot write --folded " + *opts.folded_path + ": " + error);
  if (opts.pprof_path && !pprof_file.Open(*opts.pprof_path, &error))
    return Failed("cannot write --pprof " + *opts.pprof_path + ": " + error);

  // Signals are taken synchronously (sigtimedwait) so that a Ctrl-C at any moment ends in a clean
  // detach and a report; SIGPIPE on stdout must not lose the --json file.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGCHLD);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  HeldCommand command;
  if (!opts.command.empty() && !command.Fork(opts.command, opts.run_as, &error))
    return Failed(error);

  TracerConfig config;
  config.follow_children = opts.follow_children;
  // the command is traced when it is what is traced, or part of it (-a); with -p, --cgroup or --comm it is
  // how long (a load generator, say), and traced only if it is one of them
  const bool command_traced = !opts.command.empty() && opts.pids.empty() && !opts.cgroup && !opts.comm;
  config.exec_target = command_traced ? command.pid() : 0;
  config.target_cgroup_id = targets.cgroup_id;
  config.target_comm = opts.comm.value_or("");
  config.target_all = opts.all;
  config.max_processes = opts.max_processes;
  config.max_paths = opts.max_paths;
  config.copy_mode = opts.copy_mode;
  config.stacks = opts.stacks;
  config.self_cost = opts.self_cost;
  std::unique_ptr<Tracer> tracer = Tracer::Start(config, &error);
  if (!tracer) {
    command.Abandon();
    // a gate that could not look must not pass: check says so and exits 2, never 0
    return Failed(opts.mode == Options::Mode::kCheck ? "could not trace: " + error : error);
  }
  // Attached first, then the processes already there: one forked meanwhile is found by either side.
  const std::vector<pid_t> existing =
      ExistingTargets(opts, targets, opts.command.empty() ? 0 : command.pid());
  for (const pid_t tgid : existing) {
    if (!tracer->AddProcess(tgid, &error))
      return Failed(error);
  }
  for (const pid_t tgid : existing) {
    if (HasExited(tgid))  // it exited before its entry went in: the kernel never saw it go
      tracer->ForgetProcess(tgid);
  }
  AggregateOptions measured;
  measured.skb_copies_measured = tracer->HasCapability(CapabilityId::kSkbCopies);
  measured.cpu_copies_measured = tracer->HasCapability(CapabilityId::kCpuCopyFunctions);
  measured.disk_measured =
      tracer->HasCapability(CapabilityId::kDiskIo) && tracer->HasCapability(CapabilityId::kDirtiedPages);
  measured.nic_tx_measured = tracer->HasCapability(CapabilityId::kNicTx);
  measured.major_faults_measured = tracer->HasCapability(CapabilityId::kMajorFaults);
  measured.nic_rx_measured = tracer->HasCapability(CapabilityId::kNicRx);
  measured.ktls_mode_measured = tracer->KtlsModeReadable();
  RunInfo run = DescribeRun(opts, argv);
  run.started_at = UtcTimestamp();
  LiveOutputs live;
  if (!live.Start(opts, run, *tracer, measured, &error)) {
    command.Abandon();  // never started: nothing ran untraced
    return Failed(error);
  }

  if (!opts.command.empty() && !command.Release(&error)) {
    Failed("cannot run '" + opts.command[0] + "': " + error);
    return opts.mode == Options::Mode::kCheck ? 2 : 127;
  }

  const Ending ending = WaitForEnd(opts, *tracer, opts.command.empty() ? 0 : command.pid(), signals, live);
  live.Stop();
  run.ended_at = UtcTimestamp();
  // twice: the exited processes the first takes are settled (folded if there are many) by the second
  tracer->Maintain();
  tracer->Maintain();
  Snapshot snapshot = tracer->Read();
  tracer.reset();  // detach now: the report needs no more kernel data
  if (snapshot.stacks_captured)
    SymbolizeStacks(&snapshot);

  if (ending.signal) {
    snapshot.warnings.push_back(std::string("stopped by ") + strsignal(ending.signal));
  }
  if (!opts.command.empty() && !ending.command_exited) {
    snapshot.warnings.push_back("the command was still running when tracing stopped (pid " +
                                std::to_string(command.pid()) + ")");
  } else if (ending.deadline && ending.command_exited) {
    snapshot.warnings.push_back("the command was stopped with SIGTERM at the end of the duration");
  }
  Report report = Aggregate(snapshot, measured);
  report.run = run;
  live.Finish(report, snapshot.duration_s);
  // a JSON Lines stream on stdout stays pure: the report goes nowhere else there
  const bool lines_to_stdout = opts.json_lines_path && *opts.json_lines_path == "-";

  // --folded and --pprof, after a report and after a verdict alike
  const auto write_profiles = [&]() -> bool {
    if (folded_to_stdout)
      std::cout << FoldedStacks(report);
    if (folded_file.is_open() && !folded_file.Replace(FoldedStacks(report), &error)) {
      Failed("writing --folded " + *opts.folded_path + " failed: " + error);
      return false;
    }
    if (pprof_file.is_open()) {
      const auto ns = [](double s) { return static_cast<int64_t>(s * 1e9); };
      const int64_t ended_ns =
          ns(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
      if (!pprof_file.Replace(PprofProfile(report, ended_ns - ns(report.duration_s), ns(report.duration_s)),
                              &error)) {
        Failed("writing --pprof " + *opts.pprof_path + " failed: " + error);
        return false;
      }
    }
    return true;
  };

  if (opts.mode == Options::Mode::kCheck) {
    const CheckVerdict verdict = EvaluateCheck(report, opts.check);
    const nlohmann::json j = CheckToJson(verdict, opts.check, report);
    if (!opts.quiet && !json_to_stdout && !lines_to_stdout)
      std::cout << verdict.message << "\n";
    if (json_to_stdout)
      std::cout << JsonText(j, 2) << "\n";
    if (json_file.is_open() && !json_file.Replace(JsonText(j, 2) + "\n", &error))
      return Failed("writing --json " + *opts.json_path + " failed: " + error);
    if (!write_profiles())
      return error_status;
    return verdict.pass ? 0 : 1;
  }
  const Renderer& json = RendererFor(Format::kJson);
  RenderContext text_context;
  text_context.per_connection = opts.per_connection;
  // top's output was its view; the report only where --json asks for it
  if (!opts.quiet && !json_to_stdout && !lines_to_stdout && !folded_to_stdout &&
      opts.mode != Options::Mode::kTop)
    RendererFor(Format::kText).Render(report, text_context, std::cout);
  if (json_to_stdout)
    json.Render(report, {}, std::cout);
  if (json_file.is_open()) {
    std::ostringstream text;
    json.Render(report, {}, text);
    if (!json_file.Replace(text.str(), &error))
      return Failed("writing --json " + *opts.json_path + " failed: " + error);
  }
  if (!write_profiles())
    return error_status;
  std::cout.flush();

  if (!opts.command.empty()) {
    return ending.command_exited ? ShellStatus(ending.command_status)
                                 : 128 + (ending.signal ? ending.signal : SIGTERM);
  }
  return 0;
}

}  // namespace
}  // namespace zctrace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv, argv + argc);
  const zctrace::ParseResult parsed = zctrace::ParseOptions({args.begin() + (argc ? 1 : 0), args.end()});
  if (!parsed.options) {
    (parsed.exit_code == 0 ? std::cout : std::cerr) << parsed.output << "\n";
    return parsed.exit_code;
  }
  // Said before anything is loaded, run or truncated, in every mode: on a kernel older than the oldest
  // supported one nothing can work (2). ZCTRACE_TEST_KERNEL_RELEASE: a test hook that pretends one.
  const char* pretended = std::getenv("ZCTRACE_TEST_KERNEL_RELEASE");
  const std::string unsupported =
      zctrace::UnsupportedKernel(pretended ? pretended : zctrace::KernelRelease());
  if (!unsupported.empty()) {
    std::cerr << "zctrace: " << unsupported << "\n";
    return 2;
  }
  try {
    if (parsed.options->mode == zctrace::Options::Mode::kDemo)
      return zctrace::RunDemo(parsed.options->demo, zctrace::DescribeRun(*parsed.options, args));
    return zctrace::Run(*parsed.options, args);
  } catch (const std::exception& e) {
    std::cerr << "zctrace: " << e.what() << "\n";
    return parsed.options->mode == zctrace::Options::Mode::kCheck ? 2 : 1;
  }
}
