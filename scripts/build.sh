#!/usr/bin/env bash
# Installs what is missing (Debian 12) and builds zctrace into build/.
#   build.sh [--for test|demo] [CMAKE ARGS...]
# --for test (the default; test.sh): every dependency, the tests built too. --for demo (demo.sh): only
# what building and running need, no tests (no GTest, no servers, no qemu).
set -euo pipefail
cd "$(dirname "$0")/.."
purpose="test"
if [[ ${1:-} == --for ]]; then
  purpose=${2:-}
  shift 2 || true
fi
case $purpose in
  test) ./scripts/install-deps.sh test && testing=ON ;;
  demo) ./scripts/install-deps.sh build && testing=OFF ;;
  *)
    echo "usage: build.sh [--for test|demo] [CMAKE ARGS...]" >&2
    exit 2
    ;;
esac
# BUILD_TESTING said every time: a demo build must not leave a later test build without its tests
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=$testing "$@" >/dev/null
cmake --build build -j"$(nproc)"
