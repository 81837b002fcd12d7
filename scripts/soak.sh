#!/usr/bin/env bash
# Soak: zctrace traces a dense syscall loop (>= 1M syscalls/s) for minutes, with --interval reads going
# on, and this script samples zctrace's own memory. It prints the rate, the exact-count check, the
# collector's RSS over time (it must stay flat), and the events lost (must be 0).
# Usage: sudo scripts/soak.sh [SECONDS (default 180)]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-180}
zctrace=build/userspace/zctrace
[[ -x $zctrace ]] || { echo "soak: build first (scripts/build.sh)" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "soak: run as root" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# dd moves a fixed number of 4 KiB records (about `seconds` long when traced at ~0.9M records/s here) and
# reports the count itself on exit: the ground truth for the exact-count check
records=$((seconds * 900000))
"$zctrace" -q --interval 5 --json-lines "$work/lines.jsonl" --json "$work/report.json" -- \
  dd if=/dev/zero of=/dev/null bs=4k count="$records" 2>"$work/dd.txt" &
zc=$!
sleep 1
echo "soak: dd bs=4k count=$records (~${seconds}s) under zctrace (pid $zc), sampling its RSS every 10 s"
rss=()
while kill -0 "$zc" 2>/dev/null; do
  r=$(awk '/^VmRSS/ {print $2}' "/proc/$zc/status" 2>/dev/null || true)
  [[ -n $r ]] && rss+=("$r") && printf '  t=%4ss  zctrace VmRSS %s KiB\n' "$(( ${#rss[@]} * 10 - 10 ))" "$r"
  sleep 10
done
wait "$zc" || true

python3 - "$work" <<'PY'
import json, re, sys
work = sys.argv[1]
report = json.load(open(f"{work}/report.json"))
dd = [p for p in report["processes"] if p["comm"] == "dd"][0]
dd_said = open(f"{work}/dd.txt").read()
found = re.search(r"(\d+)\+\d+ records out", dd_said)
if not found:
    print("soak: dd did not report its records:", dd_said.strip() or "(nothing)")
    sys.exit(1)
records = int(found.group(1))
def path(method, source, sink, field):
    return sum(p[field] for p in dd["paths"]
               if (p["method"], p["source"]["kind"], p["sink"]["kind"]) == (method, source, sink))
writes = path("write", "user", "null", "calls")
rate = dd["syscall_count"] / dd["duration_s"]
lines = sum(1 for _ in open(f"{work}/lines.jsonl"))
print(f"syscalls: {dd['syscall_count']:,} in {dd['duration_s']:.1f} s = {rate:,.0f}/s (traced)")
print(f"exact: dd wrote {records:,} records; zctrace counted {writes:,} writes to /dev/null -> "
      f"{'OK' if writes == records else 'MISMATCH'}")
print(f"interval records written: {lines}; events lost: {report['lost_events']}")
sys.exit(0 if writes == records and report["lost_events"] == 0 else 1)
PY
status=$?
printf 'zctrace RSS KiB: first %s, last %s, max %s\n' "${rss[0]}" "${rss[-1]}" "$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)"
exit $status
