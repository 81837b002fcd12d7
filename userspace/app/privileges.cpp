#include "privileges.h"

#include <fstream>
#include <string>

namespace zctrace {
namespace {

constexpr int kCapSysAdmin = 21;
constexpr int kCapPerfmon = 38;
constexpr int kCapBpf = 39;

}  // namespace

bool HasTracingPrivileges() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) != 0)
      continue;
    const unsigned long long caps = std::stoull(line.substr(7), nullptr, 16);
    auto has = [caps](int cap) { return (caps >> cap) & 1ull; };
    return has(kCapSysAdmin) || (has(kCapBpf) && has(kCapPerfmon));
  }
  return false;
}

}  // namespace zctrace
