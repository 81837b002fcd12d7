#!/usr/bin/env bash
# The one test command, from a fresh clone on Debian 12: installs what is missing, builds, runs every
# test (unit tests, and the integration tests that load the real BPF programs — run as root), then the
# integration tests on Debian 12's 6.1 kernel in a VM.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then
  echo "test.sh: run as root (as root: scripts/test.sh; else: sudo scripts/test.sh): the integration tests load BPF programs" >&2
  exit 1
fi
./scripts/build.sh --for test
# Formatting is part of the suite: our C++ must match .clang-format.
./scripts/check-format.sh
(cd build && ctest --output-on-failure -j1 --timeout 600)

# The same suites under AddressSanitizer and UndefinedBehaviorSanitizer (our code; the workload
# fixture stays static and unsanitized). Skipped only with ZCTRACE_NO_SANITIZE=1, for quick local runs.
if [[ ${ZCTRACE_NO_SANITIZE:-0} != 1 ]]; then
  echo "== sanitizer build (ASan + UBSan) =="
  cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZCTRACE_SANITIZE=ON >/dev/null
  cmake --build build-sanitize -j"$(nproc)"
  (cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure -j1 --timeout 600)
fi

# The integration tests again on a second kernel, Debian 12's stock 6.1, under qemu (scripts/test-vm.sh).
# CI runs it; ZCTRACE_NO_VM=1 skips it, for quick local runs only.
if [[ ${ZCTRACE_NO_VM:-0} != 1 ]]; then
  echo "== VM suite (Debian 12's 6.1 kernel under qemu) =="
  ./scripts/test-vm.sh
fi
