#!/usr/bin/env bash
# The main job, from a fresh clone: installs what building needs (not the test suite's servers and VM),
# builds, and runs `zctrace demo` — every transfer method traced side by side against the four-copy
# model. Extra arguments go to the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then
  echo "demo.sh: run as root (as root: scripts/demo.sh; else: sudo scripts/demo.sh): zctrace loads BPF programs" >&2
  exit 1
fi
./scripts/build.sh --for demo >/dev/null
exec ./build/userspace/zctrace demo "$@"
