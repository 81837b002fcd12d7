#!/usr/bin/env bash
# The schemas against what zctrace really writes: a report (also with --stacks), a check verdict, a JSON
# Lines stream and the demo table, each from a real traced transfer on loopback.
# usage: check_real_output.sh ZCTRACE ZCTRACE_WORKLOAD
set -euo pipefail
zctrace=$1
workload=$2
here=$(cd "$(dirname "$0")" && pwd)
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: not root: loading BPF programs needs root (or CAP_BPF and CAP_PERFMON)"
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$workload" prepare --file "$dir/source" --bytes 4M >/dev/null
transfer=("$workload" run --method sendfile --sink tcp --file "$dir/source" --bytes 4M --dir "$dir"
  --report "$dir/truth.out")

"$zctrace" -q --json "$dir/report.json" -- "${transfer[@]}"
relay=("$workload" run --method read-write --sink tcp --file "$dir/source" --bytes 4M --dir "$dir"
  --report "$dir/truth.out")
"$zctrace" -q --stacks --json "$dir/stacks.json" -- "${relay[@]}"
"$zctrace" check --json "$dir/check.json" -- "${transfer[@]}" >/dev/null
"$zctrace" -q --json-lines "$dir/lines.jsonl" --interval 0.2 -- "${transfer[@]}"
"$zctrace" -q --json "$dir/exit3.json" -- sh -c 'exit 3' || [[ $? -eq 3 ]]
"$zctrace" demo --json "$dir/demo.json" --bytes 1M --sinks tcp >/dev/null 2>&1
/usr/bin/python3 "$here/validate.py" "$here/../../schemas" "$dir"/*.json "$dir/lines.jsonl"

# what the schemas cannot say: the stream ends with its end record, an exit code is the code, and a
# --stacks report has stacks and call sites
grep -q '"call_sites"' "$dir/stacks.json" || { echo "FAIL: a --stacks report without call sites"; exit 1; }
tail -n 1 "$dir/lines.jsonl" | grep -q '"record":"end"' || { echo "FAIL: the JSON Lines stream has no end record"; exit 1; }
/usr/bin/python3 - "$dir/exit3.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
codes = [p["exit_code"] for p in report["processes"] if p["comm"] == "sh"]
if codes != [3]:
    raise SystemExit(f"FAIL: sh -c 'exit 3' reported exit codes {codes}")
PY
echo "real output: report (with and without --stacks), check, JSON Lines and demo documents meet their schemas"
