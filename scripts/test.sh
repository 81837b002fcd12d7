#!/usr/bin/env bash
# The one test command, from a fresh clone on Debian 12: installs what is missing, builds, runs every
# test (unit tests, and the integration tests that load the real BPF programs — run as root), then the
# integration tests on Debian's 6.1 and 6.12 kernels in a VM.
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

# The integration tests again on other kernels, under qemu (scripts/test-vm.sh): all of them on Debian
# 12's stock 6.1, the load and smoke set on 6.12 (Debian 12's newer option, Debian 13's series). CI runs
# them; ZCTRACE_NO_VM=1 skips them, for quick local runs only. Both run even when the first fails.
if [[ ${ZCTRACE_NO_VM:-0} != 1 ]]; then
  vm_rc=0
  echo "== VM suite (Debian 12's 6.1 kernel under qemu) =="
  ./scripts/test-vm.sh 6.1 || vm_rc=$?
  echo "== VM load and smoke set (Debian's 6.12 kernel under qemu) =="
  ./scripts/test-vm.sh --smoke 6.12 || vm_rc=$?
  exit "$vm_rc"
fi
