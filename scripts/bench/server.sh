# server.sh — bench-overhead.sh's workload (f): a real server under load, sourced by it.
#
# Debian's nginx, one worker pinned to the last CPU, serves a 4 KiB and a 1 MiB file (sendfile on, and
# off: read+write through its buffers) over loopback to wrk, pinned to CPU 0, with 16 and with 256
# keep-alive connections. A round is SECONDS of wrk; what it measures is the worker's CPU time per
# request (scheduler nanoseconds, scripts/bench/server-round.sh) while each variant is attached:
#   untraced | floor --pid W (one counter) | bpftrace's plain per-process syscall counter |
#   zctrace -p W | zctrace -a (every process on the machine accounted)
# Rounds alternate the variants as bench() does; each round's figure is taken against the untraced
# round of the same repetition, so a drift of the machine between repetitions cancels out.
# Uses bench-overhead.sh's globals (reps, quick, pin_cpu, RUN, DATA, ZCTRACE, FLOOR, have_bpftrace) and
# its round_robin, foreign_note and start_bpftrace.
# shellcheck shell=bash disable=SC2154,SC2317  # globals of bench-overhead.sh; run_server_<v> called indirectly

readonly ROUND=$ROOT/scripts/bench/server-round.sh
nginx_pid=""

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_nginx DIR SENDFILE(on|off): a master and one worker pinned to pin_cpu; sets nginx_pid, worker
# and port.
start_nginx() {
  local dir=$1 sendfile=$2 mask i
  mask=1$(printf '%*s' "$pin_cpu" '' | tr ' ' 0)
  port=$(free_port)
  mkdir -p "$dir/html"
  # the worker runs as nobody: the files and the directories down to them must be open to it
  chmod a+x "$DATA" "$dir" "$dir/html"
  head -c 4096 /dev/urandom >"$dir/html/small"
  head -c $((1024 * 1024)) /dev/urandom >"$dir/html/large"
  cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
worker_cpu_affinity $mask;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile $sendfile;
  keepalive_requests 100000000;
  keepalive_timeout 600s;
  server {
    listen 127.0.0.1:$port;
    root $dir/html;
  }
}
EOF
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/nginx.log" 2>&1 &
  nginx_pid=$!
  worker=""
  local served=0
  for ((i = 0; i < 500; i++)); do
    worker=$(pgrep -P "$nginx_pid" | head -n 1 || true)
    if [[ -n $worker ]] && curl -fso /dev/null "http://127.0.0.1:$port/small"; then
      served=1
      break
    fi
    kill -0 "$nginx_pid" 2>/dev/null || break
    sleep 0.01
  done
  ((served)) || fail_run "$dir/error.log" "nginx did not start, or did not serve $dir/html/small"
}

stop_nginx() {
  [[ -n $nginx_pid ]] || return 0
  kill -QUIT "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
  nginx_pid=""
}

# run_server_<variant> DIR REP URL CONNECTIONS: leaves DIR/<variant>.<rep>.r (server-round.sh's record).
run_server_untraced() {
  "$ROUND" "$worker" "$3" "$4" "$round_s" 0 "$1/untraced.$2.r" >"$1/untraced.$2.log" 2>&1 ||
    fail_run "$1/untraced.$2.log" "the untraced round failed"
}

run_server_floor() {
  "$FLOOR" --pid "$worker" --out "$1/floor.$2.w" -- "$ROUND" "$worker" "$3" "$4" "$round_s" 0 "$1/floor.$2.r" \
    >"$1/floor.$2.log" 2>&1 || fail_run "$1/floor.$2.log" "the round under the floor probe failed"
}

run_server_zctrace() {
  "$ZCTRACE" -q -p "$worker" --no-children --json "$1/zctrace.$2.json" -- \
    "$ROUND" "$worker" "$3" "$4" "$round_s" 0 "$1/zctrace.$2.r" >"$1/zctrace.$2.log" 2>&1 ||
    fail_run "$1/zctrace.$2.log" "the round under zctrace -p failed"
}

run_server_zctrace_all() {
  "$ZCTRACE" -q -a --json "$1/zctrace_all.$2.json" -- \
    "$ROUND" "$worker" "$3" "$4" "$round_s" 0 "$1/zctrace_all.$2.r" >"$1/zctrace_all.$2.log" 2>&1 ||
    fail_run "$1/zctrace_all.$2.log" "the round under zctrace -a failed"
}

# bpftrace's usual one-liner on the worker; the round starts once its BEGIN probe says it is attached.
run_server_bpftrace() {
  local d=$1 r=$2 out=$1/bpftrace.$2.out log=$1/bpftrace.$2.log
  start_bpftrace "$worker" "@c = count();" "$out" "$log" || fail_run "$log" "bpftrace did not attach"
  "$ROUND" "$worker" "$3" "$4" "$round_s" 0 "$d/bpftrace.$r.r" >>"$log" 2>&1 ||
    fail_run "$log" "the round under bpftrace failed"
  kill -INT "$bt_pid" 2>/dev/null || true
  wait "$bt_pid" 2>/dev/null || true
  bt_pid=""
}

cpu_per_request() {
  awk -F= '/^cpu_ns=/ { c = $2 } /^requests=/ { n = $2 } END { if (n > 0) printf "%.1fus", c / n / 1000 }' "$1"
}

# server_case NAME TAG TITLE URL CONNECTIONS
server_case() {
  local name=$1 tag=$2 title=$3 url=$4 connections=$5
  local d=$RUN/$name rep k v line
  local n=${#server_variants[@]}
  mkdir -p "$d"
  printf 'title=%s\ntag=%s\nkind=server\nreps=%s\nvariants=%s\nconnections=%s\nround_s=%s\n' \
    "$title" "$tag" "$reps_server" "${server_variants[*]}" "$connections" "$round_s" >"$d/meta"
  echo "$name" >>"$RUN/servers"
  echo "-- $title"
  # one discarded round: connections, page cache and CPU frequency settle before anything counts
  run_server_untraced "$d" 0 "$url" "$connections"
  for ((rep = 1; rep <= reps_server; rep++)); do
    line=""
    for ((k = 0; k < n; k++)); do
      v=${server_variants[$(round_robin "$rep" "$k" "$n")]}
      line+=$(foreign_note "$tag" "$v" "$rep")
      "run_server_$v" "$d" "$rep" "$url" "$connections"
      line+=" $v=$(cpu_per_request "$d/$v.$rep.r")"
    done
    echo "   rep $rep/$reps_server:$line"
  done
}

server_benchmarks() {
  reps_server=$((quick ? 3 : 5))
  round_s=$((quick ? 2 : 3))
  server_variants=(untraced floor zctrace zctrace_all)
  ((have_bpftrace)) && server_variants+=(bpftrace)
  local sendfile file conns files=(small large)
  ((quick)) && files=(small)
  for sendfile in on off; do
    ((quick)) && [[ $sendfile == off ]] && continue
    start_nginx "$DATA/nginx-$sendfile" "$sendfile"
    for file in "${files[@]}"; do
      for conns in 16 256; do
        local size=4KiB
        [[ $file == large ]] && size=1MiB
        server_case "f-nginx-$sendfile-$file-c$conns" "(f) nginx $size sendfile $sendfile c$conns" \
          "(f) nginx (1 worker, CPU $pin_cpu), $size file, sendfile $sendfile, wrk -c$conns (CPU 0), ${round_s} s rounds" \
          "http://127.0.0.1:$port/$file" "$conns"
      done
    done
    stop_nginx
  done
}
