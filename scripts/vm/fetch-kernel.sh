#!/usr/bin/env bash
# Prints the directory that holds Debian 12's stock 6.1 kernel for the VM suite (vmlinuz, its config, the
# package name and version, and the few modules the guest loads), fetching it on the first run only.
#
# The kernel comes from Debian's own .deb (apt-get download + dpkg-deb), so the guest runs exactly what a
# Debian 12 user runs. The package is pinned below, so that CI does not change kernels under our feet;
# Debian's security archive keeps only the newest ABI, so when the pinned one is gone from the mirror
# this falls back to what linux-image-amd64 depends on today, and says so loudly (update the pin then).
#
#   scripts/vm/fetch-kernel.sh            # -> /var/cache/zctrace-vm/linux-image-6.1.0-56-amd64
#   ZCTRACE_VM_CACHE=/somewhere scripts/vm/fetch-kernel.sh
set -euo pipefail

# The pin. 6.1.0-56 is Debian 12's kernel 6.1.192-2 (bookworm-security) as of this writing.
KERNEL_PKG_PINNED=linux-image-6.1.0-56-amd64
KERNEL_PKG=${ZCTRACE_VM_KERNEL_PKG:-$KERNEL_PKG_PINNED}
CACHE=${ZCTRACE_VM_CACHE:-${XDG_CACHE_HOME:-/var/cache}/zctrace-vm}

# Modules the guest loads, relative to lib/modules/VERSION/kernel/, in load order (dependencies first;
# the .deb has no modules.dep, that is made by depmod at install). brd: a RAM-backed block device, and
# ext4 (with what it needs) to put a real block filesystem on it, so that disk DMA can be seen in the guest;
# the kernel's TLS (tls) with the software AES-GCM it encrypts with (gcm over ctr(aes) and ghash).
MODULES=(drivers/block/brd.ko lib/crc16.ko fs/mbcache.ko fs/jbd2/jbd2.ko crypto/crc32c_generic.ko
  fs/ext4/ext4.ko crypto/gf128mul.ko crypto/ghash-generic.ko crypto/ctr.ko crypto/gcm.ko net/tls/tls.ko)

log() { echo "fetch-kernel: $*" >&2; }

# A cached kernel is complete only when its last file is there (written last, below) and it has every
# module the list names now (a cache made with a shorter list is made again).
cached() {
  [[ -f $CACHE/$1/package ]] || return 1
  local m
  for m in "${MODULES[@]}"; do
    [[ -f $CACHE/$1/modules/${m##*/} ]] || return 1
  done
}

download() {  # PKG DIR: downloads PKG's .deb into DIR; false if the mirror does not have it
  # As root, apt drops to _apt for downloads and complains when it cannot write DIR; root is fine here.
  (cd "$2" && apt-get download -q -o APT::Sandbox::User=root "$1" >&2)
}

if ! cached "$KERNEL_PKG"; then
  if [[ $(id -u) -ne 0 ]]; then
    log "need root to download $KERNEL_PKG into $CACHE"
    exit 1
  fi
  mkdir -p "$CACHE"
  work=$(mktemp -d "$CACHE/.fetch.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  pkg=$KERNEL_PKG
  if ! download "$pkg" "$work"; then
    log "$pkg not downloadable with the current package lists: apt-get update"
    apt-get update -qq >&2 || true
    if ! download "$pkg" "$work"; then
      # The pin has left the mirror (a newer kernel ABI replaced it): take what linux-image-amd64 pulls in.
      pkg=$(apt-cache depends linux-image-amd64 | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
      if [[ -z $pkg ]]; then
        log "neither $KERNEL_PKG nor linux-image-amd64's kernel can be found in the package lists"
        exit 1
      fi
      log "WARNING: the pinned $KERNEL_PKG is gone from the mirror; falling back to $pkg" \
        "(what linux-image-amd64 depends on now). Update KERNEL_PKG_PINNED in scripts/vm/fetch-kernel.sh."
      if cached "$pkg"; then
        echo "$CACHE/$pkg"
        exit 0
      fi
      download "$pkg" "$work"
    fi
  fi
  deb=$(echo "$work"/*.deb)
  version=${pkg#linux-image-}
  # Only /boot and the few modules: the whole package unpacks to hundreds of MB.
  members=("./boot/vmlinuz-$version" "./boot/config-$version")
  for m in "${MODULES[@]}"; do
    members+=("./lib/modules/$version/kernel/$m")
  done
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" "${members[@]}"
  dest=$work/out
  mkdir -p "$dest/modules"
  mv "$work/boot/vmlinuz-$version" "$dest/vmlinuz"
  mv "$work/boot/config-$version" "$dest/config"
  for m in "${MODULES[@]}"; do
    mv "$work/lib/modules/$version/kernel/$m" "$dest/modules/"
  done
  printf '%s\n' "${MODULES[@]##*/}" >"$dest/modules/order"
  dpkg-deb -f "$deb" Version >"$dest/deb-version"
  echo "$pkg" >"$dest/package"
  rm -rf "${CACHE:?}/$pkg"
  mv "$dest" "$CACHE/$pkg"
  log "cached $pkg $(cat "$CACHE/$pkg/deb-version") in $CACHE/$pkg"
  echo "$CACHE/$pkg"
  exit 0
fi
echo "$CACHE/$KERNEL_PKG"
