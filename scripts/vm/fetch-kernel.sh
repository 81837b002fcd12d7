#!/usr/bin/env bash
# Prints the directory that holds a Debian kernel for the VM suite (vmlinuz, its config, the package name
# and version, and the few modules the guest loads), fetching it on the first run only.
#
# The kernel comes from Debian's own .deb (apt-get download + dpkg-deb), so the guest runs exactly what a
# Debian user runs. The packages are pinned below, so that CI does not change kernels under our feet;
# Debian's security archive keeps only the newest ABI, so when a pinned one is gone from the mirror this
# falls back to what the series' meta-package depends on today, and says so loudly (update the pin then).
#
#   scripts/vm/fetch-kernel.sh [KERNEL]   # KERNEL: 6.1 (the default: Debian 12's stock kernel), 6.12
#                                         # (Debian 12's newer option), or a package name (linux-image-...)
#   -> /var/cache/zctrace-vm/linux-image-6.1.0-56-amd64
#   ZCTRACE_VM_CACHE=/somewhere scripts/vm/fetch-kernel.sh 6.12
set -euo pipefail

# The pins, and the meta-package each falls back to. 6.1.0-56 is Debian 12's kernel 6.1.192-2
# (bookworm-security); 6.12.118+deb12 is 6.12.118-1~deb12u1 (bookworm-security), as of this writing.
kernel=${1:-${ZCTRACE_VM_KERNEL_PKG:-6.1}}
case $kernel in
  6.1) KERNEL_PKG=linux-image-6.1.0-56-amd64 META_PKG=linux-image-amd64 ;;
  6.12) KERNEL_PKG=linux-image-6.12.118+deb12-amd64 META_PKG=linux-image-6.12-amd64 ;;
  linux-image-*) KERNEL_PKG=$kernel META_PKG= ;;
  *)
    echo "fetch-kernel: unknown kernel '$kernel': 6.1, 6.12 or a Debian package name (linux-image-...)" >&2
    exit 2
    ;;
esac
CACHE=${ZCTRACE_VM_CACHE:-${XDG_CACHE_HOME:-/var/cache}/zctrace-vm}

# Modules the guest loads, by name, in load order (dependencies first; the .deb has no modules.dep, that
# is made by depmod at install): brd, a RAM-backed block device, and ext4 (with what it needs) to put a
# real block filesystem on it, so that disk DMA can be seen in the guest; the kernel's TLS (tls) with the
# software AES-GCM it encrypts with (gcm over ctr(aes) and ghash). Where they are moves between kernels
# (gf128mul: crypto/ on 6.1, lib/crypto/ on 6.12), some are built in on one and not another (ctr on
# 6.12; crypto_null, which gcm needs, on 6.1), and newer packages compress them (.ko.xz): each is found by
# name, unpacked to NAME.ko.
MODULES=(brd crc16 mbcache jbd2 crc32c_generic ext4 gf128mul ghash-generic ctr crypto_null gcm tls)

log() { echo "fetch-kernel: $*" >&2; }

# A cached kernel is complete only when its last file is there (written last, below) and was made for
# the module list of today (a cache made with another list is made again).
cached() {
  [[ -f $CACHE/$1/package && "$(cat "$CACHE/$1/modules/wanted" 2>/dev/null)" == "${MODULES[*]}" ]]
}

download() {  # PKG DIR: downloads PKG's .deb into DIR; false if the mirror does not have it
  # As root, apt drops to _apt for downloads and complains when it cannot write DIR; root is fine here.
  (cd "$2" && apt-get download -q -o APT::Sandbox::User=root "$1" >&2)
}

if cached "$KERNEL_PKG"; then
  echo "$CACHE/$KERNEL_PKG"
  exit 0
fi
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
    # The pin has left the mirror (a newer kernel ABI replaced it): take what the meta-package pulls in.
    pkg=
    if [[ -n $META_PKG ]]; then
      pkg=$(apt-cache depends "$META_PKG" | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
    fi
    if [[ -z $pkg ]]; then
      log "neither $KERNEL_PKG nor ${META_PKG:-a meta-package}'s kernel can be found in the package lists"
      exit 1
    fi
    log "WARNING: the pinned $KERNEL_PKG is gone from the mirror; falling back to $pkg" \
      "(what $META_PKG depends on now). Update the pin in scripts/vm/fetch-kernel.sh."
    if cached "$pkg"; then
      echo "$CACHE/$pkg"
      exit 0
    fi
    download "$pkg" "$work"
  fi
fi
deb=$(echo "$work"/*.deb)
version=${pkg#linux-image-}
listing=$(dpkg-deb -c "$deb" | awk '{ print $NF }')
# Only /boot, the modules and the list of built-in ones: the whole package unpacks to hundreds of MB.
members=("./boot/vmlinuz-$version" "./boot/config-$version" "./lib/modules/$version/modules.builtin")
found=()
for m in "${MODULES[@]}"; do
  path=$(grep -F "./lib/modules/$version/kernel/" <<<"$listing" | grep -E "/$m\.ko(\.xz|\.zst)?$" | head -n 1 ||
    true)
  if [[ -n $path ]]; then
    members+=("$path")
    found+=("$path")
  fi
done
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" "${members[@]}"
dest=$work/out
mkdir -p "$dest/modules"
mv "$work/boot/vmlinuz-$version" "$dest/vmlinuz"
mv "$work/boot/config-$version" "$dest/config"
order=()
for m in "${MODULES[@]}"; do
  path=
  for f in "${found[@]}"; do
    [[ $f =~ /$m\.ko(\.xz|\.zst)?$ ]] && path=$f
  done
  if [[ -z $path ]]; then
    # not a module of this kernel: built in, or the guest cannot have it
    if grep -qE "/$m\.ko$" "$work/lib/modules/$version/modules.builtin"; then
      continue
    fi
    log "$pkg has no module $m and does not build it in"
    exit 1
  fi
  case $path in
    *.xz) xz -dc "$work/$path" >"$dest/modules/$m.ko" ;;
    *.zst) zstd -qdc "$work/$path" >"$dest/modules/$m.ko" ;;
    *) mv "$work/$path" "$dest/modules/$m.ko" ;;
  esac
  order+=("$m.ko")
done
printf '%s\n' "${order[@]}" >"$dest/modules/order"
echo "${MODULES[*]}" >"$dest/modules/wanted"
dpkg-deb -f "$deb" Version >"$dest/deb-version"
echo "$pkg" >"$dest/package"
rm -rf "${CACHE:?}/$pkg"
mv "$dest" "$CACHE/$pkg"
log "cached $pkg $(cat "$CACHE/$pkg/deb-version") in $CACHE/$pkg"
echo "$CACHE/$pkg"
