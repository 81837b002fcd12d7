#!/usr/bin/env bash
# Rewrites tests/golden/* from the current renderers. Review the diff before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target zctrace_unit_tests
ZCTRACE_UPDATE_GOLDEN=1 ./build/tests/zctrace_unit_tests --gtest_filter='Render*Golden*'
git --no-pager diff --stat -- tests/golden
