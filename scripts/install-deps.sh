#!/usr/bin/env bash
# Installs what zctrace needs on Debian 12 (bookworm), by what it is for:
#   install-deps.sh run     to run a built zctrace: its shared libraries
#   install-deps.sh build   to build it (and run it): compilers, headers, bpftool, help2man
#   install-deps.sh test    to test it (and build it): GTest, the real servers, qemu, ... (the default: CI)
# Idempotent: packages already present are skipped, so CI can call it on every run.
set -euo pipefail

tier=${1:-test}
case $tier in
  run | build | test) ;;
  *)
    echo "usage: install-deps.sh [run|build|test]" >&2
    exit 2
    ;;
esac

run_packages=(
  libbpf1 libelf1 zlib1g
  libcpp-httplib0.11    # --prometheus: the /metrics endpoint
)
build_packages=(
  build-essential cmake pkg-config
  clang llvm            # BPF compiler (clang -target bpf) and llvm-strip
  libbpf-dev libelf-dev zlib1g-dev
  bpftool               # bpftool gen skeleton / btf dump
  libcli11-dev nlohmann-json3-dev
  libcpp-httplib-dev
  help2man              # man pages from --help (cmake/Packaging.cmake)
)
test_packages=(
  git libgtest-dev clang-format shellcheck
  prometheus            # tests: a real Prometheus scrapes zctrace
  bash-completion       # tests: completions/zctrace.bash uses its helpers
  iproute2 procps coreutils util-linux  # tests: ip (netns, veth), ps, dd, nsenter
  curl                  # tests: a download from the Debian mirror, received on the NIC; an HTTP client
  openssl               # tests: a TLS server that encrypts in user space (s_server), its key and certificate
  nginx-light haproxy iperf3  # tests: real servers on loopback (tests/integration/servers_test.cpp)
  wrk                   # benchmarks: HTTP load on nginx (docs/overhead.md)
  python3-jsonschema    # tests: every JSON document against its schema (schemas/, tests/schema)
  protobuf-compiler python3-protobuf  # tests: --pprof profiles decoded by protoc's reader (tests/call_stacks)
  btrfs-progs           # tests: copy_file_range and cp on a btrfs loop image (a reflink) beside ext4 (a copy)
  xfsprogs              # tests: xfs_io reflink (FICLONERANGE) on that image
  lintian               # tests: the .deb is lintian clean of errors (tests/packaging)
  qemu-system-x86 busybox-static  # scripts/test-vm.sh: Debian 12's 6.1 and 6.12 kernels under qemu, busybox initramfs
  xz-utils zstd         # scripts/vm/fetch-kernel.sh: newer kernel packages compress their modules
)

packages=("${run_packages[@]}")
[[ $tier == build || $tier == test ]] && packages+=("${build_packages[@]}")
[[ $tier == test ]] && packages+=("${test_packages[@]}")

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
  echo "install-deps: all packages present ($tier)"
fi
