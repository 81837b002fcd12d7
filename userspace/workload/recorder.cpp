#include "recorder.h"

namespace workload {

void Recorder::record(const PathKey& key, long ret) {
  PathCount& c = paths_[key];
  c.calls++;
  if (ret < 0)
    c.errors++;
  else
    c.bytes += static_cast<uint64_t>(ret);
}

void Recorder::record_mapping(const PathKey& key, bool ok, uint64_t length) {
  PathCount& c = paths_[key];
  c.calls++;
  if (ok)
    c.bytes += length;
  else
    c.errors++;
}

void Recorder::add(const PathKey& key, const PathCount& count) {
  PathCount& c = paths_[key];
  c.calls += count.calls;
  c.bytes += count.bytes;
  c.errors += count.errors;
}

nlohmann::ordered_json Recorder::to_json() const {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& [key, c] : paths_) {
    out.push_back({{"syscall", key.syscall},
                   {"source", key.source},
                   {"sink", key.sink},
                   {"calls", c.calls},
                   {"bytes", c.bytes},
                   {"errors", c.errors}});
  }
  return out;
}

Recorder Recorder::from_json(const nlohmann::json& paths) {
  Recorder r;
  for (const auto& p : paths) {
    PathKey key{p.at("syscall").get<std::string>(), p.at("source").get<std::string>(),
                p.at("sink").get<std::string>()};
    r.add(key, PathCount{p.at("calls").get<uint64_t>(), p.at("bytes").get<uint64_t>(),
                         p.at("errors").get<uint64_t>()});
  }
  return r;
}

}  // namespace workload
