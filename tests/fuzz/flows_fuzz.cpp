// Fuzz target: naming endpoints and building flows from raw flow and endpoint map bytes (the format is in
// snapshot_codec.h). NameEndpoint and BuildFlows must never crash, and every name must be something a
// report can print: not empty, no NUL inside.
#include <set>
#include <string>
#include <vector>

#include "flows.h"
#include "fuzz_input.h"
#include "snapshot_codec.h"

namespace zctrace::fuzz {
namespace {

std::string Describe(const zc_endpoint_id& id, const Endpoint& e) {
  return "endpoint ino " + std::to_string(id.ino) + " dev " + std::to_string(id.dev) + " kind " +
         std::to_string(static_cast<unsigned>(e.kind)) + " named '" + Escaped(e.name) + "'";
}

void CheckName(const std::string& name, const std::string& context) {
  ZC_FUZZ_CHECK(!name.empty(), context);
  ZC_FUZZ_CHECK(name.find('\0') == std::string::npos, context);  // text and JSON would cut or carry it
}

void CheckEndpoint(const zc_endpoint_id& id, const Snapshot& s) {
  const Endpoint e = NameEndpoint(id, s);
  CheckName(e.name, Describe(id, e));
}

void CheckFlows(uint32_t slot, const Snapshot& s) {
  size_t mine = 0;
  for (const FlowSnapshot& f : s.flows)
    mine += f.key.slot == slot;
  const std::vector<FlowReport> flows = BuildFlows(slot, s);
  const std::string where = "slot " + std::to_string(slot);
  ZC_FUZZ_CHECK(flows.size() <= mine, where);  // folding splice legs removes flows, never adds
  for (size_t i = 0; i < flows.size(); ++i) {
    const FlowReport& f = flows[i];
    const std::string context = where + ", flow " + std::to_string(i) + ": " + Escaped(f.method) + " '" +
                                Escaped(f.source.name) + "' -> '" + Escaped(f.sink.name) + "'";
    ZC_FUZZ_CHECK(!f.method.empty(), context);
    CheckName(f.source.name, context);
    CheckName(f.sink.name, context);
    ZC_FUZZ_CHECK(f.bytes > 0, context);  // flows that folding emptied are dropped
    if (i > 0)
      ZC_FUZZ_CHECK(flows[i - 1].bytes >= f.bytes, context);  // largest first
    ZC_FUZZ_CHECK(f.cpu_copies_per_byte >= 0 && f.dma_copies_per_byte >= 0, context);
    ZC_FUZZ_CHECK(f.mode_switches_per_chunk >= 0, context);
    // Advice comes as a method and its text together, and only ever saves.
    ZC_FUZZ_CHECK(f.better_method.empty() == f.advice.empty(), context);
    ZC_FUZZ_CHECK(f.cpu_copies_saved_per_byte >= 0 && f.mode_switches_saved_per_chunk >= 0, context);
  }
}

}  // namespace
}  // namespace zctrace::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zctrace;
  using namespace zctrace::fuzz;
  FuzzInput in(data, size);
  const Snapshot s = DecodeFuzzCase(in).snapshot;

  // Every recorded endpoint, and every end of every flow, named or not (a full endpoint map drops some).
  for (const EndpointSnapshot& e : s.endpoints)
    CheckEndpoint(e.id, s);
  std::set<uint32_t> slots;
  for (const FlowSnapshot& f : s.flows) {
    CheckEndpoint(f.key.source, s);
    CheckEndpoint(f.key.sink, s);
    slots.insert(f.key.slot);
  }
  for (const ProcessSnapshot& p : s.processes)
    slots.insert(p.slot);  // a process without flows must get none
  for (uint32_t slot : slots)
    CheckFlows(slot, s);
  return 0;
}
