// Renderers: each turns the same Report into one output format, and computes nothing of its own.
#pragma once

#include <iosfwd>
#include <string>

#include <nlohmann/json.hpp>

#include "report.h"

namespace zctrace {

// The output formats, behind one interface (as bpftrace's output.h): each renders the same Report and
// computes nothing of its own. A live output says where it stands in the context.
enum class Format { kText, kJson, kJsonLines, kPrometheus };

struct RenderContext {
  const Report* previous = nullptr;  // JSON Lines: the previous interval's report (null: the first)
  double elapsed_s = 0;              // JSON Lines: since tracing began
  std::string timestamp;             // JSON Lines: UTC, ISO 8601
  bool pid_label = false;            // Prometheus: a pid label (unbounded cardinality: off by default)
  bool per_connection = false;       // text: each grouped flow's connections
};

class Renderer {
 public:
  virtual ~Renderer() = default;
  virtual void Render(const Report& report, const RenderContext& context, std::ostream& out) const = 0;
};

const Renderer& RendererFor(Format format);

nlohmann::json ReportToJson(const Report& report);
// The parts other documents (check, demo, the JSON Lines records) share with the report.
nlohmann::json CopyToJson(const CopyFigure& copies, double per_byte);
nlohmann::json EndpointToJson(const Endpoint& endpoint);
nlohmann::json FlowToJson(const FlowReport& flow);
nlohmann::json StackToJson(const CallStack& stack);   // --stacks: one stack with its frames and counts
nlohmann::json SelfCostToJson(const SelfCost& cost);  // --self-cost
nlohmann::json TotalsToJson(const Totals& totals);
nlohmann::json RunToJson(const RunInfo& run, const std::string& kernel);
// JSON text that never throws: names from the kernel (comm, dentry names) need not be UTF-8, and a
// report must not be lost to one byte; invalid sequences become U+FFFD.
std::string JsonText(const nlohmann::json& j, int indent = -1);
// The same repair for any text: invalid UTF-8 sequences become U+FFFD.
std::string ValidUtf8(const std::string& text);
void RenderJson(const Report& report, std::ostream& out);
void RenderText(const Report& report, std::ostream& out, bool per_connection = false);
// Prometheus text exposition format; a pid label only with pid_label (unbounded cardinality).
std::string RenderPrometheus(const Report& report, bool pid_label);
// JSON Lines (--json-lines): a start record (what the kernel offers, once), an interval record per tick
// (running totals, what changed since `previous` — null: since the start — and the processes that
// changed, with their deltas), and an end record (the last, partial interval, and the whole final report).
inline constexpr const char* kJsonLinesSchema = "zctrace-lines/3";
nlohmann::json JsonLinesStart(const Report& report, const std::string& timestamp, double interval_s);
nlohmann::json JsonLine(const Report& report, const Report* previous, double elapsed_s,
                        const std::string& timestamp);
nlohmann::json JsonLinesEnd(const Report& report, const Report* previous, double elapsed_s,
                            const std::string& timestamp);

// "64.0 MiB", "512 B": binary units, one decimal.
std::string HumanBytes(uint64_t bytes);
// "1,234,567"
std::string GroupedCount(uint64_t n);
// "92%", "<1%" (a share that rounds to nothing is still there)
std::string Percent(double share);
// "1 chunk", "1,024 chunks": a count and the word that agrees with it.
std::string Counted(uint64_t n, const std::string& one, const std::string& many);
// One line of an interval's rates (what changed in `seconds`), for the refreshed text view: "last 1.0 s:
// moved 64.0 MiB/s · CPU-copied 64.0 MiB/s · DMA 0 B/s (M) · 2,048 mode switches/s".
std::string IntervalRates(const Totals& delta, double seconds);

}  // namespace zctrace
