#!/usr/bin/env bash
# Builds the Debian package from a build tree and holds it to what Debian accepts: no lintian error (its
# overrides aside, which say why), a dynamically linked zctrace, everything where Debian policy and systemd
# look for it, and the changelog's version on the package.
# Usage: check_deb.sh BUILD_DIR [CPACK]
set -euo pipefail
build=$1
cpack=${2:-cpack}
source_dir=$(cd "$(dirname "$0")/../.." && pwd)

# lintian is a declared test dependency (scripts/install-deps.sh): without it this test cannot pass.
command -v lintian >/dev/null ||
  { echo "FAIL: lintian is not installed (apt-get install lintian; scripts/install-deps.sh installs it)"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# -B: the package and CPack's staging stay out of the build tree.
"$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; echo "FAIL: cpack"; exit 1; }
debs=("$work"/out/*.deb)
[[ ${#debs[@]} == 1 && -f ${debs[0]} ]] || { cat "$work/cpack.log"; echo "FAIL: cpack made no single .deb"; exit 1; }
deb=${debs[0]}
echo "package: $(basename "$deb")"

# lintian exits non-zero on errors too, but an E: line is what counts; its warnings are printed, not fatal.
lintian_report=$(lintian "$deb" 2>&1) || true
[[ -z $lintian_report ]] || echo "$lintian_report"
if grep -q '^E: ' <<<"$lintian_report"; then
  echo "FAIL: lintian reports errors"
  exit 1
fi

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# The package's file list, each path without dpkg-deb's leading "." (./usr/bin/zctrace -> /usr/bin/zctrace)
contents=$(dpkg-deb -c "$deb" | awk '{ print substr($6, 2) }')
has() { grep -qxE "$1" <<<"$contents"; }
has /usr/bin/zctrace || fail "no /usr/bin/zctrace"
has /usr/libexec/zctrace/zctrace-workload || fail "the workload is not /usr/libexec/zctrace/zctrace-workload"
! has '/usr/bin/zctrace-workload' || fail "the workload is a command in /usr/bin"
has '(/usr)?/lib/systemd/system/zctrace@\.service' || fail "no zctrace@.service in systemd's unit directory"
has /usr/share/doc/zctrace/copyright || fail "no /usr/share/doc/zctrace/copyright"
has /usr/share/doc/zctrace/changelog\.Debian\.gz || fail "no /usr/share/doc/zctrace/changelog.Debian.gz"
for schema in "$source_dir"/schemas/*.schema.json; do
  has "/usr/share/zctrace/schemas/$(basename "$schema")" || fail "no /usr/share/zctrace/schemas/$(basename "$schema")"
done

dpkg-deb -x "$deb" "$work/root"
# a dynamically linked executable names its loader in a PT_INTERP program header
readelf -lW "$work/root/usr/bin/zctrace" | grep -q INTERP || fail "/usr/bin/zctrace is not dynamically linked"
# the version the changelog's latest entry gives is the package's
package_version=$(dpkg-deb -f "$deb" Version)
changelog_version=$(zcat "$work/root/usr/share/doc/zctrace/changelog.Debian.gz" |
  sed -n '1s/^zctrace (\([^)]*\)).*/\1/p')
[[ $changelog_version == "$package_version" ]] ||
  fail "the changelog's latest entry is $changelog_version, the package is $package_version"
dpkg-deb -f "$deb" Depends | grep -q libbpf1 || fail "Depends does not name libbpf1: $(dpkg-deb -f "$deb" Depends)"

if ((failures > 0)); then
  exit 1
fi
echo "1 passed, 0 failed"
