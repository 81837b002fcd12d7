#!/usr/bin/env bash
# compare-bpf-code.sh — has a change moved the BPF program's machine code? Compares two builds of the object
# function by function (llvm-objdump), ignoring what only says where things landed: addresses, block labels
# and the immediates that relocations fill in (map and .rodata addresses). Prints one line per function
# whose code differs, with its instruction counts, then a summary. Exits 0 whatever it finds.
#
#   scripts/compare-bpf-code.sh [--ignore-offsets] OLD.bpf.o NEW.bpf.o [FUNCTION...]
#
# --ignore-offsets also masks field and stack offsets and jump distances: a struct whose fields moved then
# compares equal where the instructions are the same.
#
# Typical use: cp build/zctrace.bpf.o /tmp/before.bpf.o; change; scripts/build.sh;
#              scripts/compare-bpf-code.sh /tmp/before.bpf.o build/zctrace.bpf.o on_sys_exit on_skb_copy
set -euo pipefail

ignore_offsets=0
if [ "${1:-}" = --ignore-offsets ]; then
  ignore_offsets=1
  shift
fi
if [ $# -lt 2 ]; then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
old=$1
new=$2
shift 2
objdump=$(command -v llvm-objdump || true)
[ -n "$objdump" ] || objdump=$(find /usr/bin -name 'llvm-objdump-*' | sort -V | tail -1)
[ -n "$objdump" ] || {
  echo "compare-bpf-code: llvm-objdump not found (apt-get install llvm)" >&2
  exit 1
}
for f in "$old" "$new"; do
  [ -r "$f" ] || {
    echo "compare-bpf-code: cannot read $f" >&2
    exit 1
  }
done

work=$(mktemp -d)
[ -n "${COMPARE_BPF_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT

# One file per function, holding its instructions with the placement-only parts masked.
split_functions() {
  local object=$1 out=$2
  mkdir -p "$out"
  "$objdump" -d "$object" | awk -v out="$out" -v offsets="$ignore_offsets" '
    function flush() {
      if (pending != "") print pending > file
      pending = ""
    }
    /^[0-9a-f]+ <[A-Za-z_][A-Za-z0-9_.]*>:$/ {
      name = $2; gsub(/[<>:]/, "", name)
      if (name ~ /^LBB[0-9]+_[0-9]+$/) next
      flush()
      file = out "/" name
      next
    }
    file != "" && /^ *[0-9a-f]+:\t/ {
      flush()
      line = $0
      # a call to a subprogram (source register 1, BPF_PSEUDO_CALL) is pc-relative: it moves with the code
      # between them
      pseudo_call = line ~ /^ *[0-9a-f]+:\t85 1/
      sub(/^ *[0-9a-f]+:\t([0-9a-f][0-9a-f] )+\t?/, "", line)
      if (pseudo_call) line = "call (subprogram)"
      gsub(/ <LBB[0-9]+_[0-9]+>/, "", line)
      gsub(/= -?[0-9]+ ll$/, "= (relocated) ll", line)
      if (offsets) {
        gsub(/[+-] [0-9]+\)/, "+ (offset))", line)
        gsub(/goto [+-][0-9]+/, "goto (offset)", line)
      }
      pending = line
    }
    END { flush() }'
}

split_functions "$old" "$work/old"
split_functions "$new" "$work/new"

if [ $# -gt 0 ]; then
  functions=("$@")
else
  mapfile -t functions < <( (ls "$work/old"; ls "$work/new") | sort -u)
fi

same=0
changed=0
for fn in "${functions[@]}"; do
  o=$work/old/$fn
  n=$work/new/$fn
  if [ ! -e "$o" ] && [ ! -e "$n" ]; then
    echo "$fn: in neither object"
  elif [ ! -e "$o" ]; then
    echo "$fn: new ($(wc -l <"$n") instructions)"
    changed=$((changed + 1))
  elif [ ! -e "$n" ]; then
    echo "$fn: gone (was $(wc -l <"$o") instructions)"
    changed=$((changed + 1))
  elif cmp -s "$o" "$n"; then
    same=$((same + 1))
  else
    echo "$fn: differs: $(wc -l <"$o") -> $(wc -l <"$n") instructions"
    changed=$((changed + 1))
  fi
done
echo "compare-bpf-code: ${#functions[@]} functions, $same identical, $changed changed"
