#include "capability.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace zctrace {
namespace {

// The report's capability names are a contract (JSON "capabilities" keys): one per enumerator, unique.
TEST(Capability, EveryIdHasItsOwnName) {
  std::set<std::string> names;
  size_t count = 0;
#define ZCTRACE_CAPABILITY_CHECK(id, name)                        \
  EXPECT_EQ(CapabilityName(CapabilityId::id), std::string(name)); \
  names.insert(name);                                             \
  ++count;
  ZCTRACE_CAPABILITY_TABLE(ZCTRACE_CAPABILITY_CHECK)
#undef ZCTRACE_CAPABILITY_CHECK
  EXPECT_EQ(names.size(), count);
  EXPECT_EQ(CapabilityName(CapabilityId::kSkbCopies), "skb_copies");
  EXPECT_EQ(CapabilityName(static_cast<CapabilityId>(1000)), "invalid");
}

}  // namespace
}  // namespace zctrace
