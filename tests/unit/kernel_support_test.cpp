#include "kernel_support.h"

#include <gtest/gtest.h>

namespace zctrace {
namespace {

TEST(KernelSupport, TheOldestSupportedKernelAndNewerRun) {
  for (const char* release : {"6.1.0-56-amd64", "6.12.118+deb12-amd64", "6.18.44-fc-v1300", "7.0.0", "6.1"})
    EXPECT_EQ(UnsupportedKernel(release), "") << release;
}

TEST(KernelSupport, AnOlderKernelIsOneLineThatSaysWhy) {
  for (const char* release : {"5.15.0-91-generic", "5.14.0-362.el9.x86_64", "6.0.12", "4.19.0"}) {
    const std::string why = UnsupportedKernel(release);
    EXPECT_NE(why.find(std::string("this kernel (") + release + ") is older than Linux 6.1"),
              std::string::npos)
        << why;
    EXPECT_EQ(why.find('\n'), std::string::npos);
  }
}

TEST(KernelSupport, AReleaseThatIsNotANumberIsLeftToTheLoad) {
  EXPECT_EQ(UnsupportedKernel("custom"), "");
  EXPECT_EQ(UnsupportedKernel(""), "");
}

}  // namespace
}  // namespace zctrace
