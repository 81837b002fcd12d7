// Outputs while tracing: the refreshed view (--interval), JSON Lines (--json-lines) and the
// Prometheus endpoint (--prometheus). Each reads the kernel maps live and renders the same Report.
#pragma once

#include <termios.h>

#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "aggregate.h"
#include "options.h"
#include "top_view.h"
#include "tracer.h"

namespace httplib {
class Server;
}

namespace zctrace {

#ifndef ZCTRACE_HAVE_HTTPLIB
// The one-line error of --prometheus in a build without cpp-httplib (ZCTRACE_STATIC).
inline constexpr const char* kNoPrometheus =
    "built without Prometheus support: this zctrace (a static build) has no --prometheus";
#endif

class LiveOutputs {
 public:
  LiveOutputs();
  ~LiveOutputs();
  LiveOutputs(const LiveOutputs&) = delete;
  LiveOutputs& operator=(const LiveOutputs&) = delete;

  // Opens the JSON Lines file and binds the Prometheus port; false with *error (one line).
  bool Start(const Options& options, const RunInfo& run, Tracer& tracer, const AggregateOptions& measured,
             std::string* error);
  // Once per --interval: the refreshed view and a JSON line.
  void Tick(double elapsed_s);
  // The top view on a terminal takes keys from stdin (main's wait loop polls it).
  bool TakesKeys() const { return saved_termios_.has_value(); }
  // A key pressed: false for q (quit); a sort or grouping key redraws at once.
  bool Key(char key);
  // Stops serving, and gives the terminal back; must run before the tracer goes away.
  void Stop();
  // The JSON Lines stream's end record: the last (partial) interval and the final report.
  void Finish(const Report& final_report, double elapsed_s);

 private:
  Report Current();
  void DrawTop();
  // the refreshed view goes to stdout: not quiet, and stdout is not taken by JSON or JSON Lines
  bool ShowsView() const;

  const Options* options_ = nullptr;
  RunInfo run_;  // started_at set: every live record carries it
  Tracer* tracer_ = nullptr;
  AggregateOptions measured_;
  std::mutex read_mutex_;  // the HTTP thread and the main thread both read the maps
  std::unique_ptr<httplib::Server> server_;
  std::thread server_thread_;
  std::ofstream lines_file_;
  std::ostream* lines_ = nullptr;
  std::optional<Report> previous_;
  double previous_elapsed_ = 0;
  bool terminal_ = false;
  // the top view (`zctrace top`, or --interval on a terminal): the last two reads, and the screen's settings
  bool top_view_ = false;
  std::optional<Report> top_now_, top_before_;
  double top_seconds_ = 0, top_elapsed_ = 0;
  TopScreen screen_;
  bool terminal_taken_ = false;
  std::optional<termios> saved_termios_;  // stdin's settings before the top view took its keys
};

}  // namespace zctrace
