#include "check.h"

#include <sstream>

#include "render.h"

namespace zctrace {
namespace {

std::string Describe(const CheckedFlow& c) {
  std::ostringstream s;
  s << c.flow.method << " " << c.flow.source.name << " → " << c.flow.sink.name << " (pid " << c.pid << " "
    << c.comm << ", " << HumanBytes(c.flow.bytes) << ", " << c.flow.cpu_copies_per_byte
    << " CPU copies/byte)";
  return s.str();
}

std::string Number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

CheckVerdict EvaluateCheck(const Report& report, const CheckOptions& options) {
  CheckVerdict v;
  for (const ProcessReport& proc : report.processes) {
    for (const FlowReport& flow : proc.flows) {
      if (flow.bytes < options.min_bytes)
        continue;
      CheckedFlow c{proc.pid, proc.comm, flow, true, ""};
      if (options.expect && flow.method != *options.expect) {
        c.ok = false;
        c.reason = "uses " + flow.method + ", not " + *options.expect;
      } else if (flow.cpu_copies_per_byte > options.max_cpu_copies_per_byte) {
        c.ok = false;
        c.reason = "costs " + std::to_string(flow.cpu_copies_per_byte) +
                   " CPU copies per byte (bar: " + Number(options.max_cpu_copies_per_byte) + ")";
      }
      if (!c.ok && !flow.advice.empty())
        c.reason += "; " + flow.advice;
      v.bulk.push_back(std::move(c));
    }
  }
  std::ostringstream m;
  size_t failed = 0;
  for (const CheckedFlow& c : v.bulk)
    failed += !c.ok;
  if (v.bulk.empty()) {
    // A gate that passes when nothing was moved would pass a broken service: say so and fail.
    m << "zctrace check: FAIL — no flow of at least " << HumanBytes(options.min_bytes)
      << " was seen, so nothing could be checked (is --min-bytes too high, or did the program move no "
         "data?).";
  } else if (failed == 0) {
    v.pass = true;
    m << "zctrace check: PASS — " << v.bulk.size() << " bulk flow" << (v.bulk.size() == 1 ? "" : "s")
      << " meet the bar (at most " << Number(options.max_cpu_copies_per_byte) << " CPU copies per byte"
      << (options.expect ? ", method " + *options.expect : std::string()) << "): ";
    for (size_t i = 0; i < v.bulk.size(); ++i)
      m << (i ? "; " : "") << Describe(v.bulk[i]);
    m << ".";
  } else {
    m << "zctrace check: FAIL — " << failed << " of " << v.bulk.size() << " bulk flow"
      << (v.bulk.size() == 1 ? "" : "s") << " miss the bar: ";
    bool first = true;
    for (const CheckedFlow& c : v.bulk) {
      if (c.ok)
        continue;
      m << (first ? "" : "; ") << Describe(c) << " " << c.reason;
      first = false;
    }
    m << ".";
  }
  v.message = m.str();
  return v;
}

nlohmann::json CheckToJson(const CheckVerdict& verdict, const CheckOptions& options) {
  nlohmann::json flows = nlohmann::json::array();
  for (const CheckedFlow& c : verdict.bulk) {
    flows.push_back({{"pid", c.pid},
                     {"comm", c.comm},
                     {"method", c.flow.method},
                     {"source", c.flow.source.name},
                     {"sink", c.flow.sink.name},
                     {"bytes", c.flow.bytes},
                     {"cpu_copies_per_byte", c.flow.cpu_copies_per_byte},
                     {"ok", c.ok},
                     {"reason", c.reason}});
  }
  return {{"schema", "zctrace-check/1"},
          {"verdict", verdict.pass ? "pass" : "fail"},
          {"max_cpu_copies_per_byte", options.max_cpu_copies_per_byte},
          {"min_bytes", options.min_bytes},
          {"expect", options.expect ? nlohmann::json(*options.expect) : nlohmann::json(nullptr)},
          {"bulk_flows", flows},
          {"message", verdict.message}};
}

}  // namespace zctrace
