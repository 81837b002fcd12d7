#!/usr/bin/env bash
# Packs the VM suite's initramfs: busybox and scripts/vm/init, the static zctrace binaries of a
# ZCTRACE_STATIC build tree at the SAME absolute paths as on the host (the test binary has them compiled
# in), the few host programs the tests run (dd, sh, ... with their shared libraries, so that the guest
# runs the very programs the host suite runs), and the kernel modules fetched with the kernel.
#
#   scripts/vm/make-initramfs.sh STATIC_BUILD_DIR KERNEL_DIR OUTPUT.cpio
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 STATIC_BUILD_DIR KERNEL_DIR OUTPUT.cpio" >&2
  exit 2
fi
build=$(realpath "$1")
kernel=$(realpath "$2")
output=$3
here=$(dirname "$(realpath "$0")")

# The binaries of the static build, where tests/integration/CMakeLists.txt tells the test binary to find
# them (ZCTRACE_BIN, ZCTRACE_WORKLOAD_BIN, SIGBUS_VICTIM_BIN, SPAWNER_BIN, RELAY_THREADS_BIN,
# ROUND_ROBIN_BIN, COPY_THREE_WAYS_DIR, KTLS_SENDER_BIN).
test_bin=$build/tests/integration/zctrace_integration_tests
ours=("$test_bin" "$build/userspace/zctrace" "$build/userspace/workload/zctrace-workload"
  "$build/tests/integration/sigbus_victim" "$build/tests/integration/spawner"
  "$build/tests/integration/relay_threads" "$build/tests/integration/round_robin"
  "$build/tests/integration/copy_three_ways" "$build/tests/integration/copy_three_ways_fixed"
  "$build/tests/integration/copy_three_ways_stripped" "$build/tests/integration/ktls_sender")
# Host programs the integration tests run by absolute path (grep the tests for "/bin/" and "/sbin/").
host_programs=(/bin/sh /bin/dd /bin/sleep /bin/true /usr/bin/id /usr/bin/pkill /usr/sbin/bpftool)

for f in "${ours[@]}"; do
  # a dynamically linked executable names its loader in a PT_INTERP program header
  if [[ ! -x $f ]] || readelf -lW "$f" | grep -q INTERP; then
    echo "make-initramfs: $f is missing or not static (configure with -DZCTRACE_STATIC=ON)" >&2
    exit 1
  fi
done

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
# Debian 12's merged /usr: /bin, /sbin, /lib and /lib64 are links into /usr, as on the host, so that a
# program and its libraries can be copied to whichever of their names ldd prints.
mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,proc,sys,dev,tmp,run,root,var/tmp,etc/zctrace-vm}
for d in bin sbin lib lib64; do
  ln -s "usr/$d" "$root/$d"
done
chmod 1777 "$root/tmp" "$root/var/tmp"

install_file() {  # SOURCE DEST-IN-GUEST: copies the file a path resolves to, keeping that name
  mkdir -p "$root$(dirname "$2")"
  cp -L "$1" "$root$2"
}

# busybox: the init's shell and its mount, ip, insmod, mke2fs, poweroff (Debian's busybox-static).
install_file /bin/busybox /usr/bin/busybox
install_file "$here/init" /init
chmod 755 "$root/init"

for p in "${host_programs[@]}"; do
  install_file "$p" "$p"
  # Each library by the path ldd resolved ("libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)") and
  # the dynamic loader (the line without "=>").
  ldd "$p" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | while read -r lib; do
    [[ -e $root$lib ]] || install_file "$lib" "$lib"
  done
done

# Ours, without debug info (a third of the size): the guest only runs them.
for f in "${ours[@]}"; do
  mkdir -p "$root$(dirname "$f")"
  strip --strip-debug -o "$root$f" "$f"
done
echo "$test_bin" >"$root/etc/zctrace-vm/test-binary"
echo "$build/userspace/zctrace" >"$root/etc/zctrace-vm/zctrace-binary"

# Users for -u (the tests run a command as nobody); the static zctrace reads these files itself.
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
echo "passwd: files" >"$root/etc/nsswitch.conf"
echo "group: files" >>"$root/etc/nsswitch.conf"

mkdir -p "$root/lib/modules-zctrace"
cp "$kernel"/modules/* "$root/lib/modules-zctrace/"

# newc is the format the kernel unpacks; uncompressed, because decompressing in an emulated CPU costs
# more than copying a few more MB into guest memory.
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | busybox cpio -o -H newc) >"$output.tmp" 2>/dev/null
mv "$output.tmp" "$output"
echo "make-initramfs: $output ($(du -h "$output" | cut -f1))" >&2
