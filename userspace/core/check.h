// `zctrace check`: does the traced program move its bulk data the way it should? A verdict over the
// report's flows, for CI pipelines.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "options.h"
#include "report.h"

namespace zctrace {

struct CheckedFlow {
  uint32_t pid = 0;
  std::string comm;
  FlowReport flow;
  bool ok = true;
  std::string reason;  // why it fails the bar
};

struct CheckVerdict {
  bool pass = false;
  std::vector<CheckedFlow> bulk;       // the flows of at least --min-bytes
  size_t small_writes_not_judged = 0;  // bulk-sized flows of small writes from memory (headers)
  std::string message;                 // one paragraph
};

CheckVerdict EvaluateCheck(const Report& report, const CheckOptions& options);
// The verdict as a document, with the report's run metadata.
nlohmann::json CheckToJson(const CheckVerdict& verdict, const CheckOptions& options, const Report& report);

}  // namespace zctrace
