#!/usr/bin/env bash
# Installs the build into a scratch directory and checks what a user gets: binaries, man pages that
# render, a bash completion that completes, the systemd unit, and the shipped docs.
set -euo pipefail
build=$1
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# Through DESTDIR, as a package is made: the unit's directory may be absolute (/lib/systemd/system), and
# nothing may be written to this host's.
DESTDIR=$stage cmake --install "$build" --prefix /usr >/dev/null
prefix=$stage/usr

unit_dir=$(sed -n 's/^ZCTRACE_SYSTEMD_UNIT_DIR:[A-Z]*=//p' "$build/CMakeCache.txt")
[[ $unit_dir == /* ]] || unit_dir=/usr/$unit_dir
[[ -f $stage$unit_dir/zctrace@.service ]] || { echo "FAIL: zctrace@.service not installed in $unit_dir"; exit 1; }
# the unit starts the zctrace this installation has
grep -q 'exec /usr/bin/zctrace ' "$stage$unit_dir/zctrace@.service" ||
  { echo "FAIL: zctrace@.service does not run /usr/bin/zctrace"; exit 1; }

for f in bin/zctrace libexec/zctrace/zctrace-workload \
         share/man/man1/zctrace.1.gz share/man/man1/zctrace-check.1.gz share/man/man1/zctrace-top.1.gz \
         share/bash-completion/completions/zctrace share/doc/zctrace/grafana-dashboard.json \
         share/doc/zctrace/copyright share/doc/zctrace/changelog.Debian.gz \
         share/doc/zctrace/deploying.md share/doc/zctrace/json-schema.md share/doc/zctrace/overhead.md \
         share/zctrace/schemas/zctrace.schema.json share/zctrace/schemas/zctrace-defs.schema.json \
         share/zctrace/schemas/zctrace-check.schema.json share/zctrace/schemas/zctrace-demo.schema.json \
         share/zctrace/schemas/zctrace-lines.schema.json share/zctrace/schemas/zctrace-top.schema.json; do
  [[ -e $prefix/$f ]] || { echo "FAIL: $f not installed"; exit 1; }
done
[[ ! -e $prefix/bin/zctrace-workload ]] || { echo "FAIL: zctrace-workload installed as a command in bin/"; exit 1; }
"$prefix/bin/zctrace" --version | grep -q '^zctrace [0-9]' || { echo "FAIL: --version"; exit 1; }

# the installed zctrace finds the installed workload: `zctrace demo` looks it up right after checking its
# privileges, and only then creates its directory, which is made to fail here so that nothing is traced
if [[ $(id -u) == 0 ]]; then
  demo_err=$("$prefix/bin/zctrace" demo --dir "$stage/no-such-dir" 2>&1) || true
  [[ $demo_err == *"cannot create a directory in $stage/no-such-dir"* ]] ||
    { echo "FAIL: the installed zctrace demo does not find its workload: $demo_err"; exit 1; }
else
  echo "not root: the installed zctrace demo was not run to check that it finds its workload"
fi

# the man page renders and documents the options --help has
man -l "$prefix/share/man/man1/zctrace.1.gz" 2>/dev/null | grep -q -- '--prometheus' ||
  { echo "FAIL: man page lacks --prometheus"; exit 1; }

# the completion completes options and subcommands (bash-completion is not written for set -u)
set +u
# shellcheck disable=SC1091
source /usr/share/bash-completion/bash_completion
# shellcheck disable=SC1090
source "$prefix/share/bash-completion/completions/zctrace"
PATH=$prefix/bin:$PATH
COMP_LINE="zctrace --pro"; COMP_POINT=${#COMP_LINE}
COMP_WORDS=(zctrace --pro); COMP_CWORD=1; COMPREPLY=()
_zctrace zctrace --pro zctrace
[[ " ${COMPREPLY[*]} " == *" --prometheus "* ]] || { echo "FAIL: completion of --pro: ${COMPREPLY[*]}"; exit 1; }
COMP_LINE="zctrace "; COMP_POINT=${#COMP_LINE}
COMP_WORDS=(zctrace ''); COMP_CWORD=1; COMPREPLY=()
_zctrace zctrace '' zctrace
[[ " ${COMPREPLY[*]} " == *" check "* ]] || { echo "FAIL: completion of subcommands: ${COMPREPLY[*]}"; exit 1; }

python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$prefix/share/doc/zctrace/grafana-dashboard.json"
echo "1 passed, 0 failed"
