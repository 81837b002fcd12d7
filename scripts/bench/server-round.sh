#!/usr/bin/env bash
# server-round.sh — one measured round of load on a running server, for bench-overhead.sh:
#
#   server-round.sh WORKER URL CONNECTIONS SECONDS WRK_CPU OUT
#
# wrk (one thread, pinned to WRK_CPU, keep-alive) loads URL for SECONDS; OUT gets the worker's CPU time
# over that run from the scheduler's own account (/proc/WORKER/schedstat: nanoseconds on a CPU, user and
# kernel together, far finer than utime/stime's clock ticks) and the requests wrk completed:
#   cpu_ns=...  requests=...  errors=0
# It is the command every variant runs (zctrace -p WORKER -- this, floor --pid WORKER -- this, ...), so
# the CPU time read is the worker's while the tracer is attached.
set -euo pipefail
(($# == 6)) || {
  echo "usage: server-round.sh WORKER URL CONNECTIONS SECONDS WRK_CPU OUT" >&2
  exit 2
}
worker=$1 url=$2 connections=$3 seconds=$4 wrk_cpu=$5 out=$6

read -r before _ <"/proc/$worker/schedstat"
log=$(taskset -c "$wrk_cpu" wrk -t1 -c"$connections" -d"${seconds}s" "$url")
read -r after _ <"/proc/$worker/schedstat"
requests=$(awk '/ requests in / { print $1 }' <<<"$log")
# a round whose responses failed (an error page is cheaper to serve) measures something else: it stops the benchmark
errors=$(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
              END { print n + 0 }' <<<"$log")
[[ $requests =~ ^[0-9]+$ && $requests -gt 0 && $errors -eq 0 ]] || {
  echo "server-round: wrk's requests failed:" >&2
  echo "$log" >&2
  exit 1
}
printf 'cpu_ns=%s\nrequests=%s\nerrors=%s\n' "$((after - before))" "$requests" "$errors" >"$out"
