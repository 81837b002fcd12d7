#!/usr/bin/env bash
# Installs the build into a scratch prefix and checks what a user gets: binaries, man pages that
# render, a bash completion that completes, and the shipped docs.
set -euo pipefail
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null

for f in bin/zctrace bin/zctrace-workload share/man/man1/zctrace.1.gz share/man/man1/zctrace-check.1.gz share/man/man1/zctrace-top.1.gz \
         share/bash-completion/completions/zctrace share/doc/zctrace/grafana-dashboard.json \
         share/doc/zctrace/deploying.md share/doc/zctrace/json-schema.md share/doc/zctrace/overhead.md \
         share/zctrace/schemas/zctrace.schema.json share/zctrace/schemas/zctrace-defs.schema.json \
         share/zctrace/schemas/zctrace-check.schema.json share/zctrace/schemas/zctrace-demo.schema.json \
         share/zctrace/schemas/zctrace-lines.schema.json share/zctrace/schemas/zctrace-top.schema.json; do
  [[ -e $prefix/$f ]] || { echo "FAIL: $f not installed"; exit 1; }
done
"$prefix/bin/zctrace" --version | grep -q '^zctrace [0-9]' || { echo "FAIL: --version"; exit 1; }

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
