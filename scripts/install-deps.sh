#!/usr/bin/env bash
# Installs everything zctrace needs to build and test on Debian 12 (bookworm).
# Idempotent: packages already present are skipped, so CI can call it on every run.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  clang llvm            # BPF compiler (clang -target bpf) and llvm-strip
  libbpf-dev libelf-dev zlib1g-dev
  bpftool               # bpftool gen skeleton / btf dump
  libcli11-dev nlohmann-json3-dev libgtest-dev
  libcpp-httplib-dev    # --prometheus: the /metrics endpoint
  prometheus            # tests: a real Prometheus scrapes zctrace
  clang-format
  help2man              # man pages from --help (cmake/Packaging.cmake)
  bash-completion       # tests: completions/zctrace.bash uses its helpers
  iproute2 procps coreutils util-linux  # tests: ip (netns, veth), ps, dd, nsenter
  curl                  # tests: a download from the Debian mirror, received on the NIC; an HTTP client
  nginx-light haproxy iperf3  # tests: real servers on loopback (tests/integration/servers_test.cpp)
  wrk                   # benchmarks: HTTP load on nginx (docs/overhead.md)
  python3-jsonschema    # tests: every JSON document against its schema (schemas/, tests/schema)
  qemu-system-x86 busybox-static  # scripts/test-vm.sh: Debian 12's 6.1 kernel under qemu, busybox initramfs
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi
