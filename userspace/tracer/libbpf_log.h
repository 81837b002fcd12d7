// libbpf's messages and what a failed load says: on success the messages are noise, on a refused program
// they hold the verifier's log, whose reason the load error names. Also the errno text every error uses.
#pragma once

#include <bpf/libbpf.h>

#include <cstdarg>
#include <string>

namespace zctrace {

// libbpf's print callback (libbpf_set_print): keeps the messages (and echoes them with ZCTRACE_LIBBPF_LOG=1).
int CaptureLibbpfPrint(enum libbpf_print_level level, const char* format, va_list args);

// strerror() of an errno value or of a negative libbpf error.
std::string ErrnoText(int err);

// The error for a failed zctrace_bpf__load (its err), from the messages kept: the verifier's reason when
// it refused a program (two lines then), else the missing privilege or libbpf's last message.
std::string LoadFailure(int err);

}  // namespace zctrace
