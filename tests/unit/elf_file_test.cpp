#include <dlfcn.h>
#include <elf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "elf_file.h"
#include "perf_map.h"

// Functions whose bytes and symbols the tests know exactly: the compiler would choose its own prologues and
// calls. Never run; only read, through the test binary's file.
asm(R"(
  .pushsection .text

  .globl ZctraceTestFramePointerPrologue
  .type ZctraceTestFramePointerPrologue, @function
ZctraceTestFramePointerPrologue:
  endbr64
  push %rbp
  mov %rsp, %rbp
  pop %rbp
  ret
  .size ZctraceTestFramePointerPrologue, . - ZctraceTestFramePointerPrologue

  .globl ZctraceTestNoFramePointer
  .type ZctraceTestNoFramePointer, @function
ZctraceTestNoFramePointer:
  mov %edi, %eax
  ret
  .size ZctraceTestNoFramePointer, . - ZctraceTestNoFramePointer

  .type ZctraceTestLocalAlias, @function
ZctraceTestLocalAlias:
  .globl ZctraceTestGlobalName
  .type ZctraceTestGlobalName, @function
ZctraceTestGlobalName:
  xor %eax, %eax
  ret
  .size ZctraceTestLocalAlias, . - ZctraceTestLocalAlias
  .size ZctraceTestGlobalName, . - ZctraceTestGlobalName

  .globl ZctraceTestUnsized
  .type ZctraceTestUnsized, @function
ZctraceTestUnsized:
  nop
  nop
  nop
  nop
  .globl ZctraceTestUnsizedEnd
ZctraceTestUnsizedEnd:
  int3

  .globl ZctraceTestCallForms
  .type ZctraceTestCallForms, @function
ZctraceTestCallForms:
.Lzctrace_test_call_forms:
  call .Lzctrace_test_call_forms
  .globl ZctraceTestAfterDirectCall
ZctraceTestAfterDirectCall:
  call *%rax
  .globl ZctraceTestAfterCallRax
ZctraceTestAfterCallRax:
  call *%r11
  .globl ZctraceTestAfterCallR11
ZctraceTestAfterCallR11:
  call *(%rax)
  .globl ZctraceTestAfterCallAtRax
ZctraceTestAfterCallAtRax:
  call *(%rsp)
  .globl ZctraceTestAfterCallAtRsp
ZctraceTestAfterCallAtRsp:
  call *0x10(%rax)
  .globl ZctraceTestAfterCallDisp8
ZctraceTestAfterCallDisp8:
  call *0x10(%r12)
  .globl ZctraceTestAfterCallR12Disp8
ZctraceTestAfterCallR12Disp8:
  call *0x1000(%rbx)
  .globl ZctraceTestAfterCallDisp32
ZctraceTestAfterCallDisp32:
  call *0x1000(%rsp)
  .globl ZctraceTestAfterCallRspDisp32
ZctraceTestAfterCallRspDisp32:
  call *.Lzctrace_test_call_forms(%rip)
  .globl ZctraceTestAfterCallRip
ZctraceTestAfterCallRip:
  call *0x8(%rax,%rcx,8)
  .globl ZctraceTestAfterCallIndexed
ZctraceTestAfterCallIndexed:
  call *0x1000(%r13,%r14,8)
  .globl ZctraceTestAfterCallRexIndexed
ZctraceTestAfterCallRexIndexed:
  call *0x1000(,%rax,8)
  .globl ZctraceTestAfterCallNoBase
ZctraceTestAfterCallNoBase:
  .byte 0xe8
  .long 0x7ffffff0
  .globl ZctraceTestAfterStrayCallByte
ZctraceTestAfterStrayCallByte:
  ret
  .size ZctraceTestCallForms, . - ZctraceTestCallForms

  .popsection
)");

extern "C" {
extern const unsigned char ZctraceTestFramePointerPrologue[];
extern const unsigned char ZctraceTestNoFramePointer[];
extern const unsigned char ZctraceTestGlobalName[];
extern const unsigned char ZctraceTestUnsized[];
extern const unsigned char ZctraceTestUnsizedEnd[];
extern const unsigned char ZctraceTestCallForms[];
extern const unsigned char ZctraceTestAfterDirectCall[];
extern const unsigned char ZctraceTestAfterCallRax[];
extern const unsigned char ZctraceTestAfterCallR11[];
extern const unsigned char ZctraceTestAfterCallAtRax[];
extern const unsigned char ZctraceTestAfterCallAtRsp[];
extern const unsigned char ZctraceTestAfterCallDisp8[];
extern const unsigned char ZctraceTestAfterCallR12Disp8[];
extern const unsigned char ZctraceTestAfterCallDisp32[];
extern const unsigned char ZctraceTestAfterCallRspDisp32[];
extern const unsigned char ZctraceTestAfterCallRip[];
extern const unsigned char ZctraceTestAfterCallIndexed[];
extern const unsigned char ZctraceTestAfterCallRexIndexed[];
extern const unsigned char ZctraceTestAfterCallNoBase[];
extern const unsigned char ZctraceTestAfterStrayCallByte[];

__attribute__((noinline)) int ZctraceElfTestTarget(int x) {
  asm volatile("" : "+r"(x));
  return x * 3 + 1;
}
}

namespace zctrace {
namespace elf_file_test {

__attribute__((noinline)) int DemangledTarget(int x) {
  asm volatile("" : "+r"(x));
  return x * 5 + 2;
}

}  // namespace elf_file_test

namespace {

struct Mapping {
  std::string path;
  uint64_t file_offset = 0;
};

// The file an address of this process is mapped from, and the offset in it, from /proc/self/maps.
std::optional<Mapping> MappingOf(const void* address) {
  const auto target = reinterpret_cast<uintptr_t>(address);
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    unsigned long long start = 0, end = 0, offset = 0;
    char permissions[5] = {};
    int path_at = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx %4s %llx %*s %*s %n", &start, &end, permissions, &offset,
                    &path_at) < 4)
      continue;
    if (target < start || target >= end)
      continue;
    return Mapping{path_at > 0 ? line.substr(static_cast<size_t>(path_at)) : "", offset + (target - start)};
  }
  return std::nullopt;
}

// This test binary, indexed once: it has a .symtab.
const ElfFile& Self() {
  static const std::unique_ptr<ElfFile> self = [] {
    std::string error;
    std::unique_ptr<ElfFile> file = ElfFile::Open("/proc/self/exe", &error);
    EXPECT_NE(file, nullptr) << error;
    return file;
  }();
  if (self == nullptr)
    std::abort();
  return *self;
}

// The ELF virtual address in this test binary of an address of this process.
uint64_t SelfAddress(const void* address) {
  const std::optional<Mapping> mapping = MappingOf(address);
  EXPECT_TRUE(mapping.has_value()) << address;
  if (!mapping)
    return 0;
  const std::optional<uint64_t> elf_address = Self().AddressOfOffset(mapping->file_offset);
  EXPECT_TRUE(elf_address.has_value()) << mapping->path << " offset " << mapping->file_offset;
  return elf_address.value_or(0);
}

std::string SymbolName(const std::optional<ElfSymbol>& symbol) {
  return symbol ? symbol->name : "(none)";
}

__attribute__((noinline)) const void* ReturnAddress() {
  const void* address = __builtin_return_address(0);
  asm volatile("" : "+r"(address));
  return address;
}

// A file with the given contents in the test's temporary directory, removed at the end.
class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    std::string pattern = ::testing::TempDir() + "zctrace_elf_file_test_XXXXXX";
    const int fd = mkstemp(pattern.data());
    EXPECT_GE(fd, 0) << pattern;
    if (fd >= 0)
      close(fd);
    path_ = pattern;
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TempFile() { unlink(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ElfFile, NamesAFunctionOfThisBinaryFromItsSymtab) {
  int (*volatile target)(int) = ZctraceElfTestTarget;
  EXPECT_EQ(target(1), 4);
  const uint64_t start = SelfAddress(reinterpret_cast<const void*>(target));

  EXPECT_EQ(Self().path(), "/proc/self/exe");
  EXPECT_EQ(Self().symbols_from(), ".symtab");
  const std::optional<ElfSymbol> symbol = Self().Symbolize(start + 1);
  ASSERT_TRUE(symbol.has_value());
  EXPECT_EQ(symbol->name, "ZctraceElfTestTarget");
  EXPECT_EQ(symbol->start, start);
  EXPECT_EQ(symbol->offset, 1u);
  EXPECT_EQ(SymbolName(Self().Symbolize(start)), "ZctraceElfTestTarget");
}

TEST(ElfFile, DemanglesCppNames) {
  int (*volatile target)(int) = elf_file_test::DemangledTarget;
  EXPECT_EQ(target(1), 7);
  const uint64_t start = SelfAddress(reinterpret_cast<const void*>(target));
  EXPECT_EQ(SymbolName(Self().Symbolize(start + 2)), "zctrace::elf_file_test::DemangledTarget(int)");
}

TEST(ElfFile, PrefersTheGlobalNameOverALocalAlias) {
  const uint64_t start = SelfAddress(ZctraceTestGlobalName);
  EXPECT_EQ(SymbolName(Self().Symbolize(start)), "ZctraceTestGlobalName");
}

TEST(ElfFile, AnUnsizedFunctionEndsWhereTheNextSymbolStarts) {
  const uint64_t start = SelfAddress(ZctraceTestUnsized);
  const std::optional<ElfSymbol> inside = Self().Symbolize(start + 3);
  ASSERT_TRUE(inside.has_value());
  EXPECT_EQ(inside->name, "ZctraceTestUnsized");
  EXPECT_EQ(inside->offset, 3u);
  // the label after it is a symbol (no function): the address there is nobody's
  EXPECT_EQ(Self().Symbolize(SelfAddress(ZctraceTestUnsizedEnd)), std::nullopt);
}

TEST(ElfFile, ReadsTheBytesTheProcessRuns) {
  int (*volatile target)(int) = ZctraceElfTestTarget;
  const void* code = reinterpret_cast<const void*>(target);
  const std::vector<uint8_t> bytes = Self().Read(SelfAddress(code), 16);
  ASSERT_EQ(bytes.size(), 16u);
  EXPECT_EQ(std::memcmp(bytes.data(), code, bytes.size()), 0);

  // offset 0 is the ELF header, loaded with the first segment
  const std::optional<uint64_t> header = Self().AddressOfOffset(0);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(Self().Read(*header, 4), (std::vector<uint8_t>{0x7f, 'E', 'L', 'F'}));

  EXPECT_EQ(Self().AddressOfOffset(~uint64_t{0}), std::nullopt);
  EXPECT_TRUE(Self().Read(~uint64_t{0} - 16, 4).empty());
}

TEST(ElfFile, RecognisesAFramePointerPrologue) {
  const uint64_t with = SelfAddress(ZctraceTestFramePointerPrologue);
  EXPECT_EQ(Self().Read(with, 8), (std::vector<uint8_t>{0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5}));
  EXPECT_TRUE(Self().SetsUpFramePointer(with));
  EXPECT_FALSE(Self().SetsUpFramePointer(SelfAddress(ZctraceTestNoFramePointer)));
  EXPECT_FALSE(Self().SetsUpFramePointer(with + 4 + 1));  // past its push
}

TEST(ElfFile, ReturnAddressesOfCompiledCallsFollowACall) {
  const void* direct = ReturnAddress();
  const void* (*volatile through_pointer)() = ReturnAddress;
  const void* indirect = through_pointer();

  for (const void* return_address : {direct, indirect}) {
    const uint64_t address = SelfAddress(return_address);
    EXPECT_TRUE(Self().FollowsCall(address)) << return_address;
    EXPECT_NE(SymbolName(Self().Symbolize(address)).find("ReturnAddressesOfCompiledCallsFollowACall"),
              std::string::npos)
        << SymbolName(Self().Symbolize(address));
  }
}

TEST(ElfFile, DecodesEveryAcceptedCallForm) {
  const struct {
    const unsigned char* after;
    const char* form;
  } calls[] = {
      {ZctraceTestAfterDirectCall, "call rel32"},
      {ZctraceTestAfterCallRax, "call *%rax"},
      {ZctraceTestAfterCallR11, "call *%r11"},
      {ZctraceTestAfterCallAtRax, "call *(%rax)"},
      {ZctraceTestAfterCallAtRsp, "call *(%rsp)"},
      {ZctraceTestAfterCallDisp8, "call *0x10(%rax)"},
      {ZctraceTestAfterCallR12Disp8, "call *0x10(%r12)"},
      {ZctraceTestAfterCallDisp32, "call *0x1000(%rbx)"},
      {ZctraceTestAfterCallRspDisp32, "call *0x1000(%rsp)"},
      {ZctraceTestAfterCallRip, "call *label(%rip)"},
      {ZctraceTestAfterCallIndexed, "call *0x8(%rax,%rcx,8)"},
      {ZctraceTestAfterCallRexIndexed, "call *0x1000(%r13,%r14,8)"},
      {ZctraceTestAfterCallNoBase, "call *0x1000(,%rax,8)"},
  };
  for (const auto& call : calls)
    EXPECT_TRUE(Self().FollowsCall(SelfAddress(call.after))) << call.form;
}

TEST(ElfFile, AFunctionStartOrAStrayCallByteDoesNotFollowACall) {
  int (*volatile target)(int) = ZctraceElfTestTarget;
  EXPECT_FALSE(Self().FollowsCall(SelfAddress(ZctraceTestNoFramePointer)));  // after a ret
  EXPECT_FALSE(Self().FollowsCall(SelfAddress(ZctraceTestUnsizedEnd)));      // after nops
  // e8 five bytes before, but its target would lie 2 GiB away, in no code of this file
  EXPECT_FALSE(Self().FollowsCall(SelfAddress(ZctraceTestAfterStrayCallByte)));
  EXPECT_FALSE(Self().FollowsCall(0));
  // data is no code
  EXPECT_FALSE(Self().FollowsCall(*Self().AddressOfOffset(0) + 8));
  const uint64_t start = SelfAddress(reinterpret_cast<const void*>(target));
  EXPECT_EQ(SymbolName(Self().Symbolize(start)), "ZctraceElfTestTarget");
}

TEST(ElfFile, NamesReadInTheSystemLibc) {
  void* libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
  if (libc == nullptr)
    GTEST_SKIP() << "no shared libc in this process (a static build)";
  // from libc itself: a sanitizer's interceptor of the same name is not libc's
  const void* read_function = dlsym(libc, "read");
  dlclose(libc);
  ASSERT_NE(read_function, nullptr);
  const std::optional<Mapping> mapping = MappingOf(read_function);
  ASSERT_TRUE(mapping.has_value());

  std::string error;
  const std::unique_ptr<ElfFile> file = ElfFile::Open(mapping->path, &error);
  ASSERT_NE(file, nullptr) << error;
  EXPECT_EQ(file->build_id().size(), 40u);
  EXPECT_EQ(file->build_id().find_first_not_of("0123456789abcdef"), std::string::npos) << file->build_id();
  // Debian strips libc: .dynsym, unless libc6-dbg (or -dbgsym) installed a debug file
  EXPECT_TRUE(file->symbols_from() == ".dynsym" || file->symbols_from().find(".debug") != std::string::npos)
      << file->symbols_from();

  const std::optional<uint64_t> address = file->AddressOfOffset(mapping->file_offset);
  ASSERT_TRUE(address.has_value());
  const std::optional<ElfSymbol> symbol = file->Symbolize(*address);
  ASSERT_TRUE(symbol.has_value()) << mapping->path;
  EXPECT_TRUE(symbol->name == "read" || symbol->name == "__read" || symbol->name == "__libc_read")
      << symbol->name;
  EXPECT_EQ(symbol->start, *address);
  EXPECT_EQ(symbol->offset, 0u);
}

TEST(ElfFile, RefusesAFileThatIsNotElf) {
  TempFile text("Name:\tzctrace\nState:\tR (running)\n");
  std::string error;
  EXPECT_EQ(ElfFile::Open(text.path(), &error), nullptr);
  EXPECT_EQ(error, text.path() + ": not an ELF file");

  const std::string missing = text.path() + ".missing";
  EXPECT_EQ(ElfFile::Open(missing, &error), nullptr);
  EXPECT_EQ(error, missing + ": " + std::strerror(ENOENT));
}

TEST(ElfFile, RefusesAnotherMachine) {
  Elf64_Ehdr header;
  std::ifstream self("/proc/self/exe", std::ios::binary);
  ASSERT_TRUE(self.read(reinterpret_cast<char*>(&header), sizeof(header)));
  header.e_machine = EM_AARCH64;
  header.e_phoff = header.e_shoff = 0;
  header.e_phnum = header.e_shnum = header.e_shstrndx = 0;
  TempFile arm(std::string(reinterpret_cast<const char*>(&header), sizeof(header)));

  std::string error;
  EXPECT_EQ(ElfFile::Open(arm.path(), &error), nullptr);
  EXPECT_EQ(error, arm.path() + ": ELF machine " + std::to_string(EM_AARCH64) + " is not x86-64");
  EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST(ElfFilePerfMap, LaterEntriesWinWhereRangesOverlap) {
  TempFile lines(
      "7f0000001000 100 LazyCompile:~handler /srv/app.js:12\n"
      "0x7f0000001080 0x40 Interpreted re-emitted stub\n"
      "7F0000002000 10 [vdso-like]\n"
      "not a line of a perf map\n");
  const std::optional<PerfMap> map = PerfMap::Load(lines.path());
  ASSERT_TRUE(map.has_value());
  EXPECT_EQ(map->size(), 3u);

  const auto expect = [&](uint64_t address, const std::string& name, uint64_t start) {
    const std::optional<ElfSymbol> symbol = map->Symbolize(address);
    ASSERT_TRUE(symbol.has_value()) << std::hex << address;
    EXPECT_EQ(symbol->name, name);
    EXPECT_EQ(symbol->start, start);
    EXPECT_EQ(symbol->offset, address - start);
  };
  expect(0x7f0000001000, "LazyCompile:~handler /srv/app.js:12", 0x7f0000001000);
  expect(0x7f0000001010, "LazyCompile:~handler /srv/app.js:12", 0x7f0000001000);
  expect(0x7f0000001080, "Interpreted re-emitted stub", 0x7f0000001080);
  expect(0x7f00000010bf, "Interpreted re-emitted stub", 0x7f0000001080);
  expect(0x7f00000010c0, "LazyCompile:~handler /srv/app.js:12", 0x7f0000001000);  // past the re-emitted code
  expect(0x7f00000010ff, "LazyCompile:~handler /srv/app.js:12", 0x7f0000001000);
  expect(0x7f000000200f, "[vdso-like]", 0x7f0000002000);
  EXPECT_EQ(map->Symbolize(0x7f0000000fff), std::nullopt);
  EXPECT_EQ(map->Symbolize(0x7f0000001100), std::nullopt);
  EXPECT_EQ(map->Symbolize(0x7f0000002010), std::nullopt);
}

TEST(ElfFilePerfMap, ALaterEntryMaySplitOrCoverEarlierOnes) {
  TempFile lines(
      "1000 100 first\n"
      "1100 100 second\n"
      "1080 100 across both\n"
      "1000 300 everything\n"
      "1040 10 inner\n");
  const std::optional<PerfMap> map = PerfMap::Load(lines.path());
  ASSERT_TRUE(map.has_value());
  EXPECT_EQ(map->size(), 5u);
  EXPECT_EQ(SymbolName(map->Symbolize(0x1000)), "everything");
  EXPECT_EQ(SymbolName(map->Symbolize(0x1045)), "inner");
  EXPECT_EQ(SymbolName(map->Symbolize(0x1050)), "everything");
  EXPECT_EQ(SymbolName(map->Symbolize(0x1150)), "everything");
  EXPECT_EQ(SymbolName(map->Symbolize(0x12ff)), "everything");
  EXPECT_EQ(map->Symbolize(0x1300), std::nullopt);
}

TEST(ElfFilePerfMap, AFileThatCannotBeReadIsNone) {
  EXPECT_FALSE(PerfMap::Load(::testing::TempDir() + "zctrace-no-such-perf.map").has_value());
  EXPECT_FALSE(PerfMap::Load(::testing::TempDir()).has_value());  // a directory
}

}  // namespace
}  // namespace zctrace
