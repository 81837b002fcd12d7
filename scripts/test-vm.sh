#!/usr/bin/env bash
# The integration tests on other kernels than the host's: Debian's own kernel packages, booted under qemu
# with an initramfs (scripts/vm/). Builds the static tree (build-static/, -DZCTRACE_STATIC=ON), fetches
# the kernel once (cached), packs, boots, runs the guest suite and exits non-zero when it fails.
# scripts/test.sh runs it after the host suites: the full suite on Debian 12's stock 6.1, the load and
# smoke set on 6.12. As root, on Debian 12.
#
#   sudo scripts/test-vm.sh [--smoke] [KERNEL]   # KERNEL: 6.1 (default), 6.12, or a package name
#   ZCTRACE_VM_FILTER='Core.*' sudo scripts/test-vm.sh     # a gtest filter instead of the default set
#
# --smoke: the load and smoke set only (every program loads in both modes, exact counts of one
# read+write, one sendfile and one splice run, one flow, check's verdicts), for a kernel the full suite
# does not run on.
# Environment: ZCTRACE_VM_FILTER (gtest filter), ZCTRACE_VM_ACCEL=tcg|kvm, ZCTRACE_VM_TIMEOUT (s),
# ZCTRACE_VM_DISK=0 (no RAM disk: the disk DMA tests skip), ZCTRACE_LIBBPF_LOG=1 (libbpf's messages from
# every zctrace in the guest), ZCTRACE_VM_CACHE (where the kernels are kept; /var/cache/zctrace-vm).
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0
if [[ ${1:-} == --smoke ]]; then
  smoke=1
  shift
fi
kernel=${1:-6.1}
if [[ $# -gt 1 || $kernel == -* ]]; then
  echo "usage: scripts/test-vm.sh [--smoke] [KERNEL]   (KERNEL: 6.1, 6.12 or linux-image-...)" >&2
  exit 2
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "test-vm.sh: run as root (sudo scripts/test-vm.sh): the kernel is fetched with apt" >&2
  exit 1
fi
./scripts/install-deps.sh test >/dev/null

now() { date +%s%N; }
secs() { echo $((($(now) - $1) / 1000000000)); }
t_all=$(now)

echo "== VM suite: fetch the kernel ($kernel) =="
t=$(now)
kernel_dir=$(scripts/vm/fetch-kernel.sh "$kernel")
package=$(cat "$kernel_dir/package")
echo "kernel: $(cat "$kernel_dir/package") $(cat "$kernel_dir/deb-version") ($kernel_dir)"
fetch_s=$(secs "$t")

echo "== VM suite: static build (build-static/) =="
t=$(now)
cmake -S . -B build-static -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZCTRACE_STATIC=ON >/dev/null
cmake --build build-static -j"$(nproc)" --target zctrace zctrace-workload zctrace_integration_tests \
  sigbus_victim spawner relay_threads round_robin copy_three_ways copy_three_ways_fixed copy_three_ways_stripped_bin \
  ktls_sender
build_s=$(secs "$t")

t=$(now)
mkdir -p build-static/vm
initramfs=build-static/vm/initramfs-$package.cpio
log=build-static/vm/console-$package.log
scripts/vm/make-initramfs.sh build-static "$kernel_dir" "$initramfs"
pack_s=$(secs "$t")

accel=${ZCTRACE_VM_ACCEL:-$(scripts/vm/pick-accel.sh "$kernel_dir" "$initramfs")}
# Under software emulation the whole suite (149 tests) takes 15 min in the guest (measured: 923 s, about
# 4.5 s per test, most of it loading zctrace: its verification on 6.1 and the workload, each some 10x the
# host's time). TCG therefore leaves out what repeats rather than reaches a different kernel path: the
# second run of each accuracy case (*_run2, 62 tests, 280 s), the accuracy cases whose sink is /dev/null
# (12, 50 s: discarded by write_null / splice_write_null), the demo's two end-to-end runs (157 s: the same workload methods as the
# accuracy cases), the soak (30 s: a throughput figure) and the forced refusals (how userspace
# reports a program the verifier refuses, and that a failed run leaves its --json file: the same on any
# kernel) and the 10,000-process fork loop (a long run's bookkeeping in userspace; the kernel paths it takes, exit hand-over included, every
# other test's processes take too). What is left is about 6 min of tests. KVM runs all.
tcg_filter='*-*_run2:*_null_file_run1:Demo.ShowsTheFourCopyModelOnThisKernel:Demo.TextTableNamesTheMethods'
tcg_filter+=':Robustness.ShortSoakAtAMillionSyscallsPerSecond:Demo.FailedRowsMakeItFail'
tcg_filter+=':Check.ProgramsThatDoNotLoadAreTwoNotAPass:Targets.AForkLoopRunsInASmallTableWithNothingLost'
tcg_filter+=':Core.AFailedRunLeavesTheJsonFileAsItWas'
# The load and smoke set (--smoke): zctrace loads in both modes (the guest's /init loads it in model and
# in auto mode before any test), exact counts of read+write, sendfile and splice, one flow, check.
smoke_filter='Core.DdFromZeroToNullIsCountedExactly:Core.PreciseModeRunsOrSaysWhyNot'
smoke_filter+=':*Accuracy.*/read_write_tcp_file_run1:*Accuracy.*/sendfile_tcp_file_run1'
smoke_filter+=':*Accuracy.*/splice_tcp_file_run1:Flows.ReadWriteRelayIsOneFlowWithBothEndsNamed'
smoke_filter+=':Check.ReadWriteRelayFailsAndSaysWhy:Check.SendfilePasses'
if [[ -n ${ZCTRACE_VM_FILTER:-} ]]; then
  filter=$ZCTRACE_VM_FILTER
elif [[ $smoke == 1 ]]; then
  filter=$smoke_filter
elif [[ $accel == kvm ]]; then
  filter='*'
else
  filter=$tcg_filter
fi

# The guest's time limit: the smoke set's budget is 6 minutes of CI; the full suite's 20. A run should
# take at most half of it (the summary warns past that), so that one noisy machine does not fail CI.
timeout_s=${ZCTRACE_VM_TIMEOUT:-$((smoke ? 360 : 1200))}
echo "== VM suite: boot and run the integration tests in the guest =="
t=$(now)
rc=0
ZCTRACE_VM_TIMEOUT=$timeout_s ZCTRACE_VM_ACCEL=$accel scripts/vm/run-guest.sh "$kernel_dir" "$initramfs" "$log" \
  "$filter" || rc=$?
guest_s=$(secs "$t")

# The summary, from the guest's console: its kernel, gtest's closing lines.
console=$(tr -d '\r' <"$log")
echo "== VM suite summary =="
echo "guest kernel: $(sed -n 's/.*ZCTRACE-VM-BOOTED: //p' <<<"$console" | head -n 1)"
echo "guest disk:   $(sed -n 's/^ZCTRACE-VM-DISK: //p' <<<"$console" | head -n 1)"
# what the kernel offered zctrace, and what zctrace turned off there
sed -n 's/^ZCTRACE-VM-\(LOAD\|ERROR\|FEATURE\): /\1: /p' <<<"$console"
echo "accelerator:  $accel"
echo "filter:       $filter"
grep -E '^\[==========\] [0-9]+ tests? from|^\[  (PASSED|SKIPPED|FAILED) +\]' <<<"$console" || true
echo "times (s):    fetch $fetch_s, static build $build_s, pack $pack_s," \
  "guest (boot + tests) $guest_s of its $timeout_s s limit, total $(secs "$t_all")"
if ((guest_s * 2 > timeout_s)); then
  echo "WARNING: the guest took more than half of its time limit: cut the cost of its tests (scripts/test-vm.sh)"
fi
echo "console log:  $log"
exit "$rc"
