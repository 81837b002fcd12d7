// Flows and the mmap hazard on real processes: the relay a user would write, named end to end.
#include <gtest/gtest.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>

#include <unistd.h>
#include <cstdio>

#include "harness.h"

namespace zctrace::testing {
namespace {

using nlohmann::json;

class Flows : public ::testing::Test {
 protected:
  static std::string source_;
  static void SetUpTestSuite() {
    if (!IsRoot())
      return;
    source_ = "/var/tmp/zctrace-flows-test-" + std::to_string(getpid()) + ".bin";
    const RunResult r = RunProgram({WorkloadBin(), "prepare", "--file", source_, "--bytes", "16M"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    if (!source_.empty())
      unlink(source_.c_str());
  }

  // The sender's flows for one transfer to a TCP loopback peer.
  json SenderFlows(const std::string& method) {
    const Traced t = RunTraced({"--", WorkloadBin(), "run", "--method", method, "--sink", "tcp", "--file",
                                source_, "--bytes", "16M", "--report", "/dev/null"});
    EXPECT_EQ(t.run.exit_code, 0) << t.run.err;
    return t.report.at("processes").at(0).at("flows");
  }

  static const json& Bulk(const json& flows) {
    EXPECT_FALSE(flows.empty());
    return flows.at(0);  // sorted by bytes
  }
};
std::string Flows::source_;

TEST_F(Flows, ReadWriteRelayIsOneFlowWithBothEndsNamed) {
  REQUIRE_ROOT();
  const json flows = SenderFlows("read-write");
  const json& f = Bulk(flows);
  EXPECT_EQ(f.at("method"), "read+write");
  EXPECT_EQ(f.at("bytes"), 16u << 20);
  EXPECT_EQ(f.at("chunks"), 256);
  EXPECT_EQ(f.at("source").at("name"), source_);
  EXPECT_EQ(f.at("source").at("kind"), "file");
  EXPECT_EQ(f.at("sink").at("kind"), "tcp");
  EXPECT_EQ(f.at("sink").at("name").get<std::string>().rfind("tcp 127.0.0.1:", 0), 0u) << f.dump();
  EXPECT_TRUE(f.at("sink").at("loopback").get<bool>());
  EXPECT_EQ(f.at("source").at("path"), source_);
  EXPECT_EQ(f.at("sink").at("local").at("ip"), "127.0.0.1");
  EXPECT_GT(f.at("sink").at("peer").at("port").get<int>(), 0);
  EXPECT_EQ(f.at("copies").at("cpu").at("per_byte"), 2);
  EXPECT_EQ(f.at("mode_switches").at("per_chunk"), 4);
  EXPECT_EQ(f.at("advice").at("method"), "sendfile");
  EXPECT_EQ(f.at("advice").at("cpu_bytes_saved"), 2u * (16u << 20));
}

TEST_F(Flows, SendfileIsAZeroCopyFlow) {
  REQUIRE_ROOT();
  const json flows = SenderFlows("sendfile");
  const json& f = Bulk(flows);
  EXPECT_EQ(f.at("method"), "sendfile");
  EXPECT_EQ(f.at("source").at("name"), source_);
  EXPECT_EQ(f.at("copies").at("cpu").at("per_byte"), 0);
  EXPECT_TRUE(f.at("advice").is_null());
}

TEST_F(Flows, MmapWriteIsRecognised) {
  REQUIRE_ROOT();
  const json flows = SenderFlows("mmap-write");
  const json& f = Bulk(flows);
  EXPECT_EQ(f.at("method"), "mmap+write");
  EXPECT_EQ(f.at("source").at("name"), source_);
  EXPECT_EQ(f.at("bytes"), 16u << 20);
  EXPECT_EQ(f.at("copies").at("cpu").at("per_byte"), 1);
}

TEST_F(Flows, SpliceThroughAPipeIsOneSpliceFlow) {
  REQUIRE_ROOT();
  const json flows = SenderFlows("splice");
  const json& f = Bulk(flows);
  EXPECT_EQ(f.at("method"), "splice");
  EXPECT_EQ(f.at("source").at("name"), source_);
  EXPECT_EQ(f.at("sink").at("kind"), "tcp");
  EXPECT_EQ(f.at("bytes"), 16u << 20);
  EXPECT_EQ(f.at("copies").at("cpu").at("per_byte"), 0);
  for (const json& other : flows)
    EXPECT_NE(other.at("sink").at("kind"), "pipe") << "an unfolded leg: " << other;
}

// A write is paired with the reads that filled its buffer, whichever thread made them; what the program
// made itself is from memory, and a file it read and never wrote is in no flow.
TEST_F(Flows, AWriteIsPairedWithTheReadThatFilledItsBufferInAnyThread) {
  REQUIRE_ROOT();
  const std::string noise = TempPath("relay.conf"), out = TempPath("relay.out");
  {
    const RunResult w = RunProgram({"/bin/sh", "-c", "echo 'listen 8080;' > " + noise});
    ASSERT_EQ(w.exit_code, 0) << w.err;
  }
  const Traced t = RunTraced({"--", RELAY_THREADS_BIN, source_, noise, out});
  // the kernel names files by their real path (in the 6.1 guest /tmp is a link to /var/tmp)
  char real[PATH_MAX];
  const std::string out_name = realpath(out.c_str(), real) ? real : out;
  const std::string noise_name = realpath(noise.c_str(), real) ? real : noise;
  unlink(noise.c_str());
  unlink(out.c_str());
  ASSERT_EQ(t.run.exit_code, 0) << t.run.err;
  size_t tagged = 0;
  ASSERT_EQ(std::sscanf(t.run.out.c_str(), "tagged %zu", &tagged), 1) << t.run.out;
  const json* relay = FindProcess(t.report, "relay_threads");
  ASSERT_NE(relay, nullptr) << t.report.dump(1);
  uint64_t from_source = 0, from_memory = 0;
  for (const json& f : relay->at("flows")) {
    const std::string source = f.at("source").at("name");
    EXPECT_NE(source, noise_name) << "a file the program never wrote: " << f.dump();
    if (f.at("sink").at("name") != out_name)
      continue;
    if (f.at("method") == "read+write" && source == source_)
      from_source += f.at("bytes").get<uint64_t>();
    else if (f.at("method") == "from memory")
      from_memory += f.at("bytes").get<uint64_t>();
    else
      ADD_FAILURE() << "unexpected flow: " << f.dump();
  }
  EXPECT_EQ(from_source, 16u << 20);
  EXPECT_EQ(from_memory, 100 + 64 + 16 * tagged);
}

// An event loop turning over more connections than any per-thread memo or record holds: every call and
// byte counted exactly, each flow's bytes, and an fd number that becomes another kind of file counted as
// what it is now.
TEST_F(Flows, AnEventLoopTurningOverManyConnectionsIsCountedExactly) {
  REQUIRE_ROOT();
  constexpr uint64_t kConnections = 40, kRounds = 30, kRequests = kConnections * kRounds;
  const Traced t =
      RunTraced({"--", ROUND_ROBIN_BIN, std::to_string(kConnections), std::to_string(kRounds), source_});
  ASSERT_EQ(t.run.exit_code, 0) << t.run.err;
  uint64_t reads = 0;
  int port = 0;
  ASSERT_EQ(std::sscanf(t.run.out.c_str(), "reads %lu port %d", &reads, &port), 2) << t.run.out;
  const json* p = FindProcess(t.report, "round_robin");
  ASSERT_NE(p, nullptr) << t.report.dump(1);
  const struct {
    const char* method;
    const char* source;
    const char* sink;
    uint64_t calls, bytes;
  } paths[] = {
      {"sendto", "user", "tcp", kRequests, 80 * kRequests},
      {"recvfrom", "tcp", "user", kRequests, 80 * kRequests},
      {"write", "user", "tcp", kRequests, 80 * kRequests},
      {"writev", "user", "tcp", kRequests, 200 * kRequests},
      {"sendfile", "file", "tcp", kRequests, 4096 * kRequests},
      {"read", "tcp", "user", reads, (80 + 200 + 4096) * kRequests},
      {"write", "user", "null", 1, 100},
  };
  for (const auto& want : paths) {
    EXPECT_EQ(PathField(*p, want.method, want.source, want.sink, "calls"), want.calls)
        << want.method << " " << want.source << " -> " << want.sink;
    EXPECT_EQ(PathField(*p, want.method, want.source, want.sink, "bytes"), want.bytes)
        << want.method << " " << want.source << " -> " << want.sink;
  }
  const std::string accepted = "tcp 127.0.0.1:" + std::to_string(port) + " (accepted)";
  const struct {
    std::string method, source, sink;
    uint64_t bytes;
  } flows[] = {
      {"sendfile", source_, accepted, 4096 * kRequests},
      {"read+write", accepted, accepted, 80 * kRequests},
      {"from memory", "memory", accepted, 200 * kRequests},
      {"from memory", "memory", "tcp → 127.0.0.1:" + std::to_string(port), 80 * kRequests},
  };
  for (const auto& want : flows) {
    uint64_t bytes = 0, connections = 0;
    for (const json& f : p->at("flows")) {
      if (f.at("method") == want.method && f.at("source").at("group") == want.source &&
          f.at("sink").at("group") == want.sink) {
        bytes += f.at("bytes").get<uint64_t>();
        connections += f.at("connections").get<uint64_t>();
      }
    }
    EXPECT_EQ(bytes, want.bytes) << want.method << " " << want.source << " -> " << want.sink << "\n"
                                 << p->at("flows").dump(1);
    EXPECT_EQ(connections, kConnections) << want.method << " " << want.source << " -> " << want.sink;
  }
}

std::string Victim() {
  return SIGBUS_VICTIM_BIN;
}

TEST(FlowsMmapHazard, SigbusFromATruncatedMappingIsReported) {
  REQUIRE_ROOT();
  const std::string file = TempPath("victim.map");
  const Traced t = RunTraced({"--", Victim(), file});
  unlink(file.c_str());
  EXPECT_EQ(t.run.exit_code, 128 + SIGBUS);
  const json* victim = FindProcess(t.report, "sigbus_victim");
  ASSERT_NE(victim, nullptr) << t.report.dump(1);
  EXPECT_EQ(victim->at("mmap_hazard").at("sigbus"), 1);
  EXPECT_FALSE(victim->at("mmap_hazard").at("sigbus_handler").get<bool>());
  bool warned = false;
  for (const json& w : t.report.at("warnings"))
    warned |= w.get<std::string>().find("SIGBUS") != std::string::npos;
  EXPECT_TRUE(warned) << t.report.at("warnings");
}

TEST(FlowsMmapHazard, DefencesAreSeen) {
  REQUIRE_ROOT();
  const std::string file = TempPath("victim2.map");
  const Traced t = RunTraced({"--", Victim(), "--handler", "--lease", file});
  unlink(file.c_str());
  EXPECT_EQ(t.run.exit_code, 42);  // the handler ran
  const json* victim = FindProcess(t.report, "sigbus_victim");
  ASSERT_NE(victim, nullptr);
  EXPECT_EQ(victim->at("mmap_hazard").at("sigbus"), 1);
  EXPECT_TRUE(victim->at("mmap_hazard").at("sigbus_handler").get<bool>());
  EXPECT_TRUE(victim->at("mmap_hazard").at("file_lease").get<bool>());
}

}  // namespace
}  // namespace zctrace::testing
