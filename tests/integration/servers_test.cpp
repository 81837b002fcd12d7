// Real servers from Debian (scripts/install-deps.sh installs them), started and stopped by the tests on
// loopback and traced as a user traces a live service (-p, -d), with every flow held to the bytes the test
// knows were sent.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "harness.h"

namespace zctrace::testing {
namespace {

using nlohmann::json;

constexpr uint64_t kFileBytes = 4u << 20;
constexpr int kDownloads = 3;

bool Connects(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// Whether something listens on the loopback TCP port, without connecting to it (iperf3 -1 would take a
// probe's connection for its one client).
bool Listening(int port) {
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  char wanted[16];
  std::snprintf(wanted, sizeof(wanted), ":%04X", port);
  while (std::getline(tcp, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    if (state == "0A" && local.size() > 5 && local.substr(local.size() - 5) == wanted)
      return true;
  }
  return false;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// nginx (master and one worker) serving one file of kFileBytes from a directory of its own.
class Nginx {
 public:
  struct Config {
    bool sendfile = true;
    bool aio_threads = false;
    int workers = 1;
  };

  Nginx(const std::string& binary, Config config) : dir_(TempPath("nginx")), port_(FreeLoopbackPort()) {
    // the worker runs as nobody: the files it serves must be world-readable
    mkdir(dir_.c_str(), 0755);
    mkdir((dir_ + "/www").c_str(), 0755);
    file_ = dir_ + "/www/file.bin";
    const RunResult prepared = RunProgram({WorkloadBin(), "prepare", "--file", file_, "--bytes", "4M"});
    EXPECT_EQ(prepared.exit_code, 0) << prepared.err;
    chmod(file_.c_str(), 0644);
    small_ = dir_ + "/www/small.bin";
    const RunResult small = RunProgram({WorkloadBin(), "prepare", "--file", small_, "--bytes", "1K"});
    EXPECT_EQ(small.exit_code, 0) << small.err;
    chmod(small_.c_str(), 0644);
    std::ofstream conf(dir_ + "/nginx.conf");
    conf << "daemon off;\nmaster_process on;\nworker_processes " << config.workers << ";\npid " << dir_
         << "/nginx.pid;\n"
         << "error_log " << dir_ << "/error.log warn;\nevents { worker_connections 256; }\n"
         << "http {\n  access_log off;\n  sendfile " << (config.sendfile ? "on" : "off") << ";\n"
         << (config.aio_threads ? "  aio threads;\n" : "") << "  server {\n    listen 127.0.0.1:" << port_
         << ";\n    root " << dir_ << "/www;\n  }\n}\n";
    conf.close();
    master_ = SpawnProgram({binary, "-p", dir_, "-c", dir_ + "/nginx.conf", "-e", dir_ + "/error.log"},
                           dir_ + "/stderr.log");
    for (int i = 0; i < 500 && (!Connects(port_) || Pids().size() < 1u + config.workers); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  ~Nginx() {
    if (master_ > 0) {
      kill(master_, SIGQUIT);
      ReapProgram(master_, 10);
    }
    RunProgram({"/bin/rm", "-rf", dir_});
  }

  bool Up() const { return Connects(port_); }
  std::string Log() const { return ReadFile(dir_ + "/stderr.log") + ReadFile(dir_ + "/error.log"); }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/file.bin"; }
  std::string SmallUrl() const { return "http://127.0.0.1:" + std::to_string(port_) + "/small.bin"; }
  const std::string& File() const { return file_; }
  const std::string& SmallFile() const { return small_; }
  int Port() const { return port_; }

  pid_t Master() const { return master_; }

  // The master and its workers, for -p.
  std::vector<pid_t> Pids() const {
    std::vector<pid_t> pids{master_};
    std::istringstream children(
        ReadFile("/proc/" + std::to_string(master_) + "/task/" + std::to_string(master_) + "/children"));
    for (pid_t p; children >> p;)
      pids.push_back(p);
    return pids;
  }

 private:
  std::string dir_;
  int port_;
  std::string file_, small_;
  pid_t master_ = -1;
};

std::string PidList(const std::vector<pid_t>& pids) {
  std::string s;
  for (pid_t p : pids)
    s += (s.empty() ? "" : ",") + std::to_string(p);
  return s;
}

class Servers : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!IsRoot())
      GTEST_SKIP() << "needs root to load BPF programs";
    nginx_ = FindProgram("nginx");
    if (nginx_.empty())
      nginx_ = access("/usr/sbin/nginx", X_OK) == 0 ? "/usr/sbin/nginx" : "";
    curl_ = FindProgram("curl");
    if (nginx_.empty() || curl_.empty())
      GTEST_SKIP() << "nginx or curl is not installed here (scripts/install-deps.sh installs both)";
  }

  // zctrace (ARGS) -p nginx's processes -d SECONDS while curl downloads the file kDownloads times: its
  // exit code, and the JSON it wrote.
  std::pair<int, json> TraceDownloads(Nginx& server, const std::vector<std::string>& args,
                                      bool master_only = false) {
    return TraceWhile(
        server, args,
        [&] {
          for (int i = 0; i < kDownloads; ++i) {
            const RunResult got = RunProgram({curl_, "-sf", "-o", "/dev/null", server.Url()});
            EXPECT_EQ(got.exit_code, 0) << got.err << server.Log();
          }
        },
        master_only);
  }

  // The same around any load.
  // -p names every nginx process, or with `master_only` the master alone (its workers are its descendants).
  template <typename Load>
  std::pair<int, json> TraceWhile(Nginx& server, const std::vector<std::string>& args, Load load,
                                  bool master_only = false) {
    const std::string json_path = TempPath("server.json"), log = TempPath("server.log");
    std::vector<std::string> argv{ZctraceBin()};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::vector<pid_t> pids = server.Pids();
    EXPECT_GE(pids.size(), 2u) << "no nginx worker: " << server.Log();
    for (const std::string& a :
         {std::string("-p"), master_only ? std::to_string(server.Master()) : PidList(pids), std::string("-d"),
          std::string("6"), std::string("--json"), json_path})
      argv.push_back(a);
    const std::set<int> earlier_maps = TracedMapIds();
    const pid_t zc = SpawnProgram(argv, log);
    EXPECT_TRUE(WaitUntilTraced(pids.back(), 30, earlier_maps)) << ReadFile(log);
    load();
    const int rc = ReapProgram(zc, 60);
    const json j = json::parse(ReadFile(json_path), nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << ReadFile(log);
    unlink(json_path.c_str());
    unlink(log.c_str());
    return {rc, j};
  }

  std::string nginx_, curl_;
};

// The bytes of the flows in a report's processes with this method from `source` to a TCP socket.
uint64_t FlowBytesToTcp(const json& report, const std::string& method, const std::string& source) {
  uint64_t bytes = 0;
  for (const json& p : report.at("processes"))
    for (const json& f : p.at("flows"))
      if (f.at("method") == method && f.at("source").at("name") == source && f.at("sink").at("kind") == "tcp")
        bytes += f.at("bytes").get<uint64_t>();
  return bytes;
}

TEST_F(Servers, NginxWithSendfilePassesCheck) {
  Nginx server(nginx_, {true, false});
  ASSERT_TRUE(server.Up()) << server.Log();
  const auto [rc, verdict] = TraceDownloads(server, {"check", "--min-bytes", "1M"});
  EXPECT_EQ(rc, 0) << verdict.dump(1);
  uint64_t sendfile_bytes = 0;
  for (const json& checked : verdict.at("bulk_flows")) {
    EXPECT_TRUE(checked.at("ok").get<bool>()) << checked.dump();
    const json& f = checked.at("flow");
    if (f.at("method") == "sendfile" && f.at("source").at("path") == server.File())
      sendfile_bytes += f.at("bytes").get<uint64_t>();
  }
  EXPECT_EQ(sendfile_bytes, kDownloads * kFileBytes) << verdict.dump(1);
}

// What a user types first: -p of the master (/run/nginx.pid). Its two workers serve the file; they are its
// descendants, traced with it, and their sendfile bytes are exact.
TEST_F(Servers, NginxMasterPidTracesItsWorkers) {
  Nginx server(nginx_, {true, false, 2});
  ASSERT_TRUE(server.Up()) << server.Log();
  ASSERT_EQ(server.Pids().size(), 3u) << server.Log();
  const auto [rc, report] = TraceDownloads(server, {"-q"}, true);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(FlowBytesToTcp(report, "sendfile", server.File()), kDownloads * kFileBytes) << report.dump(1);
  std::set<uint32_t> traced;
  for (const json& p : report.at("processes"))
    traced.insert(p.at("pid").get<uint32_t>());
  for (const pid_t pid : server.Pids())
    EXPECT_TRUE(traced.count(static_cast<uint32_t>(pid)))
        << "pid " << pid << " not traced: " << report.dump(1);
  // plain HTTP: no send is taken for a TLS record (ServersTls has the other side)
  for (const json& p : report.at("processes"))
    for (const json& path : p.at("paths"))
      EXPECT_EQ(path.at("flags").dump().find("sink_user_tls"), std::string::npos) << path.dump();

  const auto [check_rc, verdict] = TraceDownloads(server, {"check", "--min-bytes", "1M"}, true);
  EXPECT_EQ(check_rc, 0) << verdict.dump(1);
}

TEST_F(Servers, NginxWithoutSendfileFailsCheckNamingTheFile) {
  Nginx server(nginx_, {false, false});
  ASSERT_TRUE(server.Up()) << server.Log();
  const auto [rc, verdict] = TraceDownloads(server, {"check", "--min-bytes", "1M"});
  EXPECT_EQ(rc, 1) << verdict.dump(1);
  const std::string message = verdict.at("message");
  EXPECT_NE(message.find(server.File()), std::string::npos) << message;
  EXPECT_NE(message.find("tcp"), std::string::npos) << message;
  uint64_t relayed = 0;
  for (const json& checked : verdict.at("bulk_flows"))
    if (const json& f = checked.at("flow");
        f.at("method") == "read+write" && f.at("source").at("path") == server.File())
      relayed += f.at("bytes").get<uint64_t>();
  EXPECT_EQ(relayed, kDownloads * kFileBytes) << verdict.dump(1);
}

// --stacks on nginx without sendfile: the read+write flow's bytes are under nginx's own functions of its
// output chain (ngx_read_file reads the file into its buffer, ngx_writev sends it), named from nginx's
// dynamic symbols; nginx keeps no frame pointers, which each stack says rather than showing noise.
TEST_F(Servers, NginxWithoutSendfileShowsItsOwnFunctionsAsCallSites) {
  Nginx server(nginx_, {false, false});
  ASSERT_TRUE(server.Up()) << server.Log();
  const auto [rc, report] = TraceDownloads(server, {"--stacks", "-q"});
  EXPECT_EQ(rc, 0);
  ASSERT_TRUE(report.at("stacks_captured").get<bool>());
  uint64_t read_bytes = 0;
  std::map<std::string, uint64_t> sites;  // innermost nginx function → CPU-copied bytes
  for (const json& p : report.at("processes")) {
    for (const json& f : p.at("flows")) {
      if (f.at("method") != "read+write" || f.at("source").at("path") != server.File())
        continue;
      for (const json& site : f.at("call_sites"))
        sites[site.at("functions").at(0)] += site.at("cpu_copied_bytes").get<uint64_t>();
    }
    for (const json& s : p.value("stacks", json::array())) {
      if (s.at("source") != "file" || s.at("frames").size() < 2)
        continue;
      const json& caller = s.at("frames").at(1);
      EXPECT_EQ(caller.at("module"), nginx_) << s.dump(1);
      EXPECT_EQ(caller.at("function"), "ngx_read_file") << s.dump(1);
      EXPECT_FALSE(s.at("truncated").is_null()) << s.dump(1);
      read_bytes += s.at("bytes").get<uint64_t>();
    }
  }
  EXPECT_EQ(read_bytes, kDownloads * kFileBytes) << report.dump(1);
  EXPECT_EQ(sites["ngx_read_file"], kDownloads * kFileBytes) << report.dump(1);
  // the sends: the file's bytes and the response headers nginx wrote to the same sockets
  EXPECT_GE(sites["ngx_writev"], kDownloads * kFileBytes) << report.dump(1);
  EXPECT_LT(sites["ngx_writev"], kDownloads * (kFileBytes + 4096)) << report.dump(1);
  EXPECT_EQ(sites.size(), 2u) << report.dump(1);
}

// A keep-alive load of a small file over many connections: one sendfile flow for the whole service, which
// passes check's default 1 MiB bar only as a group; the response headers are small writes from memory.
TEST_F(Servers, NginxKeepAliveLoadIsOneGroupedFlowThatPassesCheck) {
  constexpr int kClients = 8, kRequests = 200;
  Nginx server(nginx_, {true, false});
  ASSERT_TRUE(server.Up()) << server.Log();
  const auto [rc, verdict] = TraceWhile(server, {"check"}, [&] {
    const std::string one =
        curl_ + " -sf '" + server.SmallUrl() + "?[1-" + std::to_string(kRequests) + "]' > /dev/null &";
    std::string script;
    for (int i = 0; i < kClients; ++i)
      script += one + "\n";
    const RunResult got = RunProgram({"/bin/sh", "-c", script + "wait"});
    EXPECT_EQ(got.exit_code, 0) << got.err << server.Log();
  });
  EXPECT_EQ(rc, 0) << verdict.dump(1);
  ASSERT_EQ(verdict.at("bulk_flows").size(), 1u) << verdict.dump(1);
  const json& f = verdict.at("bulk_flows")[0].at("flow");
  EXPECT_EQ(f.at("method"), "sendfile");
  EXPECT_EQ(f.at("source").at("path"), server.SmallFile());
  EXPECT_EQ(f.at("sink").at("name"), "tcp 127.0.0.1:" + std::to_string(server.Port()) + " (accepted)");
  // a group of connections: the address they were accepted on is theirs, their peers are not one
  EXPECT_EQ(f.at("sink").at("local").at("port"), server.Port());
  EXPECT_TRUE(f.at("sink").at("peer").is_null());
  EXPECT_TRUE(f.at("sink").at("accepted").get<bool>());
  EXPECT_GT(f.at("connections").get<int>(), 1);
  EXPECT_EQ(f.at("bytes"), uint64_t{kClients} * kRequests * 1024);
}

// aio threads: a thread of the pool reads the file, the event loop writes it: one read+write flow of the
// file's bytes, and nothing from the eventfd that hands the completions over.
TEST_F(Servers, NginxAioThreadsRelayIsPairedAcrossThreads) {
  Nginx server(nginx_, {false, true});
  ASSERT_TRUE(server.Up()) << server.Log();
  const auto [rc, report] = TraceDownloads(server, {"-q"});
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(FlowBytesToTcp(report, "read+write", server.File()), kDownloads * kFileBytes) << report.dump(1);
  for (const json& p : report.at("processes"))
    for (const json& f : p.at("flows")) {
      const std::string source_kind = f.at("source").at("kind");
      EXPECT_TRUE(f.at("source").at("name") == server.File() || f.at("method") == "from memory")
          << "a flow from something nginx does not send: " << f.dump();
      EXPECT_NE(source_kind, "other") << f.dump();
    }
}

// curl saving a download: a flow from the socket to the file, and none from the files curl only read
// (its configuration, certificates, /etc/passwd). curl writes through stdio, which may copy the bytes into
// its own buffer first, in user space where no tracepoint sees it: those are from memory. Together they are
// exactly the download.
TEST_F(Servers, CurlDownloadIsOneFlowFromTheSocketToTheFile) {
  Nginx server(nginx_, {true, false});
  ASSERT_TRUE(server.Up()) << server.Log();
  const std::string out = TempPath("download.bin");
  const Traced t = RunTraced({"--", curl_, "-sf", "-o", out, server.Url()});
  char real[PATH_MAX];
  const std::string out_name = realpath(out.c_str(), real) ? real : out;  // the kernel's name for it
  unlink(out.c_str());
  ASSERT_EQ(t.run.exit_code, 0) << t.run.err;
  const json* curl = FindProcess(t.report, "curl");
  ASSERT_NE(curl, nullptr) << t.report.dump(1);
  uint64_t from_socket = 0, from_memory = 0;
  for (const json& f : curl->at("flows")) {
    const json& source = f.at("source");
    EXPECT_NE(source.at("kind"), "file") << "curl sent no file: " << f.dump();
    if (f.at("sink").at("name") != out_name)
      continue;
    if (f.at("method") == "read+write" && source.at("kind") == "tcp")
      from_socket += f.at("bytes").get<uint64_t>();
    else if (f.at("method") == "from memory")
      from_memory += f.at("bytes").get<uint64_t>();
    else
      ADD_FAILURE() << "unexpected flow into the download: " << f.dump();
  }
  // how much is paired read+write depends on the sizes curl's reads return (stdio writes a large enough
  // chunk straight from curl's buffer, a small one through its own): most of the download in one run, none
  // in another (a slower run beside it: an ASan build). The sum is exact either way.
  EXPECT_EQ(from_socket + from_memory, kFileBytes) << curl->at("flows").dump(1);
  // curl sent one request; the ACKs of the download leave from softirq while curl writes the file, and
  // are not its transmits (they were: hundreds of KiB of "virtual tx")
  const uint64_t sent = PathField(*curl, "sendto", "user", "tcp", "bytes") +
                        PathField(*curl, "write", "user", "tcp", "bytes") +
                        PathField(*curl, "sendmsg", "user", "tcp", "bytes");
  EXPECT_GT(sent, 0u) << curl->dump(1);
  EXPECT_LE(curl->at("device").at("virtual_tx_bytes").get<uint64_t>(), sent + 4096) << curl->dump(1);
}

// haproxy in TCP mode in front of nginx, splicing the responses through pipes: the bytes it relays cost no
// CPU copy, and check passes on it.
TEST_F(Servers, HaproxySpliceRelaysWithoutACpuCopy) {
  const std::string haproxy =
      access("/usr/sbin/haproxy", X_OK) == 0 ? "/usr/sbin/haproxy" : FindProgram("haproxy");
  if (haproxy.empty())
    GTEST_SKIP() << "haproxy is not installed here (scripts/install-deps.sh installs it)";
  Nginx backend(nginx_, {true, false});
  ASSERT_TRUE(backend.Up()) << backend.Log();
  const int front = FreeLoopbackPort();
  const std::string cfg = TempPath("haproxy.cfg"), log = TempPath("haproxy.log");
  std::ofstream(cfg) << "global\n  maxconn 100\n"
                     << "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 30s\n"
                     << "  timeout server 30s\n  option splice-response\n"
                     << "frontend front\n  bind 127.0.0.1:" << front << "\n  default_backend back\n"
                     << "backend back\n  server nginx 127.0.0.1:" << backend.Port() << "\n";
  const pid_t proxy = SpawnProgram({haproxy, "-db", "-f", cfg}, log);
  for (int i = 0; i < 500 && !Connects(front); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(Connects(front)) << ReadFile(log);
  const std::string json_path = TempPath("haproxy.json"), zc_log = TempPath("haproxy-zc.log");
  const pid_t zc = SpawnProgram({ZctraceBin(), "check", "--min-bytes", "1M", "-p", std::to_string(proxy),
                                 "-d", "6", "--json", json_path},
                                zc_log);
  EXPECT_TRUE(WaitUntilTraced(proxy, 30)) << ReadFile(zc_log);
  uint64_t received = 0;  // what the client got, headers included: what haproxy sent it
  const std::string url = "http://127.0.0.1:" + std::to_string(front) + "/file.bin";
  for (int i = 0; i < kDownloads; ++i) {
    const RunResult got =
        RunProgram({curl_, "-sf", "-o", "/dev/null", "-w", "%{size_header} %{size_download}", url});
    EXPECT_EQ(got.exit_code, 0) << got.err << ReadFile(log);
    uint64_t header = 0, body = 0;
    std::istringstream(got.out) >> header >> body;
    EXPECT_EQ(body, kFileBytes);
    received += header + body;
  }
  const int rc = ReapProgram(zc, 60);
  kill(proxy, SIGTERM);
  ReapProgram(proxy, 10);
  const json verdict = json::parse(ReadFile(json_path), nullptr, false);
  for (const std::string& f : {cfg, log, json_path, zc_log})
    unlink(f.c_str());
  ASSERT_FALSE(verdict.is_discarded());
  EXPECT_EQ(rc, 0) << verdict.dump(1);
  uint64_t spliced = 0;
  for (const json& checked : verdict.at("bulk_flows")) {
    const json& f = checked.at("flow");
    EXPECT_EQ(f.at("copies").at("cpu").at("per_byte"), 0) << f.dump();
    if (f.at("method") == "splice" &&
        f.at("sink").at("name") == "tcp 127.0.0.1:" + std::to_string(front) + " (accepted)")
      spliced += f.at("bytes").get<uint64_t>();
  }
  // haproxy may take a response's first bytes with recv before it starts splicing: at most those are not
  // in the spliced flow
  EXPECT_LE(spliced, received);
  EXPECT_GE(spliced, received - kDownloads * 64 * 1024) << verdict.dump(1);
}

// iperf3 sending 64 MiB: with -Z (sendfile) check passes; plain, it fails, naming the bytes as from
// memory: iperf3 fills its 128 KiB buffer from /dev/urandom once, and sends it again and again (a fill's
// bytes pair with their read once; sent again, they cost no new read).
TEST_F(Servers, Iperf3ZeroCopyPassesCheckAndPlainFailsFromMemory) {
  const std::string iperf3 = FindProgram("iperf3");
  if (iperf3.empty())
    GTEST_SKIP() << "iperf3 is not installed here (scripts/install-deps.sh installs it)";
  for (const bool zerocopy : {true, false}) {
    const int port = FreeLoopbackPort();
    const pid_t server = SpawnProgram({iperf3, "-s", "-1", "-B", "127.0.0.1", "-p", std::to_string(port)});
    for (int i = 0; i < 500 && !Listening(port); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const std::string json_path = TempPath("iperf3.json");
    std::vector<std::string> argv{ZctraceBin(), "check", "--json",    json_path, "--",
                                  iperf3,       "-c",    "127.0.0.1", "-p",      std::to_string(port),
                                  "-n",         "64M"};
    if (zerocopy)
      argv.push_back("-Z");
    const RunResult r = RunProgram(argv);
    ReapProgram(server, 30);
    const json verdict = json::parse(ReadFile(json_path), nullptr, false);
    unlink(json_path.c_str());
    ASSERT_FALSE(verdict.is_discarded()) << r.out << r.err;
    uint64_t data = 0;
    for (const json& checked : verdict.at("bulk_flows")) {
      const json& f = checked.at("flow");
      if (f.at("method") == (zerocopy ? "sendfile" : "from memory"))
        data += f.at("bytes").get<uint64_t>();
    }
    if (zerocopy) {
      EXPECT_EQ(data, 64u << 20) << verdict.dump(1);
    } else {
      // all but the buffer's first send (read+write from /dev/urandom, below --min-bytes)
      EXPECT_LE(data, 64u << 20) << verdict.dump(1);
      EXPECT_GE(data, (64u << 20) - (128u << 10)) << verdict.dump(1);
    }
    if (zerocopy) {
      EXPECT_EQ(r.exit_code, 0) << verdict.dump(1);
    } else {
      EXPECT_EQ(r.exit_code, 1) << verdict.dump(1);
      EXPECT_NE(verdict.at("message").get<std::string>().find("from memory → tcp → 127.0.0.1:" +
                                                              std::to_string(port)),
                std::string::npos)
          << verdict.at("message");
    }
  }
}

// TLS in user space, from a real server: openssl's s_server -WWW reads the file and SSL_write()s it, so the
// socket gets TLS records the program encrypted itself. Held to the file's size and what curl received.
TEST(ServersTls, OpensslsServerEncryptsInUserSpaceAndIsNamedSo) {
  REQUIRE_ROOT();
  const std::string openssl = FindProgram("openssl"), curl = FindProgram("curl");
  if (openssl.empty() || curl.empty())
    GTEST_SKIP() << "openssl or curl is not installed here (scripts/install-deps.sh installs both)";
  const std::string dir = TempPath("tls");
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  const std::string key = dir + "/key.pem", cert = dir + "/cert.pem", file = dir + "/file",
                    received = dir + "/received";
  RunResult r = RunProgram({openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
                            cert, "-days", "1", "-subj", "/CN=localhost"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(RunProgram({WorkloadBin(), "prepare", "--file", file, "--bytes", "4M"}).exit_code, 0);
  const int port = FreeLoopbackPort();
  // -WWW serves paths relative to its directory; one connection (-naccept 1), then it exits
  const pid_t server =
      SpawnProgram({FindProgram("sh"), "-c",
                    "cd " + dir + " && exec " + openssl + " s_server -quiet -WWW -naccept 1 -key " + key +
                        " -cert " + cert + " -accept 127.0.0.1:" + std::to_string(port)});
  for (int i = 0; i < 100 && !Listening(port); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(Listening(port)) << "openssl s_server did not listen";
  const std::string json_path = TempPath("tls.json");
  const std::set<int> earlier_maps = TracedMapIds();
  const pid_t zc =
      SpawnProgram({ZctraceBin(), "-p", std::to_string(server), "-d", "30", "-q", "--json", json_path});
  ASSERT_TRUE(WaitUntilTraced(server, 30, earlier_maps));
  r = RunProgram({curl, "-sfk", "-o", received, "https://127.0.0.1:" + std::to_string(port) + "/file"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  struct stat got {};
  EXPECT_EQ(stat(received.c_str(), &got), 0);
  EXPECT_EQ(static_cast<uint64_t>(got.st_size), kFileBytes);
  EXPECT_EQ(ReapProgram(server, 10), 0);
  EXPECT_EQ(ReapProgram(zc, 30), 0);  // its one process gone, zctrace reports
  const json report = json::parse(ReadFile(json_path), nullptr, false);
  ASSERT_FALSE(report.is_discarded());
  const json* proc = FindProcess(report, "openssl");
  ASSERT_NE(proc, nullptr) << report.dump(1);
  // the file's bytes went in by read; the socket's sends are TLS records, seen as such
  EXPECT_EQ(PathField(*proc, "read", "file", "user", "bytes"), kFileBytes) << proc->dump(1);
  bool flagged = false;
  for (const json& p : proc->at("paths")) {
    if (p.at("sink").at("kind") == "tcp")
      flagged = flagged || p.at("flags").dump().find("sink_user_tls") != std::string::npos;
  }
  EXPECT_TRUE(flagged) << proc->dump(1);
  const json* flow = nullptr;
  for (const json& f : proc->at("flows")) {
    if (f.at("sink").at("kind") == "tcp")
      flow = &f;
  }
  ASSERT_NE(flow, nullptr) << proc->dump(1);
  // ciphertext: the file's bytes, each record's header and tag on top (under 1% with 16 KiB records), and
  // the HTTP header
  const uint64_t sent = flow->at("bytes");
  EXPECT_GT(sent, kFileBytes);
  EXPECT_LT(sent, kFileBytes + kFileBytes / 100 + 4096);
  EXPECT_NE(flow->at("notes").dump().find("TLS in user space"), std::string::npos) << flow->dump();
  ASSERT_FALSE(flow->at("advice").is_null()) << flow->dump();
  EXPECT_EQ(flow->at("advice").at("method"), "sendfile");
  EXPECT_NE(flow->at("advice").at("text").get<std::string>().find("kTLS"), std::string::npos);
  for (const std::string& f : {key, cert, file, received})
    unlink(f.c_str());
  rmdir(dir.c_str());
  unlink(json_path.c_str());
}

}  // namespace
}  // namespace zctrace::testing
