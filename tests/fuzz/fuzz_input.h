// Shared by the fuzz targets: a reader that turns any byte string into values, and the invariant check.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>

namespace zctrace::fuzz {

// Reads values front to back. Running out of input is not an error: missing bytes read as zero, so that
// every byte string decodes to something and the fuzzer never wastes an execution on a rejected input.
class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }
  size_t remaining() const { return size_ - pos_; }

  void TakeBytes(void* out, size_t n) {
    const size_t have = std::min(n, remaining());
    if (have > 0)  // data_ may be null for the empty input
      std::memcpy(out, data_ + pos_, have);
    std::memset(static_cast<uint8_t*>(out) + have, 0, n - have);
    pos_ += have;
  }

  // Any bit pattern is a valid value of these types (integers, doubles, the plain-C map structs); bool
  // and enums are not, so callers derive those from a byte instead of reading them directly.
  template <typename T>
  T Take() {
    static_assert(std::is_trivially_copyable_v<T> && !std::is_same_v<T, bool> && !std::is_enum_v<T>);
    T value;
    TakeBytes(&value, sizeof(value));
    return value;
  }

  bool TakeBit() { return Take<uint8_t>() & 1; }

  // A length byte, then that many bytes (fewer if the input ends): arbitrary bytes, NUL included.
  std::string TakeString() {
    const size_t n = std::min<size_t>(Take<uint8_t>(), remaining());
    std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// An invariant failed. The "INVARIANT: file:line" prefix is what scripts/fuzz.sh groups crashes by, so
// that two different invariants are two findings; abort() makes libFuzzer save the input.
[[noreturn]] inline void Fail(const char* file, int line, const char* condition, const std::string& context) {
  std::fprintf(stderr, "INVARIANT: %s:%d: %s\n%s\n", file, line, condition, context.c_str());
  std::abort();
}

#define ZC_FUZZ_CHECK(condition, context)                               \
  do {                                                                  \
    if (!(condition))                                                   \
      ::zctrace::fuzz::Fail(__FILE__, __LINE__, #condition, (context)); \
  } while (false)

// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF). What JSON and
// Prometheus consumers accept; Linux names (comm, file names, mount points) are bytes and need not be.
inline bool IsValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    // The lead byte gives the length; the shortest form and the range the code point must fall in.
    size_t continuation = 0;
    uint32_t cp = 0, min = 0;
    if ((lead & 0xE0) == 0xC0) {
      continuation = 1;
      cp = lead & 0x1Fu;
      min = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      continuation = 2;
      cp = lead & 0x0Fu;
      min = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      continuation = 3;
      cp = lead & 0x07u;
      min = 0x10000;
    } else {
      return false;  // a continuation byte without a lead, or 0xF8..0xFF
    }
    if (s.size() - i <= continuation)
      return false;
    for (size_t k = 1; k <= continuation; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80)
        return false;
      cp = cp << 6 | (c & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += continuation + 1;
  }
  return true;
}

// Bytes made readable for a failure message: printable ASCII as is, everything else as \xNN.
inline std::string Escaped(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace zctrace::fuzz
