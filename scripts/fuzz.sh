#!/usr/bin/env bash
# fuzz.sh — runs every fuzz target in tests/fuzz/ under libFuzzer with ASan and UBSan, for a bounded time.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
#
# Builds the targets with clang++ -fsanitize=fuzzer,address,undefined into build-fuzz/ (a build directory
# of its own: only zctrace_core and the fuzz targets are built there), then fuzzes each target for the
# given time. The working corpus lives in build-fuzz/corpus/<target>/ and grows from run to run; libFuzzer
# only reads the committed corpus, tests/fuzz/corpus/<target>/ (this script adds new crashers to it).
#
# libFuzzer runs in fork mode with -ignore_crashes, so that a crash does not end the run: the whole time
# goes to fuzzing, and every distinct bug of the run is reported rather than only the first. Crashes
# are grouped by what went wrong and where (the first frame in our sources); the smallest input of each
# group that is not already in tests/fuzz/corpus/<target>/ is copied there, where the normal build's
# fuzz.regression.<target> test replays it until the bug is fixed.
#
# Prints, per target: executions, coverage, crashes, and each distinct crash with its input. Exits 1 when
# any crash was found, 2 when it cannot build or run.
set -euo pipefail
cd "$(dirname "$0")/.."
readonly ROOT=$PWD
readonly BUILD=$ROOT/build-fuzz
readonly TARGETS=(options flows aggregate)

die() {
  echo "fuzz: $*" >&2
  exit 2
}

seconds=${1:-60}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] (a positive integer)"
# Both cores: libFuzzer's fork mode runs this many fuzzing processes side by side.
jobs=$(nproc)

# ---- toolchain: the project's dependencies, then libFuzzer's runtime (not among them) ----
./scripts/install-deps.sh
command -v clang++ >/dev/null || die "clang++ not found after install-deps.sh"
clang_major=$(clang++ -dumpversion | cut -d. -f1)
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
# The one reliable test that libFuzzer and the sanitizer runtimes are there: link a fuzzer.
has_libfuzzer() {
  echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' |
    clang++ -x c++ -fsanitize=fuzzer,address,undefined - -o "$probe/probe" 2>/dev/null
}
if ! has_libfuzzer; then
  [[ $(id -u) -eq 0 ]] || die "need root to install libclang-rt-$clang_major-dev (libFuzzer)"
  echo "fuzz: installing libclang-rt-$clang_major-dev (libFuzzer and the sanitizer runtimes)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "libclang-rt-$clang_major-dev"
  has_libfuzzer || die "clang++ still cannot link -fsanitize=fuzzer"
fi
# Stack traces with file:line need the symbolizer of the same LLVM.
symbolizer=$(command -v "llvm-symbolizer-$clang_major" || command -v llvm-symbolizer || true)
[[ -n $symbolizer ]] || die "llvm-symbolizer not found (package llvm-$clang_major)"

# ---- build ----
echo "fuzz: building into build-fuzz/ (clang++ $clang_major, -fsanitize=fuzzer,address,undefined)"
mkdir -p "$BUILD"
cmake -S . -B "$BUILD" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZCTRACE_SANITIZE=ON -DZCTRACE_FUZZ=ON >"$BUILD/configure.log" 2>&1 ||
  die "cmake configure failed: see build-fuzz/configure.log"
[[ -d $BUILD/tests/fuzz ]] || die "no fuzz targets: tests/CMakeLists.txt must add_subdirectory(fuzz)"
cmake --build "$BUILD" -j"$jobs" --target "${TARGETS[@]/#/zctrace_fuzz_}" >"$BUILD/build.log" 2>&1 ||
  die "build failed: see build-fuzz/build.log"

export ASAN_SYMBOLIZER_PATH=$symbolizer
export ASAN_OPTIONS=symbolize=1:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:symbolize=1

# ---- classifying a crash ----
# Runs one crashing input again (a libFuzzer binary given a file executes it once) and prints
# "KIND at FILE:LINE<TAB>FUNCTION — DETAIL": the key crashes are grouped by, then what a reader needs.
# FILE:LINE is the first stack frame in our sources; fuzz_input.h's Fail() is skipped, and an invariant
# is placed at its own check.
describe_crash() {
  local bin=$1 input=$2
  # It crashes, by definition: its exit status is not news (and would end this script under pipefail).
  { timeout 120 "$bin" "$input" 2>&1 || true; } | awk -v root="$ROOT/" '
    function strip(s) { return index(s, root) == 1 ? substr(s, length(root) + 1) : s }
    kind == "" && /^INVARIANT: / {
      kind = "invariant"; rest = substr($0, 12); where = rest; sub(/: .*/, "", where); where = strip(where)
      detail = rest; sub(/^[^ ]+ /, "", detail)
    }
    kind == "" && /terminate called after throwing an instance of/ {
      t = $0; sub(/.*instance of /, "", t); kind = "uncaught " t
    }
    /^  what\(\): / && detail == "" { detail = $0; sub(/^  what\(\): */, "", detail) }
    kind == "" && /runtime error: / {
      # UBSan names the exact place itself (its stack may lack the line of an inlined frame).
      kind = "undefined behaviour"; detail = $0; sub(/.*runtime error: /, "", detail)
      where = $0; sub(/: runtime error: .*/, "", where); sub(/:[0-9]+$/, "", where); where = strip(where)
    }
    kind == "" && /ERROR: AddressSanitizer: / { kind = $0; sub(/.*ERROR: /, "", kind); sub(/ on .*/, "", kind) }
    kind == "" && /ERROR: LeakSanitizer/ { kind = "memory leak" }
    kind == "" && /ERROR: libFuzzer: timeout/ { kind = "timeout" }
    kind == "" && /ERROR: libFuzzer: out-of-memory/ { kind = "out of memory" }
    func_name == "" && /^ +#[0-9]+ / && index($0, " " root) && !/fuzz_input\.h:/ {
      loc = substr($0, index($0, " " root) + 1); sub(/ .*/, "", loc)
      if (loc !~ /[()]/) {
        if (loc ~ /:[0-9]+:[0-9]+$/) sub(/:[0-9]+$/, "", loc)  # file:line:column -> file:line
        if (where == "") where = strip(loc)
        func_name = $0; gsub(/\(anonymous namespace\)/, "{anonymous}", func_name)
        sub(/^ +#[0-9]+ 0x[0-9a-f]+ in /, "", func_name)
        func_name = substr(func_name, 1, index(func_name, " " root) - 1); sub(/\(.*/, "", func_name)
      }
    }
    END {
      if (kind == "") kind = "crash"
      if (where == "") where = "?"
      printf "%s at %s\t%s — %s\n", kind, where, func_name, detail
    }'
}

# A crash's fingerprint without symbolizing (a few times faster): its first error line with the numbers
# blanked, and its stack as module offsets. Inputs with one fingerprint crashed the same way.
fingerprint() {
  local bin=$1 input=$2
  { ASAN_OPTIONS=symbolize=0 UBSAN_OPTIONS=print_stacktrace=1:symbolize=0 timeout 120 "$bin" "$input" 2>&1 ||
    true; } | awk '
    !error && /^INVARIANT: |runtime error: |terminate called|ERROR: / { error = $0; gsub(/[0-9]+/, "N", error); print error }
    /^ +#[0-9]+ / { sub(/^ +#[0-9]+ 0x[0-9a-f]+ /, ""); print }' | md5sum | cut -c1-32
}

# ---- fuzzing ----
total_crashes=0
summary=()
for name in "${TARGETS[@]}"; do
  bin=$BUILD/tests/fuzz/zctrace_fuzz_$name
  seeds=$ROOT/tests/fuzz/corpus/$name
  work=$BUILD/corpus/$name
  artifacts=$BUILD/artifacts/$name
  log=$BUILD/$name.log
  mkdir -p "$work" "$seeds"
  rm -rf "$artifacts" && mkdir -p "$artifacts"
  flags=(-fork="$jobs" -ignore_crashes=1 -max_total_time="$seconds" -timeout=10
    -artifact_prefix="$artifacts/" -print_final_stats=1)
  [[ -f $ROOT/tests/fuzz/$name.dict ]] && flags+=(-dict="$ROOT/tests/fuzz/$name.dict")
  echo "fuzz: $name: fuzzing for $seconds s (log: build-fuzz/$name.log)"
  # The first directory receives what the fuzzer finds; the seeds directory is only read.
  rc=0
  "$bin" "${flags[@]}" "$work" "$seeds" >"$log" 2>&1 || rc=$?
  # With crashes ignored, fork mode exits with the status of the last crashed job (77 from libFuzzer,
  # 1 from ASan or UBSan); only a run that never reached its end is a failure of this script.
  ((rc == 0)) || grep -q '^INFO: exiting: ' "$log" ||
    die "$name: libFuzzer exited with $rc before the end: see build-fuzz/$name.log"

  # Fork mode's status line: "#RUNS: cov: C ft: F corp: N exec/s E oom/timeout/crash: O/T/C time: ..."
  stats=$(grep -E '^#[0-9]+: cov: ' "$log" | tail -n 1 || true)
  runs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$stats")
  cov=$(sed -E 's/.* cov: ([0-9]+).*/\1/' <<<"$stats")
  ft=$(sed -E 's/.* ft: ([0-9]+).*/\1/' <<<"$stats")
  corp=$(sed -E 's/.* corp: ([0-9]+).*/\1/' <<<"$stats")
  # Crashes are counted by the inputs saved (crash-*, timeout-*, oom-*, leak-*): libFuzzer's own counter
  # in the status line misses the jobs that crash after its last update.
  crashes=$(find "$artifacts" -type f | wc -l)

  # Group this run's crash inputs, and those already committed, by what went wrong where.
  declare -A known=() smallest=() count=() detail=()
  for f in "$seeds"/crash-* "$seeds"/timeout-* "$seeds"/oom-* "$seeds"/leak-*; do
    [[ -f $f ]] || continue
    line=$(describe_crash "$bin" "$f")
    known[${line%%$'\t'*}]=$(basename "$f")
  done
  # Hundreds of inputs may hit one shallow bug: they are first grouped by an unsymbolized fingerprint
  # (fast), and only one input of each group is symbolized and described (slow).
  declare -A group_count=() group_file=()
  while IFS= read -r f; do
    fp=$(fingerprint "$bin" "$f")
    group_count[$fp]=$((${group_count[$fp]:-0} + 1))
    if [[ -z ${group_file[$fp]:-} ]] || (($(stat -c %s "$f") < $(stat -c %s "${group_file[$fp]}"))); then
      group_file[$fp]=$f
    fi
  done < <(find "$artifacts" -type f | sort)
  for fp in "${!group_count[@]}"; do
    f=${group_file[$fp]}
    line=$(describe_crash "$bin" "$f")
    key=${line%%$'\t'*}
    count[$key]=$((${count[$key]:-0} + ${group_count[$fp]}))
    detail[$key]=${line#*$'\t'}
    if [[ -z ${smallest[$key]:-} ]] || (($(stat -c %s "$f") < $(stat -c %s "${smallest[$key]}"))); then
      smallest[$key]=$f
    fi
  done

  printf '\n== %s: %s runs in %s s · coverage: cov %s, ft %s · corpus %s · crashing inputs %s\n' \
    "$name" "${runs:-?}" "$seconds" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes"
  distinct=0
  for key in "${!count[@]}"; do
    distinct=$((distinct + 1))
    if [[ -n ${known[$key]:-} ]]; then
      where="known: tests/fuzz/corpus/$name/${known[$key]}"
    else
      # Inputs are named by libFuzzer after their SHA-1, so that the same input is never added twice.
      cp "${smallest[$key]}" "$seeds/"
      known[$key]=$(basename "${smallest[$key]}")
      where="NEW: tests/fuzz/corpus/$name/${known[$key]} ($(stat -c %s "${smallest[$key]}") bytes)"
    fi
    printf '   %s ×%s\n      %s\n      %s\n' "$key" "${count[$key]}" "${detail[$key]}" "$where"
  done
  ((distinct > 0)) || echo "   no crashes"
  summary+=("$(printf '%-10s %12s runs  cov %6s  crashes %4s (%s distinct)' "$name" "${runs:-?}" "${cov:-?}" \
    "$crashes" "$distinct")")
  total_crashes=$((total_crashes + crashes))
  unset known smallest count detail group_count group_file
done

echo
echo "fuzz: summary ($seconds s per target)"
printf '  %s\n' "${summary[@]}"
if ((total_crashes > 0)); then
  echo "fuzz: crashes found: their inputs are in tests/fuzz/corpus/<target>/ (replay: build-fuzz/tests/fuzz/zctrace_fuzz_<target> FILE)"
  exit 1
fi
echo "fuzz: no crashes"
