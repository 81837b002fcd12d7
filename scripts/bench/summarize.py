#!/usr/bin/env python3
"""summarize.py RUN_DIR — turns the records of one bench-overhead.sh run into its report.

The shell script only runs things and leaves one small record per run (see the layout below); all
arithmetic lives here, where medians and JSON are one-liners. Layout of RUN_DIR:

  workloads              one workload directory name a line, in the order to report them
  <wl>/meta              key=value: title, tag, kind (dd|transfer|exec: which goals apply), scale
                         (strace's work divisor), reps, variants (space-separated)
  <wl>/<variant>.<rep>.w bench-exec's (or floor's) record of the workload itself: wall_ns, ...
  <wl>/<variant>.<rep>.e bench-exec's record around the tracer (end-to-end; zctrace: its own usage)
  <wl>/zctrace.<rep>.json, bpftrace.<rep>.out, strace.<rep>.txt   the tools' own outputs
  <wl>/bpfstats.w, bpfstats.progs.json, bpfstats.ids   one more zctrace run with
                         kernel.bpf_stats_enabled: the workload's record, `bpftool -j prog show` taken
                         before zctrace unloaded, and the ids of zctrace's programs (its fdinfo)

Every wall time here is the WORKLOAD's (release of the command → its reap), not the tracer's: a
tracer's start-up (BPF load, bpftrace's compile) is a one-off cost, reported apart as end-to-end.
"""
import json
import os
import re
import statistics
import sys

from server_report import report_servers

# Goals of the project, with the comparison each one is judged by.
GOAL_DD_SLOWDOWN = 1.6
GOAL_DD_VS_FLOOR = 1.35
GOAL_DD_VS_BPFTRACE = 0.2
GOAL_TRANSFER_SLOWDOWN = 1.02
GOAL_TRANSFER_BPF_CPU = 0.02
GOAL_COLLECTOR_CORE = 0.01
GOAL_EXEC_SLOWDOWN = 1.25
GOAL_STARTUP_S = 0.3

# zctrace reports data it could not keep as warnings with these phrases (map or table full, counts
# dropped). "is not in the copy model; its CPU copies are not counted" also says "not counted" but
# is a modelling note about a path zctrace did count, so it must not be read as a loss.
LOST_RE = re.compile(r"were not counted|were not traced|were dropped|\bfull\b")
NOT_A_LOSS_RE = re.compile(r"copy model")


def read_kv(path):
    values = {}
    try:
        with open(path) as f:
            for line in f:
                key, sep, value = line.strip().partition("=")
                if sep:
                    values[key] = value
    except FileNotFoundError:
        return None
    return values


def num(values, key):
    if values is None or key not in values:
        return None
    try:
        return int(values[key])
    except ValueError:
        return float(values[key])


def median(xs):
    return statistics.median(xs) if xs else None


def fmt_s(ns):
    return "-" if ns is None else f"{ns / 1e9:.3f}"


def fmt_int(n):
    return "-" if n is None else f"{int(round(n)):,}"


def fmt_ns_per(ns):
    return "-" if ns is None else f"{ns:.0f} ns"


def ratio(a, b):
    """a/b for added costs; None when either is not a positive cost (it drowned in the noise), since
    a ratio of noise to noise, or a negative one, says nothing."""
    if a is None or b is None or a <= 0 or b <= 0:
        return None
    return a / b


def verdict(ok):
    return "N/A " if ok is None else ("PASS" if ok else "MISS")  # N/A: not measured, or not resolvable


def noise_note(slowdown, noise):
    """Says when a slowdown figure is the machine's noise rather than zctrace's doing."""
    if abs(slowdown - 1) < noise:
        return ": within the noise"
    if slowdown < 1:
        return ": faster than untraced, i.e. noise"
    return ""


def zctrace_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def lost_events(doc):
    """Number of events zctrace says it lost, and the other warnings (for information)."""
    lost, other = 0, []
    for w in doc.get("warnings", []):
        if LOST_RE.search(w) and not NOT_A_LOSS_RE.search(w):
            m = re.match(r"\s*(\d+)", w)
            lost += int(m.group(1)) if m else 1
        else:
            other.append(w)
    return lost, other


def bpftrace_count(path):
    """Sum of bpftrace's @[comm] = count() map, as printed when it exits."""
    total, seen = 0, False
    try:
        with open(path) as f:
            for line in f:
                m = re.match(r"^@\[.*\]: (\d+)$", line.strip())
                if m:
                    total += int(m.group(1))
                    seen = True
    except FileNotFoundError:
        return None
    return total if seen else None


def strace_count(path):
    """Calls on the 'total' line of strace -c: '100.00  secs  usecs/call  calls  [errors]  total'."""
    try:
        with open(path) as f:
            for line in f:
                fields = line.split()
                if fields and fields[-1] == "total" and len(fields) >= 5:
                    return int(fields[3])
    except (FileNotFoundError, ValueError):
        return None
    return None


def bpf_program_stats(prefix):
    """zctrace's programs in PREFIX.progs.json (`bpftool -j prog show`), those whose ids are in
    PREFIX.ids (zctrace's fds): [(name, run_cnt, run_time_ns)] of the ones that ran, busiest first,
    or None."""
    try:
        with open(prefix + ".progs.json") as f:
            progs = json.load(f)
        with open(prefix + ".ids") as f:
            ids = {int(line) for line in f if line.strip().isdigit()}
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    out = []
    for prog in progs:
        if prog.get("id") not in ids:
            continue
        if prog.get("run_cnt", 0) > 0:
            out.append((prog.get("name", "?"), prog["run_cnt"], prog.get("run_time_ns", 0)))
    return sorted(out, key=lambda p: -p[2])


class Workload:
    def __init__(self, run_dir, name):
        self.dir = os.path.join(run_dir, name)
        self.meta = read_kv(os.path.join(self.dir, "meta")) or {}
        self.name = name
        self.title = self.meta.get("title", name)
        self.kind = self.meta.get("kind", "")
        self.scale = float(self.meta.get("scale", "1"))
        self.variants = self.meta.get("variants", "").split()
        self.reps = int(self.meta.get("reps", "0"))

    def path(self, variant, rep, ext):
        return os.path.join(self.dir, f"{variant}.{rep}.{ext}")

    def records(self, variant, ext):
        out = []
        for rep in range(1, self.reps + 1):
            kv = read_kv(self.path(variant, rep, ext))
            if kv is not None:
                out.append((rep, kv))
        return out

    def walls(self, variant):
        factor = self.scale if variant == "strace" else 1.0
        return [num(kv, "wall_ns") * factor for _, kv in self.records(variant, "w") if num(kv, "wall_ns")]


def report_workload(wl, goals):
    print(f"== {wl.title}")
    walls = {v: wl.walls(v) for v in wl.variants}
    base = median(walls.get("untraced", []))
    if base is None:
        print("   no untraced run was recorded; nothing to compare\n")
        return

    # The workload's syscalls, counted by zctrace itself (the whole traced tree: the command, its
    # children and the few calls of the timing wrapper). They are the same syscalls in every variant,
    # so this one count turns every variant's added wall time into a cost per syscall.
    docs = [(rep, zctrace_json(wl.path("zctrace", rep, "json"))) for rep in range(1, wl.reps + 1)]
    docs = [(rep, d) for rep, d in docs if d is not None]
    z_counts = [sum(p.get("syscall_count", 0) for p in d.get("processes", [])) for _, d in docs]
    floor_counts = [num(kv, "count") for _, kv in wl.records("floor", "w") if num(kv, "count") is not None]
    bt_counts = [c for c in (bpftrace_count(wl.path("bpftrace", r, "out")) for r in range(1, wl.reps + 1)) if c]
    bt0_counts = [c for c in (bpftrace_count(wl.path("bpftrace_cpu0", r, "out")) for r in range(1, wl.reps + 1))
                  if c]
    st_counts = [c * wl.scale for c in (strace_count(wl.path("strace", r, "txt")) for r in range(1, wl.reps + 1)) if c]
    seen = {"zctrace": median(z_counts), "floor": median(floor_counts), "bpftrace": median(bt_counts),
            "bpftrace_cpu0": median(bt0_counts), "strace": median(st_counts)}
    n_sys = seen["zctrace"] or seen["floor"]
    n_from = "zctrace's JSON report" if seen["zctrace"] else "the floor probe's count"

    labels = {
        "untraced": "untraced",
        "zctrace": "zctrace -q (full accounting)",
        "floor": "floor (1 tp_btf counter)",
        "bpftrace": "bpftrace @[comm] = count()",
        "bpftrace_cpu0": "bpftrace, workload on CPU 0",
        "strace": f"strace -c -f  SCALED 1/{wl.scale:.0f} run x{wl.scale:.0f}",
        "baseline": "zctrace -q, baseline build",
        "zctrace_all": "zctrace -a (every process)",
        "zctrace_stacks": "zctrace -q --stacks",
    }
    print(f"   {'variant':<34}{'median s':>9}  {'min-max s':<15}{'slowdown':>9}{'added/syscall':>15}"
          f"{'syscalls seen':>15}{'end-to-end s':>14}")
    added = {}
    for v in wl.variants:
        xs = walls.get(v, [])
        if not xs:
            print(f"   {labels.get(v, v):<34}  (no successful run)")
            continue
        med = median(xs)
        added[v] = med - base if v != "untraced" else 0.0
        per = added[v] / n_sys if (n_sys and v != "untraced") else None
        # End-to-end = the whole tracer invocation, start-up and report included. Untraced it is
        # the workload's own time; strace's short run has no meaningful full-size figure.
        e2e = [num(kv, "wall_ns") for _, kv in wl.records(v, "e") if num(kv, "wall_ns")]
        if v == "untraced":
            e2e_s = fmt_s(med)
        elif v == "strace" or not e2e:
            e2e_s = "-"
        else:
            e2e_s = fmt_s(median(e2e))
        spread = f"{fmt_s(min(xs))}-{fmt_s(max(xs))}"
        print(f"   {labels.get(v, v):<34}{fmt_s(med):>9}  {spread:<15}{med / base:>8.2f}x"
              f"{(fmt_ns_per(per) if per is not None else '-'):>15}{fmt_int(seen.get(v)):>15}{e2e_s:>14}")
    noise = (max(walls["untraced"]) - min(walls["untraced"])) / base
    if len(walls["untraced"]) > 1:
        print(f"   runs per variant: {len(walls['untraced'])}; untraced spread (max-min)/median ="
              f" {noise * 100:.1f}%  (differences smaller than this are noise)")
    else:
        print("   one run per variant: no estimate of the noise")
    if n_sys:
        print(f"   syscalls of the workload: {fmt_int(n_sys)} (from {n_from})")
    if seen["floor"] and seen["zctrace"] and seen["floor"] < 0.9 * seen["zctrace"]:
        print("   note: the floor and bpftrace count only the command's own process (pid filter), zctrace"
              " also its children; every added cost is still divided by all the workload's syscalls")
    if "strace" in wl.variants:
        print(f"   note: strace ran 1/{wl.scale:.0f} of the work; its wall time and counts are multiplied"
              f" by {wl.scale:.0f}")

    # This build against the baseline build (--baseline), per syscall.
    if "baseline" in wl.variants and n_sys and "zctrace" in added and "baseline" in added:
        fastest = {v: min(walls[v]) for v in ("untraced", "zctrace", "baseline") if walls.get(v)}
        r_med = ratio(added["zctrace"], added["baseline"])
        line = (f"   this build vs the baseline ({wl.meta.get('baseline', '?')}): added cost"
                f" {fmt_ns_per(added['zctrace'] / n_sys)} vs {fmt_ns_per(added['baseline'] / n_sys)}/syscall")
        line += f", ratio {r_med:.2f}" if r_med is not None else ", no ratio (a cost below the noise)"
        if len(fastest) == 3:
            r_min = ratio(fastest["zctrace"] - fastest["untraced"], fastest["baseline"] - fastest["untraced"])
            if r_min is not None:
                line += f"; from the fastest runs {r_min:.2f}"
        print(line)

    # What --stacks adds to the full accounting, per syscall of the workload.
    if "zctrace_stacks" in added and "zctrace" in added and n_sys:
        extra = added["zctrace_stacks"] - added["zctrace"]
        r = ratio(added["zctrace_stacks"], added["zctrace"])
        if extra <= 0 or r is None:
            print("   --stacks adds nothing measurable to zctrace -q here (below the noise)")
        else:
            print(f"   --stacks adds {fmt_ns_per(extra / n_sys)}/syscall to zctrace -q (its added cost x{r:.2f})")

    # zctrace against the floor and bpftrace, per syscall.
    z_add = added.get("zctrace")
    z_per = z_add / n_sys if (z_add is not None and n_sys) else None
    r_floor = ratio(z_add, added.get("floor"))
    r_bt = ratio(z_add, added.get("bpftrace"))
    r_bt0 = ratio(z_add, added.get("bpftrace_cpu0"))
    if z_per is not None:
        parts = [f"zctrace added cost: {fmt_ns_per(z_per)}/syscall"]
        if z_per <= 0:
            parts.append("not a positive cost (below the noise): no ratios")
            r_floor = r_bt = None
        if "floor" in added and z_per > 0:
            f_per = added["floor"] / n_sys
            parts.append(f"{r_floor:.2f}x the floor's ({fmt_ns_per(f_per)})" if r_floor is not None
                         else f"floor's {fmt_ns_per(f_per)} is not a positive cost: no ratio")
        if "bpftrace" in added and z_per > 0:
            b_per = added["bpftrace"] / n_sys
            parts.append(f"{r_bt:.2f}x bpftrace's ({fmt_ns_per(b_per)})" if r_bt is not None
                         else f"bpftrace's {fmt_ns_per(b_per)} is not a positive cost: no ratio")
        if "bpftrace_cpu0" in added and z_per > 0 and r_bt0 is not None:
            parts.append(f"{r_bt0:.2f}x bpftrace's with the workload on CPU 0"
                         f" ({fmt_ns_per(added['bpftrace_cpu0'] / n_sys)})")
        print("   " + "; ".join(parts))
        # The same from each variant's fastest run: noise here only ever adds time (a neighbour slowing
        # the CPU), so the minima are the other estimate of the costs; when the two disagree much, the
        # run was noisy.
        fastest = {v: min(xs) for v, xs in walls.items() if xs}
        if "floor" in fastest and z_per > 0 and wl.kind == "dd":
            zf, ff = fastest["zctrace"] - fastest["untraced"], fastest["floor"] - fastest["untraced"]
            r_min = ratio(zf, ff)
            if r_min is not None:
                print(f"   from the fastest runs instead of the medians: zctrace {fmt_ns_per(zf / n_sys)}/syscall,"
                      f" floor {fmt_ns_per(ff / n_sys)}: {r_min:.2f}x")
        if r_bt is not None and r_bt0 is not None and added.get("floor", 0) > 0:
            print(f"   note: bpftrace 0.17 attaches through bcc, which opens the tracepoint's perf event on CPU 0 only;"
                  f"\n   its program runs on every CPU, but on CPU 0 each event also passes perf_tp_event, so bpftrace"
                  f"\n   costs {added['bpftrace_cpu0'] / added['bpftrace']:.1f}x as much there. On the workload's CPU the"
                  f" floor alone is {added['floor'] / added['bpftrace']:.2f}x bpftrace's cost.")

    # The collector: zctrace's own process. While the workload ran (steady state), and in total.
    w_recs = dict(wl.records("zctrace", "w"))
    e_recs = dict(wl.records("zctrace", "e"))
    shares, totals, users, systems, hwms = [], [], [], [], []
    for rep, kv in w_recs.items():
        cpu, wall = num(kv, "parent_cpu_ns"), num(kv, "wall_ns")
        if cpu is not None and wall:
            shares.append(cpu / wall)
    for rep, kv in e_recs.items():
        if num(kv, "self_cpu_ns") is not None:
            totals.append(num(kv, "self_cpu_ns"))
        if num(kv, "self_utime_ns") is not None:
            users.append(num(kv, "self_utime_ns"))
            systems.append(num(kv, "self_stime_ns"))
        if num(kv, "vmhwm_kb") is not None:
            hwms.append(num(kv, "vmhwm_kb"))
    share = median(shares)
    if share is not None:
        line = (f"   zctrace collector (its own process, not the traced one): {share * 100:.3f}% of a core while"
                f" the workload ran (median; max {max(shares) * 100:.3f}%)")
        print(line)
    if totals:
        extra = (f" (user {median(users) / 1e9:.2f} s + sys {median(systems) / 1e9:.2f} s, clock-tick"
                 " resolution)") if users else ""
        rss = (f"; peak RSS (VmHWM) {median(hwms) / 1024:.1f} MiB (max {max(hwms) / 1024:.1f} MiB)"
               if hwms else "; peak RSS unknown")
        print(f"   zctrace process, whole run (BPF load + verification, tracing, report): CPU "
              f"{median(totals) / 1e9:.3f} s{extra}{rss}")
    lost_per_rep, others = [], set()
    for _, d in docs:
        lost, other = lost_events(d)
        lost_per_rep.append(lost)
        others.update(other)
    if docs:
        print(f"   events lost (zctrace warnings: map/table full, not counted, dropped): "
              f"{max(lost_per_rep)} (worst of {len(docs)} runs)")
        if others:
            sample = sorted(others)[0]
            print(f"   other zctrace warnings ({len(others)} distinct), e.g.: {sample}")
    else:
        print("   events lost: unknown (no zctrace JSON report was written)")

    # zctrace's BPF programs as the kernel counts them (the separate stats run), against the work itself.
    progs = bpf_program_stats(os.path.join(wl.dir, "bpfstats"))
    untraced_cpu = median([num(kv, "cpu_ns") for _, kv in wl.records("untraced", "w") if num(kv, "cpu_ns")])
    empty = read_kv(os.path.join(wl.dir, "bpfstats.empty"))
    stats_cost = (num(empty, "run_time_ns") / num(empty, "run_cnt")
                  if num(empty, "run_cnt") and num(empty, "run_time_ns") is not None else None)
    bpf_share = None
    if progs:
        measured_ns = sum(p[2] for p in progs)
        runs = sum(p[1] for p in progs)
        busiest = ", ".join(f"{n} {t / c:.0f} ns x {c:,}" for n, c, t in progs[:4])
        print(f"   zctrace's BPF programs, counted by the kernel (kernel.bpf_stats_enabled, one more run):"
              f" {measured_ns / 1e6:.1f} ms\n   in {runs:,} runs; {busiest}")
        # Each run's figure includes the statistics' own clock reads: an empty program measures them.
        own_ns = measured_ns - runs * stats_cost if stats_cost is not None else None
        if own_ns is not None:
            print(f"   the statistics' own cost: {stats_cost:.0f} ns a run (an empty program, measured the same way);"
                  f" without it: {own_ns / 1e6:.1f} ms")
        if untraced_cpu:
            cost_ns = own_ns if own_ns is not None else measured_ns
            bpf_share = cost_ns / untraced_cpu
            per = f"; {cost_ns / n_sys:.0f} ns per syscall" if (wl.kind == "dd" and n_sys) else ""
            what = "" if own_ns is not None else " (with the statistics' cost: an upper bound)"
            print(f"   = {bpf_share * 100:.2f}%{what} of the untraced workload's CPU time"
                  f" ({untraced_cpu / 1e6:.0f} ms, median, user + system of its processes){per}")
    print()

    # Goals this workload is judged by.
    z_slow = median(walls["zctrace"]) / base if walls.get("zctrace") else None
    tag = wl.meta.get("tag", wl.name)
    if wl.kind == "dd":
        goals.append((f"{tag} zctrace <= {GOAL_DD_SLOWDOWN}x untraced",
                      None if z_slow is None else z_slow <= GOAL_DD_SLOWDOWN,
                      "-" if z_slow is None else f"{z_slow:.2f}x"))
        goals.append((f"{tag} zctrace added cost <= {GOAL_DD_VS_FLOOR}x floor's",
                      None if r_floor is None else r_floor <= GOAL_DD_VS_FLOOR,
                      "not measurable" if r_floor is None else f"{r_floor:.2f}x"))
        floor_vs_bt = ratio(added.get("floor"), added.get("bpftrace"))
        unreachable = (f"; the floor alone is {floor_vs_bt:.2f}x: out of reach on this CPU"
                       if floor_vs_bt is not None and floor_vs_bt > GOAL_DD_VS_BPFTRACE else "")
        goals.append((f"{tag} zctrace added cost <= {GOAL_DD_VS_BPFTRACE}x bpftrace's",
                      None if r_bt is None else r_bt <= GOAL_DD_VS_BPFTRACE,
                      "not measured" if r_bt is None else
                      f"{r_bt:.2f}x" + (f" (same CPU{unreachable}; {r_bt0:.2f}x with the workload on CPU 0)"
                                        if r_bt0 is not None else unreachable)))
    elif wl.kind == "exec":
        goals.append((f"{tag} zctrace <= {GOAL_EXEC_SLOWDOWN}x untraced",
                      None if z_slow is None or abs(z_slow - GOAL_EXEC_SLOWDOWN) < noise
                      else z_slow <= GOAL_EXEC_SLOWDOWN,
                      "-" if z_slow is None else f"{z_slow:.2f}x (untraced spread {noise * 100:.1f}%)"))
    else:
        # A wall-time difference smaller than the untraced runs' own spread says nothing either way: not
        # a pass, not a miss. zctrace's BPF CPU time (below) is the figure that resolves it.
        goals.append((f"{tag} zctrace slowdown < {(GOAL_TRANSFER_SLOWDOWN - 1) * 100:.0f}%",
                      None if z_slow is None or abs(z_slow - 1) < noise else z_slow < GOAL_TRANSFER_SLOWDOWN,
                      "-" if z_slow is None else
                      f"{(z_slow - 1) * 100:+.1f}% (untraced spread {noise * 100:.1f}%"
                      f"{noise_note(z_slow, noise)})"))
        goals.append((f"{tag} zctrace's BPF CPU < {GOAL_TRANSFER_BPF_CPU * 100:.0f}% of the workload's",
                      None if bpf_share is None else bpf_share < GOAL_TRANSFER_BPF_CPU,
                      "not measured" if bpf_share is None else f"{bpf_share * 100:.2f}%"))
    goals.append((f"{tag} collector < {GOAL_COLLECTOR_CORE * 100:.0f}% of a core",
                  None if share is None else share < GOAL_COLLECTOR_CORE,
                  "-" if share is None else f"{share * 100:.3f}%"))
    if docs:
        goals.append((f"{tag} events lost = 0", max(lost_per_rep) == 0, str(max(lost_per_rep))))


def main():
    if len(sys.argv) != 2:
        print("usage: summarize.py RUN_DIR", file=sys.stderr)
        return 2
    run_dir = sys.argv[1]
    names = []
    if os.path.exists(os.path.join(run_dir, "workloads")):
        with open(os.path.join(run_dir, "workloads")) as f:
            names = [line.strip() for line in f if line.strip()]
    goals = []
    print("Times are the workload's own, from the command's release to its reap; 'end-to-end' is the whole"
          "\ntracer invocation (start-up: BPF load, verification; and the report). 'added/syscall' is"
          "\n(variant median - untraced median) / the workload's syscalls.\n")
    startup = os.path.join(run_dir, "startup")
    if os.path.exists(startup):
        with open(startup) as f:
            ns = [int(line) for line in f if line.strip()]
        s = statistics.median(ns) / 1e9
        print(f"== (s) start-up, launch to the traced command's first instruction (BPF load, verification, attach):"
              f" median {s:.3f} s, {min(ns) / 1e9:.3f}-{max(ns) / 1e9:.3f} s over {len(ns)} runs\n")
        goals.append((f"(s) tracing starts within {GOAL_STARTUP_S} s of launch", s <= GOAL_STARTUP_S, f"{s:.3f} s"))
    for name in names:
        report_workload(Workload(run_dir, name), goals)
    report_servers(run_dir, goals)
    foreign = os.path.join(run_dir, "foreign-bpf")
    if os.path.exists(foreign):
        with open(foreign) as f:
            lines = [line.strip() for line in f if line.strip()]
        print(f"!! {len(lines)} run(s) started while BPF tracing programs not of this benchmark were loaded"
              " (another tracer on the machine taxes every syscall): their figures are suspect. First:")
        print(f"   {lines[0]}\n")
    print("== Goals (PASS/MISS, measured)")
    width = max(len(g[0]) for g in goals) if goals else 0
    for text, ok, figure in goals:
        print(f"   {verdict(ok)}  {text:<{width}}  {figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
