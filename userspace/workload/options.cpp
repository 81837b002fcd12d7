#include "options.h"

#include <cctype>

#include "errors.h"

namespace workload {

const std::vector<Method>& all_methods() {
  static const std::vector<Method> v = {Method::ReadWrite,   Method::ReadvWritev, Method::PreadPwrite,
                                        Method::MmapWrite,   Method::Sendfile,    Method::Splice,
                                        Method::Vmsplice,    Method::Tee,         Method::CopyFileRange,
                                        Method::MsgZerocopy, Method::ODirect,     Method::IoUring};
  return v;
}

const std::vector<SinkType>& all_sinks() {
  static const std::vector<SinkType> v = {SinkType::Tcp, SinkType::Unix, SinkType::File, SinkType::Pipe,
                                          SinkType::Null};
  return v;
}

const std::vector<SourceType>& all_sources() {
  static const std::vector<SourceType> v = {SourceType::File, SourceType::Zero};
  return v;
}

std::string name_of(Method m) {
  switch (m) {
    case Method::ReadWrite:
      return "read-write";
    case Method::ReadvWritev:
      return "readv-writev";
    case Method::PreadPwrite:
      return "pread-pwrite";
    case Method::MmapWrite:
      return "mmap-write";
    case Method::Sendfile:
      return "sendfile";
    case Method::Splice:
      return "splice";
    case Method::Vmsplice:
      return "vmsplice";
    case Method::Tee:
      return "tee";
    case Method::CopyFileRange:
      return "copy-file-range";
    case Method::MsgZerocopy:
      return "msg-zerocopy";
    case Method::ODirect:
      return "o-direct";
    case Method::IoUring:
      return "io-uring";
  }
  return "?";
}

std::string name_of(SinkType s) {
  switch (s) {
    case SinkType::Tcp:
      return "tcp";
    case SinkType::Unix:
      return "unix";
    case SinkType::File:
      return "file";
    case SinkType::Pipe:
      return "pipe";
    case SinkType::Null:
      return "null";
  }
  return "?";
}

std::string name_of(SourceType s) {
  return s == SourceType::File ? "file" : "zero";
}

uint64_t parse_size(const std::string& text) {
  size_t i = 0;
  uint64_t value = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (value > (UINT64_MAX - digit) / 10)
      throw UsageError("size too large: " + text);
    value = value * 10 + digit;
    i++;
  }
  if (i == 0)
    throw UsageError("not a size: '" + text + "' (expected e.g. 4096, 64K, 8M, 1G)");

  std::string suffix = text.substr(i);
  for (char& c : suffix)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  unsigned shift = 0;
  if (suffix.empty() || suffix == "B")
    shift = 0;
  else if (suffix == "K" || suffix == "KB" || suffix == "KIB")
    shift = 10;
  else if (suffix == "M" || suffix == "MB" || suffix == "MIB")
    shift = 20;
  else if (suffix == "G" || suffix == "GB" || suffix == "GIB")
    shift = 30;
  else
    throw UsageError("bad size suffix in '" + text + "' (use K, M or G)");

  if (value > (UINT64_MAX >> shift))
    throw UsageError("size too large: " + text);
  return value << shift;
}

}  // namespace workload
