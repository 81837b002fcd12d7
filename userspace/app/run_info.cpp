#include "run_info.h"

#include <time.h>
#include <unistd.h>

#include <climits>
#include <cstdio>

namespace zctrace {

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

RunInfo DescribeRun(const Options& options, const std::vector<std::string>& argv) {
  RunInfo run;
  run.tool_version = ToolVersion();
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof(host) - 1) == 0)
    run.hostname = host;
  run.argv = argv;
  for (const int pid : options.pids)
    run.pids.push_back(static_cast<uint32_t>(pid));
  run.command = options.command;
  run.cgroup = options.cgroup.value_or("");
  run.comm = options.comm.value_or("");
  run.all = options.all;
  return run;
}

}  // namespace zctrace
