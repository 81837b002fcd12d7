#include "check.h"

#include <algorithm>
#include <sstream>

#include "flows.h"
#include "render.h"
#include "zero_copy.h"

namespace zctrace {
namespace {

std::string Describe(const CheckedFlow& c) {
  std::ostringstream s;
  s << c.flow.method << (c.flow.source.kind == Kind::kUser ? "" : " " + c.flow.source.name) << " → "
    << c.flow.sink.name << " (pid " << c.pid << " " << c.comm << ", " << HumanBytes(c.flow.bytes) << ", "
    << Counted(static_cast<uint64_t>(c.flow.cpu_copies_per_byte), "CPU copy", "CPU copies") << "/byte)";
  return s.str();
}

// Flows named in the message; the JSON lists them all.
constexpr size_t kListed = 5;
// Writes from memory of less than this a chunk, on average, are headers and framing, not bulk data.
constexpr uint64_t kSmallWrite = 4096;

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
      // Protocol headers and framing are written from memory in small pieces next to any zero-copy
      // payload (sendfile needs its response header written): they are not the bulk data a gate is for.
      if (flow.method == FlowMethodName(ZC_FLOW_FROM_MEMORY) && flow.chunks &&
          flow.bytes / flow.chunks < kSmallWrite) {
        ++v.small_writes_not_judged;
        continue;
      }
      CheckedFlow c{proc.pid, proc.comm, flow, true, ""};
      const std::optional<ZeroCopyVerdict>& claim = flow.zero_copy;
      const bool claim_failed =
          claim && (claim->achieved == Achieved::kCopied || claim->achieved == Achieved::kPartlyCopied);
      if (options.expect && *options.expect == kExpectZeroCopy) {
        if (!claim) {
          c.ok = false;
          c.reason = "asks for no zero copy (" + flow.method + ")";
        } else if (claim_failed) {
          c.ok = false;
          c.reason = "asked for " + claim->claimed + " and got " +
                     std::string(AchievedName(claim->achieved)) + " (" +
                     std::string(BasisName(claim->basis)) + "): " + claim->reason;
        } else if (flow.cpu_copies_per_byte > options.max_cpu_copies_per_byte) {
          c.ok = false;
          c.reason = "got " + claim->claimed + " but still costs " +
                     Counted(static_cast<uint64_t>(flow.cpu_copies_per_byte), "CPU copy", "CPU copies") +
                     " per byte (bar: " + Number(options.max_cpu_copies_per_byte) + ")";
        }
      } else if (options.expect && flow.method != *options.expect) {
        c.ok = false;
        c.reason = "uses " + flow.method + ", not " + *options.expect;
      } else if (flow.cpu_copies_per_byte > options.max_cpu_copies_per_byte) {
        c.ok = false;
        c.reason = "costs " + std::to_string(flow.cpu_copies_per_byte) +
                   (flow.cpu_copies_per_byte == 1 ? " CPU copy" : " CPU copies") +
                   " per byte (bar: " + Number(options.max_cpu_copies_per_byte) + ")";
      }
      // a failure of a flow that asked for zero copy: what the kernel did instead (said once)
      if (!c.ok && claim_failed && c.reason.find(claim->reason) == std::string::npos) {
        c.reason += "; it asked for " + claim->claimed + " and got " +
                    std::string(AchievedName(claim->achieved)) + ": " + claim->reason;
      }
      if (!c.ok && !flow.advice.empty())
        c.reason += "; " + flow.advice;
      // --stacks: where in the program, so that the failure points at the code to change
      if (!c.ok && !flow.call_site_advice.empty())
        c.reason += "; " + flow.call_site_advice;
      else if (!c.ok && !flow.call_sites.empty() && !flow.call_sites.front().functions.empty())
        c.reason += "; mostly from " + flow.call_sites.front().functions.front();
      v.bulk.push_back(std::move(c));
    }
  }
  std::ostringstream m;
  size_t failed = 0;
  for (const CheckedFlow& c : v.bulk)
    failed += !c.ok;
  if (v.bulk.empty()) {
    // A gate that passes when nothing was moved would pass a broken service: say what was seen, and fail.
    const CheckedFlow* largest = nullptr;
    CheckedFlow candidate;
    for (const ProcessReport& proc : report.processes) {
      for (const FlowReport& flow : proc.flows) {
        if (!largest || flow.bytes > candidate.flow.bytes) {
          candidate = CheckedFlow{proc.pid, proc.comm, flow, true, ""};
          largest = &candidate;
        }
      }
    }
    m << "zctrace check: FAIL — ";
    if (report.totals.bytes_moved == 0) {
      m << "the traced processes moved no data, so nothing could be checked (were they idle, or is it the "
           "wrong process?).";
    } else if (!largest) {
      m << "the traced processes moved " << HumanBytes(report.totals.bytes_moved)
        << ", but in no flow zctrace could follow, so nothing could be checked.";
    } else {
      m << "the traced processes moved " << HumanBytes(report.totals.bytes_moved)
        << ", but no single flow of " << HumanBytes(options.min_bytes) << " (--min-bytes); the largest was "
        << Describe(*largest) << ".";
    }
  } else {
    // the worst first: the most bytes copied by the CPU
    std::vector<const CheckedFlow*> order;
    for (const CheckedFlow& c : v.bulk)
      order.push_back(&c);
    std::stable_sort(order.begin(), order.end(), [](const CheckedFlow* a, const CheckedFlow* b) {
      if (a->ok != b->ok)
        return !a->ok;
      return a->flow.bytes * static_cast<uint64_t>(a->flow.cpu_copies_per_byte + 1) >
             b->flow.bytes * static_cast<uint64_t>(b->flow.cpu_copies_per_byte + 1);
    });
    const size_t listed = std::min<size_t>(kListed, failed ? failed : order.size());
    if (failed == 0) {
      v.pass = true;
      m << "zctrace check: PASS — " << v.bulk.size()
        << (v.bulk.size() == 1 ? " bulk flow meets" : " bulk flows meet") << " the bar (at most "
        << Number(options.max_cpu_copies_per_byte) << " CPU copies per byte"
        << (!options.expect                      ? std::string()
            : *options.expect == kExpectZeroCopy ? std::string(", zero copy asked for and achieved")
                                                 : ", method " + *options.expect)
        << "): ";
    } else {
      m << "zctrace check: FAIL — " << failed << " of " << v.bulk.size()
        << (v.bulk.size() == 1 ? " bulk flow" : " bulk flows") << (failed == 1 ? " misses" : " miss")
        << " the bar: ";
    }
    for (size_t i = 0; i < listed; ++i) {
      m << (i ? "; " : "") << Describe(*order[i]);
      if (!order[i]->ok)
        m << " " << order[i]->reason;
    }
    const size_t more = (failed ? failed : order.size()) - listed;
    if (more)
      m << "; and " << more << " more";
    m << ".";
  }
  if (v.small_writes_not_judged) {
    m << " Not judged: " << v.small_writes_not_judged << " flow"
      << (v.small_writes_not_judged == 1 ? "" : "s") << " of small writes from memory (under "
      << HumanBytes(kSmallWrite) << " a write on average: headers, framing).";
  }
  v.message = m.str();
  return v;
}

nlohmann::json CheckToJson(const CheckVerdict& verdict, const CheckOptions& options, const Report& report) {
  nlohmann::json flows = nlohmann::json::array();
  for (const CheckedFlow& c : verdict.bulk) {
    flows.push_back(
        {{"pid", c.pid}, {"comm", c.comm}, {"ok", c.ok}, {"reason", c.reason}, {"flow", FlowToJson(c.flow)}});
  }
  return {{"schema", "zctrace-check/2"},
          {"run", RunToJson(report.run, report.kernel)},
          {"verdict", verdict.pass ? "pass" : "fail"},
          {"max_cpu_copies_per_byte", options.max_cpu_copies_per_byte},
          {"min_bytes", options.min_bytes},
          {"expect", options.expect ? nlohmann::json(*options.expect) : nlohmann::json(nullptr)},
          {"bulk_flows", flows},
          {"small_writes_not_judged", verdict.small_writes_not_judged},
          {"message", verdict.message}};
}

}  // namespace zctrace
