#!/usr/bin/env bash
# bench-overhead.sh — what tracing with zctrace costs, side by side with a floor and other tracers.
#
# For each workload, in one run, with the variants alternated round-robin (so that a drift of the
# machine during the run spreads over all of them instead of landing on one):
#   untraced | zctrace -q (full accounting) | zctrace -a (system-wide: every process accounted) |
#   floor: a one-counter tp_btf probe built here |
#   bpftrace counting syscalls per process | strace -c -f on 1/64 of the work, scaled up
# and prints medians, min-max, slowdowns, zctrace's added cost per syscall against the floor's and
# bpftrace's, zctrace's own CPU time and peak RSS, the events it lost, and the project's goals as
# PASS/MISS. It is a report: it exits 0 whether goals pass or not, non-zero only when it cannot run.
#
# What is timed is the workload itself (release of the command → its reap), by a small wrapper that
# is the traced command (bench-exec) or by the floor's loader; tracer start-up (BPF load, bpftrace's
# compile) is a one-off cost shown apart in an end-to-end column. Details in scripts/bench/*.c.
# shellcheck disable=SC2317  # run_<variant> and cleanup are called indirectly ("run_$v", trap)
set -euo pipefail
cd "$(dirname "$0")/.."
readonly ROOT=$PWD

usage() {
  cat <<'EOF'
usage: scripts/bench-overhead.sh [--quick] [--reps N] [--no-install] [--baseline ZCTRACE]
                                 [--server-only | --no-server] [--stacks]

  --reps N       repetitions of each variant (default 9, 5 for the server; 3 with --quick)
  --quick        smoke run: dd count=256K, a 256 MiB file, 3 reps, the server's 4 KiB case only
  --no-install   do not apt-get install bpftrace/strace/nginx-light/wrk when missing (skip those)
  --baseline Z   one more variant, another build of zctrace (say, of the commit before a hot-path
                 change), run the same way: the report gives this build's added cost against it
  --server-only  only the server workload (f); --no-server: all but it
  --stacks       one more variant, zctrace -q --stacks: what the user stack of every data call costs

Workloads: (a) dd if=/dev/zero of=/dev/null bs=4k count=1M; (b) a 1 GiB file to a loopback TCP
receiver by read+write in 64 KiB chunks; (c) the same by sendfile; (e) process start-up: sh
forking and executing /bin/true 2,000 times; (f) a real server: Debian's nginx, one worker pinned,
serving a 4 KiB and a 1 MiB file with sendfile on and off to wrk over 16 and 256 keep-alive
connections, the worker's CPU time per request. Needs root and a build (scripts/build.sh). Records
of the last run are kept in build/bench/last-run/.
EOF
}

die() {
  echo "bench-overhead: $*" >&2
  exit 1
}

reps=""
quick=0
server=yes
BASELINE=""
install=1
stacks=0
while (($#)); do
  case $1 in
    --reps)
      [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || die "--reps needs a positive number"
      reps=$2
      shift 2
      ;;
    --quick) quick=1; shift ;;
    --no-install) install=0; shift ;;
    --server-only) server=only; shift ;;
    --no-server) server=no; shift ;;
    --stacks) stacks=1; shift ;;
    --baseline)
      [[ $# -ge 2 && -x $2 ]] || die "--baseline needs an executable zctrace"
      BASELINE=$(realpath "$2")
      shift 2
      ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

if ((quick)); then
  reps=${reps:-3}
  dd_count=$((256 * 1024))
  file_mib=256
else
  # 9: on these shared machines a run now and then is slowed by a neighbour; the median of 9 holds
  reps=${reps:-9}
  dd_count=$((1024 * 1024))
  file_mib=1024
fi
# strace stops the tracee twice per syscall (tens of µs each): the full work would take minutes,
# so it runs 1/64 of it and its figures are multiplied back, labelled as such in the report.
readonly strace_div=64

readonly ZCTRACE=$ROOT/build/userspace/zctrace
readonly WORKLOAD=$ROOT/build/userspace/workload/zctrace-workload
[[ -x $ZCTRACE && -x $WORKLOAD ]] || die "no build found ($ZCTRACE, $WORKLOAD): run scripts/build.sh first"
[[ $(id -u) -eq 0 ]] || die "needs root (BPF programs are loaded); try: sudo $0"
command -v python3 >/dev/null || die "needs python3 for the report's arithmetic"

readonly BENCH=$ROOT/build/bench
mkdir -p "$BENCH"

# ---- Comparison tools -------------------------------------------------------------------------
missing=()
command -v bpftrace >/dev/null || missing+=(bpftrace)
command -v strace >/dev/null || missing+=(strace)
if [[ $server != no ]]; then
  command -v nginx >/dev/null || missing+=(nginx-light)
  command -v wrk >/dev/null || missing+=(wrk)
fi
if ((${#missing[@]})) && ((install)); then
  echo "bench-overhead: installing ${missing[*]} with apt-get (comparison variants)"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >"$BENCH/apt.log" 2>&1; then
    echo "bench-overhead: apt-get failed (see $BENCH/apt.log); those variants are skipped"
  fi
fi
have_bpftrace=0
have_strace=0
command -v bpftrace >/dev/null && have_bpftrace=1
command -v strace >/dev/null && have_strace=1
((have_bpftrace)) || echo "bench-overhead: bpftrace not installed: its variant is skipped"
((have_strace)) || echo "bench-overhead: strace not installed: its variant is skipped"

# bpftrace (0.17 on Debian 12) finds tracepoints through tracefs; a minimal system may not have it
# mounted. zctrace and the floor do not need it (tp_btf programs attach by BTF id).
if ((have_bpftrace)) && [[ ! -d /sys/kernel/tracing/events && ! -d /sys/kernel/debug/tracing/events ]]; then
  if mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null; then
    echo "bench-overhead: mounted tracefs on /sys/kernel/tracing (bpftrace needs it)"
  else
    echo "bench-overhead: tracefs is not mounted and cannot be: bpftrace's variant is skipped"
    have_bpftrace=0
  fi
fi

# ---- Helpers: the floor probe and the timing wrapper, built fresh each run (a second or two) --
build_log=$BENCH/build.log
{
  clang -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -I "$ROOT/vmlinux/x86" -Wall \
    -c scripts/bench/floor.bpf.c -o "$BENCH/floor.bpf.o" &&
    bpftool gen skeleton "$BENCH/floor.bpf.o" name floor_bpf >"$BENCH/floor.skel.h" &&
    cc -O2 -Wall -Wextra -I "$BENCH" scripts/bench/floor.c -o "$BENCH/floor" -lbpf -lelf -lz &&
    cc -O2 -Wall -Wextra scripts/bench/bench-exec.c -o "$BENCH/bench-exec"
} >"$build_log" 2>&1 || {
  cat "$build_log" >&2
  die "cannot build the benchmark's helpers (clang, bpftool, libbpf-dev: scripts/install-deps.sh)"
}
readonly FLOOR=$BENCH/floor
readonly BEXEC=$BENCH/bench-exec

readonly RUN=$BENCH/last-run
rm -rf "$RUN"
mkdir -p "$RUN"
DATA=$(mktemp -d "${TMPDIR:-/tmp}/zctrace-bench.XXXXXX")
readonly DATA
bt_pid=""
held_pid=""
stats_was=""
cleanup() {
  # Only the processes this script started, by their pids.
  [[ -n $held_pid ]] && kill "$held_pid" 2>/dev/null
  [[ -n $bt_pid ]] && kill -INT "$bt_pid" 2>/dev/null
  [[ -n ${nginx_pid:-} ]] && kill -QUIT "$nginx_pid" 2>/dev/null
  [[ -n $stats_was ]] && sysctl -q kernel.bpf_stats_enabled="$stats_was"
  rm -rf "$DATA"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A failed run is an error of the benchmark (a workload that does not run, a tracer that cannot
# load): it stops here with the run's log rather than reporting figures made of partial runs.
fail_run() {
  local log=$1
  shift
  echo >&2
  echo "bench-overhead: $* — log $log:" >&2
  tail -n 20 "$log" >&2 || true
  exit 1
}

wall_of() { sed -n 's/^wall_ns=//p' "$1" 2>/dev/null | awk '{ printf "%.3fs", $1 / 1e9 }'; }

# Each variant: run_<variant> DIR REP -- CMD... ; leaves DIR/<variant>.<rep>.w (the workload's own
# record) and, around a tracer, .e (end-to-end).
run_untraced() {
  local d=$1 r=$2
  shift 3
  "$BEXEC" --out "$d/untraced.$r.w" -- "$@" >"$d/untraced.$r.log" 2>&1 ||
    fail_run "$d/untraced.$r.log" "the untraced workload failed"
}

run_zctrace() { zctrace_as zctrace "$ZCTRACE" "" "$@"; }

# The same with the baseline build (--baseline).
run_baseline() { zctrace_as baseline "$BASELINE" "" "$@"; }

# --stacks: the same with every data call's user stack counted.
run_zctrace_stacks() { zctrace_as zctrace_stacks "$ZCTRACE" --stacks "$@"; }

# System-wide (-a): every process on the machine accounted while the workload runs, so its cost per
# syscall is the full accounting's, plus whatever the machine's other processes make it do meanwhile.
run_zctrace_all() { zctrace_as zctrace_all "$ZCTRACE" -a "$@"; }

zctrace_as() {
  local name=$1 binary=$2 extra=$3 d=$4 r=$5
  shift 6
  # The outer bench-exec stops zctrace as it exits for its CPU time and VmHWM; the inner one (the
  # traced command, zctrace's child) samples zctrace's CPU time around the workload.
  # shellcheck disable=SC2086  # $extra: zero or one option word
  "$BEXEC" --out "$d/$name.$r.e" --exit-usage -- \
    "$binary" -q $extra --json "$d/$name.$r.json" -- \
    "$BEXEC" --out "$d/$name.$r.w" --parent-cpu -- "$@" >"$d/$name.$r.log" 2>&1 ||
    fail_run "$d/$name.$r.log" "the workload under $name ($binary) failed"
}

run_floor() {
  local d=$1 r=$2
  shift 3
  "$BEXEC" --out "$d/floor.$r.e" -- "$FLOOR" --out "$d/floor.$r.w" -- "$@" >"$d/floor.$r.log" 2>&1 ||
    fail_run "$d/floor.$r.log" "the workload under the floor probe failed"
}

run_bpftrace() { bpftrace_as bpftrace "$@"; }

# The same with the workload moved to CPU 0 (its `taskset -c N` prefix, see pin_cpu): bcc's attach,
# which bpftrace uses, opens a tracepoint's perf event on CPU 0 only (pid -1, cpu 0). The BPF program
# runs on every CPU, but on CPU 0 each event then also goes through perf_tp_event, the perf event's
# own path: bpftrace costs about twice as much per syscall there. Both are bpftrace's cost; the
# report shows them apart instead of a median that depends on where the scheduler put dd.
run_bpftrace_cpu0() {
  local d=$1 r=$2
  shift 3
  local cmd=("$@")
  [[ ${cmd[0]} == taskset && ${cmd[1]} == -c ]] && cmd=(taskset -c 0 "${cmd[@]:3}")
  bpftrace_as bpftrace_cpu0 "$d" "$r" -- "${cmd[@]}"
}

# start_bpftrace PID ACTION OUT LOG: bpftrace counting PID's syscalls in the background (bt_pid), waited
# for until its BEGIN probe, which fires once every probe is attached, says "ready"; false if it never does.
start_bpftrace() {
  local pid=$1 action=$2 out=$3 log=$4 i
  bpftrace -e "BEGIN { printf(\"ready\\n\"); }
    tracepoint:raw_syscalls:sys_exit /pid == $pid/ { $action }" >"$out" 2>"$log" &
  bt_pid=$!
  for ((i = 0; i < 6000; i++)); do
    grep -qx ready "$out" 2>/dev/null && return 0
    kill -0 "$bt_pid" 2>/dev/null || return 1
    sleep 0.01
  done
  return 1
}

bpftrace_as() {
  local name=$1 d=$2 r=$3
  shift 4
  local pidf=$d/$name.$r.pid out=$d/$name.$r.out log=$d/$name.$r.log
  # bpftrace is started on a held child so that its filter is the plain `pid == N` of the usual
  # one-liner: the command is forked and parked by bench-exec, bpftrace attaches, its BEGIN probe
  # (which fires once every probe is attached) says "ready", and only then is the command let go.
  "$BEXEC" --out "$d/$name.$r.w" --hold "$pidf" -- "$@" >"$d/$name.$r.cmd.log" 2>&1 &
  held_pid=$!
  local i
  for ((i = 0; i < 500; i++)); do
    [[ -s $pidf ]] && break
    sleep 0.01
  done
  [[ -s $pidf ]] || fail_run "$d/$name.$r.cmd.log" "the held command did not start"
  local target
  target=$(<"$pidf")
  if ! start_bpftrace "$target" "@[comm] = count();" "$out" "$log"; then
    kill "$held_pid" 2>/dev/null || true # the parked command then exits without running
    wait "$held_pid" 2>/dev/null || true
    held_pid=""
    kill -INT "$bt_pid" 2>/dev/null || true
    wait "$bt_pid" 2>/dev/null || true
    bt_pid=""
    fail_run "$log" "bpftrace did not attach"
  fi
  kill -USR1 "$held_pid"
  local rc=0
  wait "$held_pid" || rc=$?
  held_pid=""
  # SIGINT makes bpftrace print its map and exit.
  kill -INT "$bt_pid" 2>/dev/null || true
  wait "$bt_pid" 2>/dev/null || true
  bt_pid=""
  ((rc == 0)) || fail_run "$d/$name.$r.cmd.log" "the workload under bpftrace failed"
}

run_strace() {
  local d=$1 r=$2
  shift 3
  # "$@" is the shortened command here (see small_cmd). -o keeps the summary out of the log.
  "$BEXEC" --out "$d/strace.$r.e" -- strace -c -f -o "$d/strace.$r.txt" -- \
    "$BEXEC" --out "$d/strace.$r.w" -- "$@" >"$d/strace.$r.log" 2>&1 ||
    fail_run "$d/strace.$r.log" "the workload under strace failed"
}

# BPF tracing programs that are not ours (another zctrace, a profiler, a second benchmark) run on
# every syscall of every process and would blur every variant's figure, the untraced one included.
# Checked before each run; a program of a tracer that just exited may take a moment to be freed,
# so one still there after a short pause is what counts.
foreign_probes() {
  local names i
  for i in 1 2 3; do
    names=$(bpftool prog list 2>/dev/null |
      awk '/^[0-9]+: (tracing|raw_tracepoint|tracepoint|kprobe|perf_event) / {
             for (i = 1; i < NF; i++) if ($i == "name") print $(i + 1) }' | sort -u | tr '\n' ' ')
    [[ -z $names ]] && return 0
    sleep 0.2
  done
  echo "$names"
}

variants=(untraced zctrace zctrace_all floor)
[[ -n $BASELINE ]] && variants+=(baseline)
((stacks)) && variants+=(zctrace_stacks)
((have_bpftrace)) && variants+=(bpftrace)
((have_strace)) && variants+=(strace)

# What zctrace's BPF programs cost, counted by the kernel rather than read off wall times: one more
# zctrace run with kernel.bpf_stats_enabled, whose traced command lists the programs' run time and run
# count (bpftool) once the workload is done, before zctrace unloads them. The stats' own clock reads
# (two per program run) are in those figures: a program that does nothing, measured the same way, gives
# their cost per run, which the report takes off. Not one of the timed variants.
run_bpf_stats() {
  local d=$1
  shift 2
  stats_was=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null) || {
    echo "   (kernel.bpf_stats_enabled is not available: no BPF run-time figures)"
    stats_was=""
    return 0
  }
  sysctl -q kernel.bpf_stats_enabled=1
  # The inner sh is zctrace's child: zctrace's programs are the prog_id lines of its parent's fdinfo.
  # shellcheck disable=SC2016  # expanded by the inner sh
  "$ZCTRACE" -q --json "$d/bpfstats.json" -- sh -c \
    '"$@"; s=$?; bpftool -j prog show >"$0.progs.json" 2>/dev/null
     cat /proc/$PPID/fdinfo/* 2>/dev/null | sed -n "s/^prog_id:[[:space:]]*//p" >"$0.ids"; exit $s' \
    "$d/bpfstats" "$BEXEC" --out "$d/bpfstats.w" -- "$@" >"$d/bpfstats.log" 2>&1 ||
    fail_run "$d/bpfstats.log" "the workload under zctrace (BPF stats run) failed"
  # The statistics' own cost per run, to take off: a program that does nothing, on a dd loop.
  "$FLOOR" --empty --out "$d/bpfstats.empty" -- \
    taskset -c "$pin_cpu" dd if=/dev/zero of=/dev/null bs=4k count=262144 >"$d/bpfstats.empty.log" 2>&1 ||
    fail_run "$d/bpfstats.empty.log" "the empty program's calibration run failed"
  sysctl -q kernel.bpf_stats_enabled="$stats_was"
  stats_was=""
}

# The index of the variant that repetition REP of N variants runs K-th (see bench).
round_robin() {
  local rep=$1 k=$2 n=$3
  if ((rep % 2)); then
    echo $(((rep - 1 + k) % n))
  else
    echo $(((rep - 1 - k + n) % n))
  fi
}

# " [foreign BPF]" for a run's line when BPF tracing programs not of this benchmark are loaded (they are
# logged in RUN/foreign-bpf), nothing otherwise.
foreign_note() {
  local tag=$1 v=$2 rep=$3 foreign
  foreign=$(foreign_probes)
  if [[ -n $foreign ]]; then
    echo "$tag $v rep $rep: ${foreign% }" >>"$RUN/foreign-bpf"
    echo " [foreign BPF]"
  fi
}

# bench WL_DIR TAG KIND TITLE -- full command... ; uses the global small_cmd for strace.
bench() {
  local name=$1 tag=$2 kind=$3 title=$4
  shift 5
  local cmd=("$@")
  local d=$RUN/$name
  local wl_variants=("${variants[@]}")
  # the dd loop is pinned (pin_cpu): bpftrace runs a second time with it on CPU 0
  if [[ $kind == dd ]] && ((have_bpftrace && pin_cpu != 0)); then
    wl_variants+=(bpftrace_cpu0)
  fi
  mkdir -p "$d"
  printf 'title=%s\ntag=%s\nkind=%s\nscale=%s\nreps=%s\nvariants=%s\nbaseline=%s\n' \
    "$title" "$tag" "$kind" "$strace_div" "$reps" "${wl_variants[*]}" "$BASELINE" >"$d/meta"
  echo "$name" >>"$RUN/workloads"
  echo "-- $title"
  # One discarded untraced run: page cache, binaries and CPU frequency settle before anything counts.
  run_untraced "$d" 0 -- "${cmd[@]}"
  rm -f "$d/untraced.0.w"
  local n=${#wl_variants[@]} rep k v line
  for ((rep = 1; rep <= reps; rep++)); do
    line=""
    # Round-robin: each repetition runs every variant once. It starts one variant further on and
    # odd and even repetitions go round in opposite directions, so that no variant always runs
    # first, or always right after the same other one (a tracer's teardown may still be settling).
    for ((k = 0; k < n; k++)); do
      v=${wl_variants[$(round_robin "$rep" "$k" "$n")]}
      line+=$(foreign_note "$tag" "$v" "$rep")
      if [[ $v == strace ]]; then
        run_strace "$d" "$rep" -- "${small_cmd[@]}"
        line+=" $v(x$strace_div)=$(wall_of "$d/$v.$rep.w" | awk -v s=$strace_div '{ printf "%.3fs", $1 * s }')"
      else
        "run_$v" "$d" "$rep" -- "${cmd[@]}"
        line+=" $v=$(wall_of "$d/$v.$rep.w")"
      fi
    done
    echo "   rep $rep/$reps:$line"
  done
  run_bpf_stats "$d" -- "${cmd[@]}"
  echo "   BPF stats run: $(wall_of "$d/bpfstats.w")"
}

# Share of the CPUs that something else uses, over one second of this script doing nothing: a busy
# machine (another benchmark, a build, a test suite) makes every figure noisier, so it is printed
# at the start and at the end of the measurements.
others_busy() {
  local a b
  a=$(awk '/^cpu / { print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
  sleep 1
  b=$(awk '/^cpu / { print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
  echo "$a $b" | awk '{ t = $3 - $1; i = $4 - $2; printf "%.0f%%", (t > 0 ? 100 * (t - i) / t : 0) }'
}

start_s=$SECONDS
echo "bench-overhead: $reps reps, variants: ${variants[*]}; records in $RUN"
echo "machine: kernel $(uname -r), $(nproc) CPUs, $(others_busy) busy before the run$( ((quick)) &&
  echo "; --quick: smaller workloads, a smoke run")"
# With the kernel's BPF statistics on, every BPF program run pays two clock reads: each tracer's figure
# comes out about twice what it is (it is off by default; a profiler or an earlier measurement may leave it)
if [[ $(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0) != 0 ]]; then
  echo "bench-overhead: warning: kernel.bpf_stats_enabled is on: every tracer's added cost reads high" \
    "(sysctl kernel.bpf_stats_enabled=0 to measure without it)"
fi
: >"$RUN/workloads"

# Start-up: launch -> the first syscall counted. The traced command is released only once every program is
# attached, so the moment it runs is when tracing started; it prints that moment itself.
startup_runs=$((quick ? 3 : 9))
echo "-- (s) start-up: zctrace -q --json /dev/null -- sh -c 'date +%s%N', launch to the command's first instruction, $startup_runs runs"
for ((i = 0; i < startup_runs; i++)); do
  t0=$(date +%s%N)
  "$ZCTRACE" -q --json /dev/null -- sh -c "date +%s%N >'$RUN/startup.$i'" >/dev/null 2>&1 || fail_run /dev/null "zctrace -- sh failed"
  echo $(($(<"$RUN/startup.$i") - t0)) >>"$RUN/startup"
done

pin_cpu=$(($(nproc) - 1))
if [[ $server != only ]]; then
  # The dd loop is one process: every variant runs it pinned to the same CPU (the last one, away from
  # CPU 0's interrupts), so no variant's figure depends on where the scheduler happened to put it, and
  # a migration does not add noise. bpftrace runs once more with it on CPU 0 (run_bpftrace_cpu0).
  small_count=$((dd_count / strace_div))
  small_cmd=(taskset -c "$pin_cpu" dd if=/dev/zero of=/dev/null bs=4k "count=$small_count")
  bench a-dd "(a) dd" dd "(a) dd if=/dev/zero of=/dev/null bs=4k count=$dd_count, pinned to CPU $pin_cpu" -- \
    taskset -c "$pin_cpu" dd if=/dev/zero of=/dev/null bs=4k count=$dd_count
  src=$DATA/source
  "$WORKLOAD" prepare --file "$src" --bytes "${file_mib}M" >"$RUN/prepare.log" 2>&1 ||
    fail_run "$RUN/prepare.log" "cannot prepare the source file"
  cat "$src" >/dev/null # warm: the file workloads measure transfer, not the disk
  small_mib=$((file_mib / strace_div))
  for method in read-write sendfile; do
    if [[ $method == read-write ]]; then
      name=b-read-write tag="(b) read+write" how="read+write"
    else
      name=c-sendfile tag="(c) sendfile" how="sendfile"
    fi
    small_cmd=("$WORKLOAD" run --method "$method" --sink tcp --file "$src" --bytes "${small_mib}M"
      --chunk 64K --report /dev/null)
    bench "$name" "$tag" transfer "$tag ${file_mib} MiB warm file -> loopback TCP by $how, 64 KiB chunks" -- \
      "$WORKLOAD" run --method "$method" --sink tcp --file "$src" --bytes "${file_mib}M" \
      --chunk 64K --report /dev/null
  done

  # Process start-up: what tracing costs a program that forks and execs (a shell script, a build), where
  # every new process is followed: its entry taken at fork, its threads' records made, handed back at exit.
  execs=$((quick ? 500 : 2000))
  small_cmd=(taskset -c "$pin_cpu" sh -c "i=0; while [ \$i -lt $((execs / strace_div + 1)) ]; do /bin/true; i=\$((i + 1)); done")
  bench e-exec "(e) fork+exec" exec "(e) sh forking and executing /bin/true $execs times, pinned to CPU $pin_cpu" -- \
    taskset -c "$pin_cpu" sh -c "i=0; while [ \$i -lt $execs ]; do /bin/true; i=\$((i + 1)); done"
fi

if [[ $server != no ]]; then
  if command -v nginx >/dev/null && command -v wrk >/dev/null; then
    # shellcheck source=scripts/bench/server.sh
    source scripts/bench/server.sh
    server_benchmarks
  else
    echo "bench-overhead: nginx or wrk not installed: the server workload (f) is skipped"
  fi
fi

echo "bench-overhead: measured in $((SECONDS - start_s)) s; CPUs $(others_busy) busy after the run"
echo
python3 scripts/bench/summarize.py "$RUN" | tee "$RUN/report.txt"
exit 0
