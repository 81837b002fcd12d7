// Adding counts to a snapshot's paths and flows by key: the entry with that key, made if there is none. The
// threads' records and the exited processes' store both add into what the kernel's maps gave.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <map>

#include "snapshot.h"

namespace zctrace {

class SnapshotIndex {
 public:
  using FlowKeyWords = std::array<uint64_t, sizeof(zc_flow_key) / 8>;

  static uint64_t PathWord(const zc_path_key& key) {
    uint64_t word = 0;
    std::memcpy(&word, &key, sizeof(word));
    return word;
  }
  static FlowKeyWords FlowWords(const zc_flow_key& key) {
    FlowKeyWords words{};
    std::memcpy(words.data(), &key, sizeof(key));
    return words;
  }

  explicit SnapshotIndex(Snapshot* snap) : snap_(snap) {
    for (size_t i = 0; i < snap->paths.size(); ++i)
      paths_[PathWord(snap->paths[i].key)] = i;
    for (size_t i = 0; i < snap->flows.size(); ++i)
      flows_[FlowWords(snap->flows[i].key)] = i;
  }

  zc_path_counters& Path(uint64_t word) {
    auto it = paths_.find(word);
    if (it == paths_.end()) {
      PathSnapshot p;
      std::memcpy(&p.key, &word, sizeof(p.key));
      it = paths_.emplace(word, snap_->paths.size()).first;
      snap_->paths.push_back(p);
    }
    return snap_->paths[it->second].counters;
  }

  zc_flow_counters& Flow(const FlowKeyWords& words) {
    auto it = flows_.find(words);
    if (it == flows_.end()) {
      FlowSnapshot f;
      std::memcpy(&f.key, words.data(), sizeof(f.key));
      it = flows_.emplace(words, snap_->flows.size()).first;
      snap_->flows.push_back(f);
    }
    return snap_->flows[it->second].counters;
  }

 private:
  Snapshot* snap_;
  std::map<uint64_t, size_t> paths_;
  std::map<FlowKeyWords, size_t> flows_;
};

}  // namespace zctrace
