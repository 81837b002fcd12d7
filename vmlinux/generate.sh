#!/usr/bin/env bash
# Regenerates vmlinux/x86/vmlinux.h from a kernel's BTF. The header is checked in so that the build never
# needs the build machine's kernel to have BTF; CO-RE relocates field offsets at load time on the target.
# Usage: vmlinux/generate.sh [BTF_FILE]   (default: the running kernel's /sys/kernel/btf/vmlinux)
set -euo pipefail
btf=${1:-/sys/kernel/btf/vmlinux}
here=$(cd "$(dirname "$0")" && pwd)
if [[ ! -r $btf ]]; then
  echo "generate.sh: cannot read BTF at $btf" >&2
  exit 1
fi
mkdir -p "$here/x86"
bpftool btf dump file "$btf" format c >"$here/x86/vmlinux.h.tmp"
mv "$here/x86/vmlinux.h.tmp" "$here/x86/vmlinux.h"
echo "wrote $here/x86/vmlinux.h from $btf ($(uname -r))"
