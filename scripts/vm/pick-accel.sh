#!/usr/bin/env bash
# Prints the qemu accelerator for the VM suite: kvm when /dev/kvm boots a probe guest of this kernel and
# initramfs, tcg (software emulation, the baseline) otherwise. /dev/kvm can exist and still not work
# (nested virtualisation refused): on these machines qemu either aborts at once (-cpu host: "failed to set
# MSR 0x10a") or hangs after the BIOS, so only a guest that reaches its init counts. The probe guest
# prints its boot line and powers off at once: a few seconds under KVM, about 6 under TCG.
#
#   scripts/vm/pick-accel.sh KERNEL_DIR INITRAMFS
set -euo pipefail
kernel=$1/vmlinuz
initramfs=$2

if [[ -r /dev/kvm && -w /dev/kvm ]]; then
  probe_log=$(mktemp)
  trap 'rm -f "$probe_log"' EXIT
  if timeout --kill-after=5 15 qemu-system-x86_64 -accel kvm -cpu host -m 2048 -smp 2 -nographic -no-reboot \
    -nic none -kernel "$kernel" -initrd "$initramfs" -append "console=ttyS0 panic=-1 quiet zctrace_probe=1" \
    </dev/null >"$probe_log" 2>&1 && grep -aq 'ZCTRACE-VM-BOOTED:' "$probe_log"; then
    echo kvm
    exit 0
  fi
  echo "pick-accel: /dev/kvm is there but a KVM guest did not boot within 15 s; using TCG. Its output:" >&2
  tr -d '\r' <"$probe_log" | tail -n 3 | sed 's/^/  | /' >&2
else
  echo "pick-accel: no usable /dev/kvm; using TCG" >&2
fi
echo tcg
