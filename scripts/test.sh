#!/usr/bin/env bash
# The one test command, from a fresh clone on Debian 12: installs what is missing, builds, runs every
# test (unit tests, and the integration tests that load the real BPF programs — run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then
  echo "test.sh: run as root (sudo scripts/test.sh): the integration tests load BPF programs" >&2
  exit 1
fi
./scripts/build.sh
# Formatting is part of the suite: our C++ must match .clang-format.
./scripts/check-format.sh
cd build
ctest --output-on-failure -j1 --timeout 600
