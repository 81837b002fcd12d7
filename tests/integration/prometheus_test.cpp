// A real Prometheus server (Debian's prometheus package) scrapes zctrace while a workload runs; its
// HTTP API must then return the counter value the workload is known to have produced.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "harness.h"

namespace zctrace::testing {
namespace {

using nlohmann::json;

// The value of an instant query, or -1.
double Query(int prometheus_port, const std::string& promql) {
  httplib::Client client("127.0.0.1", prometheus_port);
  auto res = client.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
  if (!res || res->status != 200)
    return -1;
  const json body = json::parse(res->body, nullptr, false);
  if (body.is_discarded() || body.value("status", "") != "success" || body["data"]["result"].empty())
    return -1;
  return std::stod(body["data"]["result"][0]["value"][1].get<std::string>());
}

TEST(Prometheus, ARealServerScrapesAKnownCounter) {
  REQUIRE_ROOT();
  if (access("/usr/bin/prometheus", X_OK) != 0)
    GTEST_SKIP() << "the prometheus package is not installed (scripts/install-deps.sh installs it)";
  const int exporter_port = FreeLoopbackPort(), prometheus_port = FreeLoopbackPort();
  const std::string dir = TempPath("prometheus");
  ASSERT_EQ(system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()), 0);
  std::ofstream(dir + "/prometheus.yml") << "global:\n  scrape_interval: 1s\n"
                                         << "scrape_configs:\n  - job_name: zctrace\n    static_configs:\n"
                                         << "      - targets: ['127.0.0.1:" << exporter_port << "']\n";
  const pid_t prometheus =
      SpawnProgram({"/usr/bin/prometheus", "--config.file=" + dir + "/prometheus.yml",
                    "--storage.tsdb.path=" + dir + "/data",
                    "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)});
  // dd reads 3000 blocks, then the command lives on so that Prometheus scrapes the final count
  const pid_t zc =
      SpawnProgram({ZctraceBin(), "-q", "--prometheus", std::to_string(exporter_port), "--", "/bin/sh", "-c",
                    "/bin/dd if=/dev/zero of=/dev/null bs=64k count=3000 status=none; sleep 12"});
  const std::string promql =
      "sum(zctrace_syscalls_total{job=\"zctrace\",comm=\"dd\",method=\"read\",source=\"zero\"})";
  double value = -1;
  for (int i = 0; i < 60 && value != 3000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    value = Query(prometheus_port, promql);
  }
  const double bytes =
      Query(prometheus_port, "sum(zctrace_moved_bytes_total{comm=\"dd\",method=\"read\",source=\"zero\"})");
  kill(zc, SIGTERM);
  kill(prometheus, SIGTERM);
  int status;
  waitpid(zc, &status, 0);
  waitpid(prometheus, &status, 0);
  system(("rm -rf " + dir).c_str());
  EXPECT_EQ(value, 3000) << "Prometheus's view of zctrace_syscalls_total";
  EXPECT_EQ(bytes, 3000.0 * 65536);
}

TEST(Prometheus, TheEndpointBindsLoopbackByDefault) {
  REQUIRE_ROOT();
  const int port = FreeLoopbackPort();
  // the traced command outlives the polling: the endpoint lives while tracing, and loading may take
  // seconds on a busy machine (SIGTERM ends both)
  const pid_t zc =
      SpawnProgram({ZctraceBin(), "-q", "--prometheus", std::to_string(port), "--", "/bin/sleep", "60"});
  std::string metrics;
  for (int i = 0; i < 300 && metrics.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    httplib::Client client("127.0.0.1", port);
    if (auto res = client.Get("/metrics"))
      metrics = res->body;
  }
  const RunResult ss = RunProgram({"/usr/bin/ss", "-Hltn", "sport = :" + std::to_string(port)});
  kill(zc, SIGTERM);
  int status;
  waitpid(zc, &status, 0);
  EXPECT_NE(metrics.find("# TYPE zctrace_syscalls_total counter"), std::string::npos);
  EXPECT_NE(ss.out.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << ss.out;
  EXPECT_EQ(ss.out.find("0.0.0.0:" + std::to_string(port)), std::string::npos) << ss.out;
  EXPECT_EQ(ss.out.find("*:" + std::to_string(port)), std::string::npos) << ss.out;
}

TEST(Prometheus, APortInUseIsAOneLineError) {
  REQUIRE_ROOT();
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  listen(fd, 1);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const RunResult r =
      RunProgram({ZctraceBin(), "--prometheus", std::to_string(ntohs(addr.sin_port)), "--", "/bin/true"});
  close(fd);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot listen"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace zctrace::testing
