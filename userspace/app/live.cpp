#include "live.h"

#ifdef ZCTRACE_HAVE_HTTPLIB
#include <httplib.h>
#endif
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <sstream>

#include "render.h"
#include "run_info.h"

#ifndef ZCTRACE_HAVE_HTTPLIB
// Built without cpp-httplib (ZCTRACE_STATIC: Debian ships it as a shared library only). No server is ever
// made; the type only has to be complete for the unique_ptr member's destructor.
namespace httplib {
class Server {};
}  // namespace httplib
#endif

namespace zctrace {

LiveOutputs::LiveOutputs() = default;

LiveOutputs::~LiveOutputs() {
  Stop();
}

bool LiveOutputs::Start(const Options& options, const RunInfo& run, Tracer& tracer,
                        const AggregateOptions& measured, std::string* error) {
  options_ = &options;
  run_ = run;
  tracer_ = &tracer;
  measured_ = measured;
  terminal_ = isatty(STDOUT_FILENO);
  // `top`, and --interval on a terminal: a fixed header and the rows that fit (a whole report redrawn
  // would scroll its header off)
  top_view_ = options.mode == Options::Mode::kTop ||
              (options.interval_s && terminal_ && !options.quiet && !options.json_lines_path);
  screen_.sort = options.top_sort;
  screen_.group = options.top_group;
  screen_.interval_s = options.interval_s.value_or(1);
  screen_.cpu_copy_mode = measured.cpu_copies_measured ? "precise" : "model";
  if (top_view_ && terminal_ && isatty(STDIN_FILENO)) {
    // keys without Enter, not echoed; Ctrl-C still signals
    saved_termios_.emplace();
    tcgetattr(STDIN_FILENO, &*saved_termios_);
    termios raw = *saved_termios_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
  }
  if (top_view_ && terminal_) {
    std::cout << "\033[?1049h\033[?25l" << std::flush;  // the alternate screen, no cursor
    terminal_taken_ = true;
  }
  if (options.json_lines_path) {
    if (*options.json_lines_path == "-") {
      lines_ = &std::cout;
    } else {
      lines_file_.open(*options.json_lines_path);
      if (!lines_file_) {
        *error = "cannot write --json-lines " + *options.json_lines_path + ": " + std::strerror(errno);
        return false;
      }
      lines_ = &lines_file_;
    }
    *lines_ << JsonText(JsonLinesStart(Current(), UtcTimestamp(), *options.interval_s)) << "\n" << std::flush;
  }
  if (options.prometheus_host) {
#ifndef ZCTRACE_HAVE_HTTPLIB
    *error = kNoPrometheus;
    return false;
#else
    server_ = std::make_unique<httplib::Server>();
    server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      std::ostringstream metrics;
      RenderContext context;
      context.pid_label = options_->prometheus_pid_label;
      RendererFor(Format::kPrometheus).Render(Current(), context, metrics);
      res.set_content(metrics.str(), "text/plain; version=0.0.4; charset=utf-8");
    });
    server_->Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("zctrace: metrics at /metrics\n", "text/plain");
    });
    if (!server_->bind_to_port(options.prometheus_host->c_str(), options.prometheus_port)) {
      *error = "cannot listen on " + *options.prometheus_host + ":" +
               std::to_string(options.prometheus_port) +
               " for --prometheus (in use, or not an address of this machine)";
      server_.reset();
      return false;
    }
    server_thread_ = std::thread([this] { server_->listen_after_bind(); });
#endif
  }
  // at once, not one interval later: the tracer is attached and counting
  if (options.interval_s && ShowsView()) {
    if (top_view_ && terminal_) {
      std::cout << "\033[H\033[2J" << RenderTop({}, screen_) << "tracing started; the first figures come in "
                << *options.interval_s << " s\n"
                << std::flush;
    } else if (!top_view_) {
      std::cout << "=== zctrace: tracing started at " << run.started_at << " (every " << *options.interval_s
                << " s; Ctrl-C to stop) ===\n"
                << std::flush;
    }
  }
  return true;
}

bool LiveOutputs::ShowsView() const {
  return !options_->quiet && !(options_->json_path && *options_->json_path == "-") && lines_ != &std::cout;
}

Report LiveOutputs::Current() {
  std::lock_guard<std::mutex> lock(read_mutex_);
  Report report = Aggregate(tracer_->Read(), measured_);
  report.run = run_;
  return report;
}

void LiveOutputs::Tick(double elapsed_s) {
  const bool view = ShowsView();
  if (!view && !lines_)
    return;
  const Report now = Current();
  if (top_view_) {
    top_seconds_ = previous_ ? elapsed_s - top_elapsed_ : elapsed_s;
    top_elapsed_ = elapsed_s;
    screen_.elapsed_s = elapsed_s;
    top_before_ = previous_;
    top_now_ = now;
    if (terminal_) {
      DrawTop();
    } else if (!lines_) {
      const std::vector<TopRow> rows =
          TopRows(now, previous_ ? &*previous_ : nullptr, top_seconds_, screen_.group, screen_.sort);
      std::cout << TopJson(rows, screen_).dump() << "\n" << std::flush;
    }
  } else if (view) {
    if (terminal_)
      std::cout << "\033[H\033[2J";  // top-like: redraw in place
    std::cout << "=== zctrace, " << elapsed_s << " s elapsed (every " << *options_->interval_s
              << " s; Ctrl-C to stop) ===\n";
    // the interval's own rates first: running totals alone hide what the program does now
    const double seconds = elapsed_s - (previous_ ? previous_elapsed_ : 0.0);
    std::cout << IntervalRates(previous_ ? Since(now.totals, previous_->totals) : now.totals, seconds)
              << "\n";
    RendererFor(Format::kText).Render(now, {}, std::cout);
    std::cout << std::flush;
  }
  if (lines_) {
    RenderContext context;
    context.previous = previous_ ? &*previous_ : nullptr;
    context.elapsed_s = elapsed_s;
    context.timestamp = UtcTimestamp();
    RendererFor(Format::kJsonLines).Render(now, context, *lines_);
    *lines_ << std::flush;
  }
  previous_ = now;
  previous_elapsed_ = elapsed_s;
}

void LiveOutputs::Finish(const Report& final_report, double elapsed_s) {
  if (!lines_)
    return;
  *lines_ << JsonText(
                 JsonLinesEnd(final_report, previous_ ? &*previous_ : nullptr, elapsed_s, UtcTimestamp()))
          << "\n"
          << std::flush;
  lines_ = nullptr;
}

void LiveOutputs::DrawTop() {
  if (!top_now_)
    return;
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_row > 0 && size.ws_col > 0) {
    screen_.height = size.ws_row;
    screen_.width = size.ws_col;
  }
  const std::vector<TopRow> rows =
      TopRows(*top_now_, top_before_ ? &*top_before_ : nullptr, top_seconds_, screen_.group, screen_.sort);
  std::cout << "\033[H\033[2J" << RenderTop(rows, screen_) << std::flush;
}

bool LiveOutputs::Key(char key) {
  switch (key) {
    case 'q':
    case 'Q':
      return false;
    case 'c':
      screen_.sort = TopSort::kCpuCopied;
      break;
    case 'b':
      screen_.sort = TopSort::kBytes;
      break;
    case 's':
      screen_.sort = TopSort::kSwitches;
      break;
    case 'd':
      screen_.sort = TopSort::kDma;
      break;
    case 'g':
      screen_.group = screen_.group == TopGroup::kProcess ? TopGroup::kName
                      : screen_.group == TopGroup::kName  ? TopGroup::kCgroup
                                                          : TopGroup::kProcess;
      break;
    default:
      return true;
  }
  DrawTop();
  return true;
}

void LiveOutputs::Stop() {
  if (terminal_taken_) {
    std::cout << "\033[?25h\033[?1049l" << std::flush;
    terminal_taken_ = false;
  }
  if (saved_termios_) {
    tcsetattr(STDIN_FILENO, TCSANOW, &*saved_termios_);
    saved_termios_.reset();
  }
#ifdef ZCTRACE_HAVE_HTTPLIB
  if (server_) {
    server_->stop();
    if (server_thread_.joinable())
      server_thread_.join();
    server_.reset();
  }
#endif
}

}  // namespace zctrace
