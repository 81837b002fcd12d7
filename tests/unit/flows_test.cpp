#include <gtest/gtest.h>

#include <cstring>

#include "flows.h"

namespace zctrace {
namespace {

zc_endpoint_id Id(uint64_t ino, uint32_t dev = 8) {
  return {ino, dev, 0};
}

EndpointSnapshot FileEndpoint(uint64_t ino, std::vector<const char*> leaf_first, uint32_t dev = 8) {
  EndpointSnapshot e;
  e.id = Id(ino, dev);
  e.info.kind = ZC_KIND_FILE;
  e.info.depth = static_cast<uint8_t>(leaf_first.size());
  for (size_t i = 0; i < leaf_first.size(); ++i)
    std::strcpy(e.info.names[i], leaf_first[i]);
  return e;
}

EndpointSnapshot TcpEndpoint(uint64_t ino, uint8_t first_octet) {
  EndpointSnapshot e;
  e.id = Id(ino, 9);
  e.info.kind = ZC_KIND_TCP;
  e.info.family = 2;
  const uint8_t local[4] = {first_octet, 0, 0, 1}, peer[4] = {first_octet, 0, 0, 2};
  std::memcpy(e.info.local_addr, local, 4);
  std::memcpy(e.info.peer_addr, peer, 4);
  e.info.local_port = 8080;
  e.info.peer_port = 50000;
  return e;
}

FlowSnapshot Flow(uint8_t method, uint64_t source, uint32_t source_dev, uint64_t sink, uint32_t sink_dev,
                  uint64_t bytes, uint64_t chunks, uint32_t slot = 0) {
  FlowSnapshot f;
  f.key.slot = slot;
  f.key.method = method;
  f.key.source = Id(source, source_dev);
  f.key.sink = Id(sink, sink_dev);
  f.counters = {bytes, chunks};
  return f;
}

Snapshot WithEndpoints() {
  Snapshot s;
  s.endpoints.push_back(FileEndpoint(1, {"big.iso", "www", "srv", "/"}));
  s.endpoints.push_back(FileEndpoint(2, {"x", "/"}, 20));
  s.endpoints.push_back(FileEndpoint(3, {"h", "g", "f", "e", "d", "c", "b", "a"}));  // deeper than we keep
  s.endpoints.push_back(TcpEndpoint(4, 10));
  s.endpoints.push_back(TcpEndpoint(5, 127));
  EndpointSnapshot pipe;
  pipe.id = Id(6, 12);
  pipe.info.kind = ZC_KIND_PIPE;
  s.endpoints.push_back(pipe);
  s.mounts = {{8, "/"}, {20, "/mnt/data"}};
  return s;
}

TEST(FlowsEndpoints, FilesAreNamedByPathUnderTheirMount) {
  const Snapshot s = WithEndpoints();
  EXPECT_EQ(NameEndpoint(Id(1), s).name, "/srv/www/big.iso");
  EXPECT_EQ(NameEndpoint(Id(1), s).kind, Kind::kFile);
  EXPECT_EQ(NameEndpoint(Id(2, 20), s).name, "/mnt/data/x");
  EXPECT_EQ(NameEndpoint(Id(3), s).name, ".../a/b/c/d/e/f/g/h");
}

TEST(FlowsEndpoints, SocketsByAddressesAndLoopback) {
  const Snapshot s = WithEndpoints();
  const Endpoint remote = NameEndpoint(Id(4, 9), s);
  EXPECT_EQ(remote.name, "tcp 10.0.0.1:8080 → 10.0.0.2:50000");
  EXPECT_FALSE(remote.loopback);
  EXPECT_TRUE(NameEndpoint(Id(5, 9), s).loopback);
  EXPECT_EQ(NameEndpoint(Id(6, 12), s).name, "pipe:[6]");
  EXPECT_NE(NameEndpoint(Id(99), s).name.find("not named"), std::string::npos);
}

TEST(Flows, ReadWriteFileToSocketIsTheTextbookAndSendfileWouldSaveBoth) {
  const Snapshot s = WithEndpoints();
  const FlowReport f = BuildFlow(Flow(ZC_FLOW_READ_WRITE, 1, 8, 4, 9, 64 << 20, 1024), s);
  EXPECT_EQ(f.method, "read+write");
  EXPECT_EQ(f.cpu_copies_per_byte, 2);
  EXPECT_EQ(f.dma_copies_per_byte, 2);  // disk and a real NIC
  EXPECT_EQ(f.mode_switches_per_chunk, 4);
  EXPECT_EQ(f.better_method, "sendfile");
  EXPECT_EQ(f.cpu_copies_saved_per_byte, 2);
  EXPECT_EQ(f.mode_switches_saved_per_chunk, 2);
  EXPECT_EQ(f.advice,
            "sendfile would remove 2 CPU copies of 64.0 MiB and 2 mode switches per 64.0 KiB chunk");
}

TEST(Flows, WhatTheSinksSocketIsStaysWithTheCheaperMethod) {
  const Snapshot s = WithEndpoints();
  // a route through a device without scatter-gather: sendfile's pages are copied too, saving one copy
  FlowSnapshot raw = Flow(ZC_FLOW_READ_WRITE, 1, 8, 4, 9, 64 << 20, 1024);
  raw.key.flags = ZC_FLAG_SINK_NO_SG;
  FlowReport f = BuildFlow(raw, s);
  EXPECT_EQ(f.cpu_copies_per_byte, 2);
  EXPECT_EQ(f.better_method, "sendfile");
  EXPECT_EQ(f.cpu_copies_saved_per_byte, 1);
  // kTLS: a write costs the copy into the record and the cipher's pass; sendfile only the cipher's
  raw.key.flags = ZC_FLAG_SINK_KTLS;
  f = BuildFlow(raw, s);
  EXPECT_EQ(f.cpu_copies_per_byte, 3);
  EXPECT_EQ(f.cpu_copies_saved_per_byte, 2);
  // kTLS on the NIC with TLS_TX_ZEROCOPY_RO: sendfile would copy nothing
  raw.key.flags = ZC_FLAG_SINK_KTLS | ZC_FLAG_SINK_KTLS_DEVICE_ZEROCOPY;
  f = BuildFlow(raw, s);
  EXPECT_EQ(f.cpu_copies_per_byte, 2);
  EXPECT_EQ(f.cpu_copies_saved_per_byte, 2);
  // TLS the program does itself: sendfile needs the kernel's TLS, whose software cipher is a pass
  raw.key.flags = ZC_FLAG_SINK_USER_TLS;
  f = BuildFlow(raw, s);
  EXPECT_EQ(f.cpu_copies_per_byte, 2);
  EXPECT_EQ(f.cpu_copies_saved_per_byte, 1);
  EXPECT_EQ(
      f.advice.rfind("kTLS (setsockopt TCP_ULP \"tls\", the kernel encrypting) with sendfile would remove 1 "
                     "CPU copy",
                     0),
      0u)
      << f.advice;
  ASSERT_EQ(f.notes.size(), 1u);
  EXPECT_EQ(f.notes[0], UserTlsNote());
}

TEST(Flows, TlsRecordsWrittenFromMemoryAfterFileReadsAreAdvisedKtls) {
  // openssl s_server -WWW: reads the file, writes records it encrypted from another buffer
  ProcessReport proc;
  FlowReport sent;
  sent.method = "from memory";
  sent.source.kind = Kind::kUser;
  sent.sink.kind = Kind::kTcp;
  sent.bytes = 4'210'000;
  sent.chunks = 260;
  sent.flags = ZC_FLAG_SINK_USER_TLS;
  proc.flows.push_back(sent);
  PathReport read;
  read.syscall = Syscall::kRead;
  read.source = Kind::kFile;
  read.sink = Kind::kUser;
  read.bytes = 4 << 20;
  proc.paths.push_back(read);
  AdviseUserTls(proc);
  EXPECT_EQ(proc.flows[0].better_method, "sendfile");
  EXPECT_EQ(proc.flows[0].cpu_copies_saved_per_byte, 1);
  EXPECT_NE(proc.flows[0].advice.find("likely the 4.0 MiB it read from files"), std::string::npos)
      << proc.flows[0].advice;
  // records that are not TLS, or reads that were sent on as they are: nothing said
  proc.flows[0].advice.clear();
  proc.flows[0].better_method.clear();
  FlowReport relayed;
  relayed.method = "read+write";
  relayed.source.kind = Kind::kFile;
  relayed.sink.kind = Kind::kTcp;
  relayed.bytes = 4 << 20;
  proc.flows.push_back(relayed);
  AdviseUserTls(proc);
  EXPECT_TRUE(proc.flows[0].advice.empty()) << proc.flows[0].advice;
}

TEST(Flows, MmapWriteSavesOneCopy) {
  const FlowReport f = BuildFlow(Flow(ZC_FLOW_MMAP_WRITE, 1, 8, 5, 9, 1 << 20, 16), WithEndpoints());
  EXPECT_EQ(f.cpu_copies_per_byte, 1);
  EXPECT_EQ(f.mode_switches_per_chunk, 2);
  EXPECT_EQ(f.better_method, "sendfile");
  EXPECT_EQ(f.cpu_copies_saved_per_byte, 1);
  EXPECT_EQ(f.dma_copies_per_byte, 1);  // loopback sink: disk only
}

TEST(Flows, SendfileToASocketHasNothingCheaper) {
  const FlowReport f = BuildFlow(Flow(ZC_FLOW_SENDFILE, 1, 8, 4, 9, 1 << 20, 16), WithEndpoints());
  EXPECT_EQ(f.cpu_copies_per_byte, 0);
  EXPECT_EQ(f.mode_switches_per_chunk, 2);
  EXPECT_TRUE(f.better_method.empty());
  EXPECT_TRUE(f.advice.empty());
}

TEST(Flows, SocketRelayIsAdvisedToSpliceThroughAPipe) {
  const FlowReport f = BuildFlow(Flow(ZC_FLOW_READ_WRITE, 4, 9, 5, 9, 1 << 20, 16), WithEndpoints());
  EXPECT_EQ(f.cpu_copies_per_byte, 2);
  EXPECT_EQ(f.better_method, "splice through a pipe");
  EXPECT_EQ(f.cpu_copies_saved_per_byte, 2);
  EXPECT_EQ(f.mode_switches_saved_per_chunk, 0);
}

TEST(Flows, FileToFileCopiesIntoThePageCacheWhateverTheMethod) {
  const FlowReport f = BuildFlow(Flow(ZC_FLOW_READ_WRITE, 1, 8, 2, 20, 1 << 20, 16), WithEndpoints());
  EXPECT_EQ(f.cpu_copies_per_byte, 2);
  EXPECT_EQ(f.better_method, "copy_file_range");
  EXPECT_EQ(f.cpu_copies_saved_per_byte, 1);
  EXPECT_FALSE(f.notes.empty());
}

TEST(Flows, SpliceRelayAbsorbsItsLegs) {
  Snapshot s = WithEndpoints();
  s.flows.push_back(Flow(ZC_FLOW_SPLICE, 1, 8, 6, 12, 1000, 10));           // file → pipe
  s.flows.push_back(Flow(ZC_FLOW_SPLICE, 6, 12, 5, 9, 1000, 10));           // pipe → socket
  s.flows.push_back(Flow(ZC_FLOW_SPLICE_RELAY, 1, 8, 5, 9, 1000, 10));      // the same bytes, as one flow
  s.flows.push_back(Flow(ZC_FLOW_SENDFILE, 1, 8, 5, 9, 5, 1, /*slot=*/1));  // another process
  const std::vector<FlowReport> flows = BuildFlows(0, s);
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].method, "splice");
  EXPECT_EQ(flows[0].source.name, "/srv/www/big.iso");
  EXPECT_EQ(flows[0].sink.kind, Kind::kTcp);
  EXPECT_EQ(flows[0].bytes, 1000u);
  EXPECT_EQ(flows[0].cpu_copies_per_byte, 0);
  EXPECT_EQ(flows[0].mode_switches_per_chunk, 4);
  EXPECT_EQ(flows[0].better_method, "sendfile");
}

TEST(Flows, AServersConnectionsAreOneFlowUnderTheAddressItAcceptedThemOn) {
  Snapshot s = WithEndpoints();
  for (uint64_t i = 0; i < 3; ++i) {
    EndpointSnapshot connection = TcpEndpoint(100 + i, 127);
    connection.info.accepted = 1;
    connection.info.peer_port = static_cast<uint16_t>(50000 + i);
    s.endpoints.push_back(connection);
    s.flows.push_back(Flow(ZC_FLOW_SENDFILE, 1, 8, 100 + i, 9, 1000 * (i + 1), i + 1));
  }
  const std::vector<FlowReport> flows = BuildFlows(0, s);
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].sink.name, "tcp 127.0.0.1:8080 (accepted)");
  EXPECT_EQ(flows[0].source.name, "/srv/www/big.iso");
  EXPECT_EQ(flows[0].bytes, 6000u);
  EXPECT_EQ(flows[0].chunks, 6u);
  ASSERT_EQ(flows[0].members.size(), 3u);
  EXPECT_EQ(flows[0].members[0].bytes, 3000u);  // largest first
  EXPECT_EQ(flows[0].members[0].sink.name, "tcp 127.0.0.1:8080 → 127.0.0.2:50002");
  // the group's ends keep what its members share: the address they were accepted on, no one peer
  ASSERT_TRUE(flows[0].sink.local.has_value());
  EXPECT_EQ(flows[0].sink.local->port, 8080);
  EXPECT_FALSE(flows[0].sink.peer.has_value());
  EXPECT_EQ(flows[0].sink.inode, 0u);
  EXPECT_EQ(flows[0].members[0].sink.peer->port, 50002);
  // its copies are the model's over the group's bytes and chunks (sendfile to loopback: no CPU copy,
  // the disk read)
  EXPECT_EQ(flows[0].cpu.bytes, 0u);
  EXPECT_EQ(flows[0].dma.bytes, 6000u * static_cast<uint64_t>(flows[0].dma_copies_per_byte));
  EXPECT_EQ(flows[0].dma.count, 6u * static_cast<uint64_t>(flows[0].dma_copies_per_byte));
  EXPECT_EQ(flows[0].dma.basis, Basis::kModelled);
}

TEST(FlowsEndpoints, AClientsSocketIsGroupedByWhereItConnected) {
  const Snapshot s = WithEndpoints();
  EXPECT_EQ(NameEndpoint(Id(4, 9), s).group, "tcp → 10.0.0.2:50000");
  EXPECT_EQ(NameEndpoint(Id(1), s).group, "/srv/www/big.iso");
  EXPECT_EQ(NameEndpoint(Id(6, 12), s).group, "pipe");
}

TEST(FlowsEndpoints, AnAnonInodeSaysWhatItIs) {
  Snapshot s;
  EndpointSnapshot e;
  e.id = Id(1033, 15);
  e.info.kind = ZC_KIND_OTHER;
  e.info.depth = 1;
  std::strcpy(e.info.names[0], "[eventfd]");
  s.endpoints.push_back(e);
  const Endpoint named = NameEndpoint(Id(1033, 15), s);
  EXPECT_EQ(named.name, "eventfd:[1033]");
  EXPECT_EQ(named.group, "eventfd");
}

TEST(FlowsEndpoints, MemoryIsTheSourceOfBytesNoReadFilled) {
  const Endpoint memory = NameEndpoint(Id(ZC_MEMORY_SOURCE_INO, 0), Snapshot{});
  EXPECT_EQ(memory.name, "memory");
  EXPECT_EQ(memory.kind, Kind::kUser);
  Snapshot s = WithEndpoints();
  s.flows.push_back(Flow(ZC_FLOW_FROM_MEMORY, ZC_MEMORY_SOURCE_INO, 0, 4, 9, 4096, 2));
  const std::vector<FlowReport> flows = BuildFlows(0, s);
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].method, "from memory");
  EXPECT_EQ(flows[0].cpu_copies_per_byte, 1);  // the write's copy from user memory
}

TEST(FlowsEndpoints, UnixSocketsByTheirPath) {
  Snapshot s;
  EndpointSnapshot server;
  server.id = Id(40, 7);
  server.info.kind = ZC_KIND_UNIX;
  server.info.unix_address = 1;
  server.info.accepted = 1;
  const char path[] = "/run/app.sock";
  std::memcpy(&server.info.names[0][0], path, sizeof(path) - 1);
  server.info.unix_path_len = sizeof(path) - 1;
  EndpointSnapshot client = server;
  client.id = Id(41, 7);
  client.info.unix_address = 2;
  client.info.accepted = 0;
  EndpointSnapshot abstract = client;
  abstract.id = Id(42, 7);
  std::memcpy(&abstract.info.names[0][0], "\0bus", 4);
  abstract.info.unix_path_len = 4;
  s.endpoints = {server, client, abstract};
  EXPECT_EQ(NameEndpoint(Id(40, 7), s).group, "unix /run/app.sock (accepted)");
  EXPECT_EQ(NameEndpoint(Id(40, 7), s).name, "unix:[40] /run/app.sock");
  EXPECT_EQ(NameEndpoint(Id(41, 7), s).group, "unix → /run/app.sock");
  EXPECT_EQ(NameEndpoint(Id(42, 7), s).group, "unix → @bus");
}

TEST(Flows, APipeIsNamedAfterTheProcessAtItsOtherEnd) {
  Snapshot s = WithEndpoints();
  ProcessSnapshot writer, reader;
  writer.slot = 0;
  writer.info.tgid = 100;
  std::strcpy(writer.info.comm, "cat");
  reader.slot = 1;
  reader.info.tgid = 101;
  std::strcpy(reader.info.comm, "gzip");
  s.processes = {writer, reader};
  s.flows.push_back(Flow(ZC_FLOW_READ_WRITE, 1, 8, 6, 12, 4096, 1, /*slot=*/0));   // file → pipe
  s.flows.push_back(Flow(ZC_FLOW_READ_WRITE, 6, 12, 2, 20, 4096, 1, /*slot=*/1));  // pipe → file
  const std::vector<FlowReport> cat = BuildFlows(0, s), gzip = BuildFlows(1, s);
  ASSERT_EQ(cat.size(), 1u);
  ASSERT_EQ(gzip.size(), 1u);
  EXPECT_EQ(cat[0].sink.group, "pipe → gzip[101]");
  EXPECT_EQ(gzip[0].source.group, "pipe ← cat[100]");
  EXPECT_EQ(cat[0].sink.name, "pipe:[6] → gzip[101]");
}

TEST(Flows, EveryMethodHasAName) {
  for (uint8_t m = 0; m < ZC_FLOW_COUNT; ++m)
    EXPECT_NE(FlowMethodName(m), "unknown") << int(m);
}

}  // namespace
}  // namespace zctrace
