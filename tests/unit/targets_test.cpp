// The parsing behind -p, --cgroup and --comm: /proc stat lines, /proc/PID/cgroup, the process tree, and the
// unit and container a cgroup path names.
#include "targets.h"

#include <gtest/gtest.h>

namespace zctrace {
namespace {

TEST(Targets, StatLineWithSpacesAndParenthesesInTheName) {
  const auto stat = ParseProcStat("4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 120 0 0 0");
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->comm, "my (odd) name");
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->ppid, 1);
  EXPECT_EQ(stat->flags, 4194560u);
  EXPECT_FALSE(stat->flags & kPfKernelThread);
  const auto kthread = ParseProcStat("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0");
  ASSERT_TRUE(kthread.has_value());
  EXPECT_TRUE(kthread->flags & kPfKernelThread);
  const auto zombie = ParseProcStat("77 (sh) Z 76 76 76 0 -1 4227084 0 0 0 0");
  ASSERT_TRUE(zombie.has_value());
  EXPECT_EQ(zombie->state, 'Z');
  EXPECT_FALSE(ParseProcStat("garbage").has_value());
  EXPECT_FALSE(ParseProcStat("1 (x)").has_value());
}

TEST(Targets, UnifiedCgroupOfHybridAndPureLayouts) {
  EXPECT_EQ(
      UnifiedCgroupPath("12:pids:/system.slice/nginx.service\n1:name=systemd:/system.slice/nginx.service\n"
                        "0::/system.slice/nginx.service\n"),
      "/system.slice/nginx.service");
  EXPECT_EQ(UnifiedCgroupPath("0::/\n"), "/");
  EXPECT_FALSE(UnifiedCgroupPath("4:memory:/x\n").has_value());  // v1 only
}

TEST(Targets, CgroupWithinItsTargetOrBelow) {
  EXPECT_TRUE(CgroupWithin("/a/b", "/a"));
  EXPECT_TRUE(CgroupWithin("/a", "/a"));
  EXPECT_TRUE(CgroupWithin("/a", "/a/"));
  EXPECT_FALSE(CgroupWithin("/ab", "/a"));  // a sibling whose name starts alike
  EXPECT_FALSE(CgroupWithin("/", "/a"));
  EXPECT_TRUE(CgroupWithin("/anything", "/"));
}

TEST(Targets, DescendantsOfTheRootsOnly) {
  // 1 → 10 → (11, 12 → 13); 20 unrelated; 10 is a root
  const std::vector<std::pair<pid_t, pid_t>> tree = {{10, 1}, {11, 10}, {12, 10}, {13, 12}, {20, 1}};
  EXPECT_EQ(Descendants(tree, {10}), (std::vector<pid_t>{11, 12, 13}));
  EXPECT_EQ(Descendants(tree, {12, 10}), (std::vector<pid_t>{13, 11}));  // 12 is a root, not repeated
  EXPECT_TRUE(Descendants(tree, {13}).empty());
}

TEST(Targets, ServiceAndContainerFromTheCgroupPath) {
  const std::string id = "4f2b8c1d9e0a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c";
  CgroupLabel docker = LabelCgroup("/system.slice/docker-" + id + ".scope");
  EXPECT_EQ(docker.container, "4f2b8c1d9e0a");
  EXPECT_EQ(docker.unit, "");
  EXPECT_EQ(LabelCgroup("/kubepods.slice/kubepods-pod1.slice/cri-containerd-" + id + ".scope").container,
            "4f2b8c1d9e0a");
  EXPECT_EQ(LabelCgroup("/machine.slice/libpod-" + id + ".scope/container").container, "4f2b8c1d9e0a");
  EXPECT_EQ(LabelCgroup("/docker/" + id).container, "4f2b8c1d9e0a");
  const CgroupLabel nginx = LabelCgroup("/system.slice/nginx.service");
  EXPECT_EQ(nginx.unit, "nginx.service");
  EXPECT_EQ(nginx.container, "");
  EXPECT_EQ(LabelCgroup("/user.slice/user-1000.slice/session-3.scope").unit, "session-3.scope");
  EXPECT_EQ(LabelCgroup("/").unit, "");
  EXPECT_EQ(LabelCgroup("/abc-" + id.substr(1) + ".scope").container, "");  // 63 digits: not an id
}

TEST(Targets, PidListsTakeCommasAndSpaces) {
  EXPECT_EQ(SplitPidList("12,34"), (std::vector<std::string>{"12", "34"}));
  EXPECT_EQ(SplitPidList("12 34  56"), (std::vector<std::string>{"12", "34", "56"}));
  EXPECT_EQ(SplitPidList(" 12, 34 "), (std::vector<std::string>{"12", "34"}));
  EXPECT_EQ(SplitPidList("1,,2"), (std::vector<std::string>{"1", "", "2"}));
  EXPECT_EQ(SplitPidList("1,"), (std::vector<std::string>{"1", ""}));
  EXPECT_TRUE(SplitPidList("").empty());
  EXPECT_TRUE(SplitPidList("  ").empty());
}

}  // namespace
}  // namespace zctrace
