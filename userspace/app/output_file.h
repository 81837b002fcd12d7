// A file an output goes to at the end (--json FILE): checked writable at the start without truncating
// it, so that a run that fails before its report leaves an existing file as it was.
#pragma once

#include <string>

namespace zctrace {

class OutputFile {
 public:
  OutputFile() = default;
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Opens (creating it if missing) without truncating; false with *error (why, as strerror says it).
  bool Open(const std::string& path, std::string* error);
  bool is_open() const { return fd_ >= 0; }
  // Replaces the file's contents with text; false with *error (why).
  bool Replace(const std::string& text, std::string* error);

 private:
  std::string path_;
  int fd_ = -1;
  bool created_ = false;  // made by Open: removed again if nothing was ever written
  bool written_ = false;
};

}  // namespace zctrace
