#include "live.h"

#ifdef ZCTRACE_HAVE_HTTPLIB
#include <httplib.h>
#endif
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <sstream>

#include "render.h"

#ifndef ZCTRACE_HAVE_HTTPLIB
// Built without cpp-httplib (ZCTRACE_STATIC: Debian ships it as a shared library only). No server is ever
// made; the type only has to be complete for the unique_ptr member's destructor.
namespace httplib {
class Server {};
}  // namespace httplib
#endif

namespace zctrace {
namespace {

std::string UtcTimestamp() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm utc{};
  gmtime_r(&ts.tv_sec, &utc);
  char buf[40];
  const size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &utc);
  snprintf(buf + n, sizeof(buf) - n, ".%03ldZ", ts.tv_nsec / 1000000);
  return buf;
}

}  // namespace

LiveOutputs::LiveOutputs() = default;

LiveOutputs::~LiveOutputs() {
  Stop();
}

bool LiveOutputs::Start(const Options& options, Tracer& tracer, const AggregateOptions& measured,
                        std::string* error) {
  options_ = &options;
  tracer_ = &tracer;
  measured_ = measured;
  terminal_ = isatty(STDOUT_FILENO);
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
  return true;
}

Report LiveOutputs::Current() {
  std::lock_guard<std::mutex> lock(read_mutex_);
  return Aggregate(tracer_->Read(), measured_);
}

void LiveOutputs::Tick(double elapsed_s) {
  const bool view =
      !options_->quiet && !(options_->json_path && *options_->json_path == "-") && lines_ != &std::cout;
  if (!view && !lines_)
    return;
  const Report now = Current();
  if (view) {
    if (terminal_)
      std::cout << "\033[H\033[2J";  // top-like: redraw in place
    std::cout << "=== zctrace, " << elapsed_s << " s elapsed (every " << *options_->interval_s
              << " s; Ctrl-C to stop) ===\n";
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
}

void LiveOutputs::Stop() {
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
