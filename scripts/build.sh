#!/usr/bin/env bash
# Installs what is missing (Debian 12) and builds zctrace into build/. Used by test.sh and demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build build -j"$(nproc)"
