"""server_report.py — the report of bench-overhead.sh's server workload (f), for summarize.py.

Each case's directory (listed in RUN/servers) holds meta and, per variant and repetition, a record of
server-round.sh: the worker's CPU time over the round (cpu_ns) and the requests wrk completed. A variant's
cost is its CPU time per request; what it adds is taken against the untraced round of the same
repetition (rounds alternate, so a drift of the machine between repetitions cancels out).
"""
import os
import statistics

GOAL_SERVER_VS_FLOOR = 1.5     # zctrace's added CPU per request, at most this times the floor probe's
GOAL_SERVER_VS_BPFTRACE = 1.0  # and at most bpftrace's plain per-process counter's


def read_record(path):
    values = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            if value:
                values[key] = float(value)
    return values


def us_per_request(record):
    return record["cpu_ns"] / record["requests"] / 1000.0


class ServerCase:
    def __init__(self, run_dir, name):
        self.dir = os.path.join(run_dir, name)
        self.meta = {}
        with open(os.path.join(self.dir, "meta")) as f:
            for line in f:
                key, _, value = line.rstrip("\n").partition("=")
                self.meta[key] = value
        self.variants = self.meta["variants"].split()
        self.reps = int(self.meta["reps"])
        self.round_s = float(self.meta["round_s"])
        self.cost = {}      # variant -> [µs CPU per request, by repetition]
        self.rate = {}      # variant -> [requests per second]
        for v in self.variants:
            for r in range(1, self.reps + 1):
                path = os.path.join(self.dir, f"{v}.{r}.r")
                if not os.path.exists(path):
                    continue
                rec = read_record(path)
                self.cost.setdefault(v, []).append(us_per_request(rec))
                self.rate.setdefault(v, []).append(rec["requests"] / self.round_s)

    def added(self, variant):
        """The variant's added µs per request, repetition by repetition, against that repetition's untraced."""
        base = self.cost.get("untraced", [])
        mine = self.cost.get(variant, [])
        return [m - b for m, b in zip(mine, base)]


def spread(values):
    return f"{min(values):.1f}-{max(values):.1f}"


def ratio(a, b):
    return a / b if (a is not None and b is not None and b > 0) else None


def report_case(case, goals):
    tag = case.meta["tag"]
    print(f"== {case.meta['title']}: {case.reps} repetitions")
    print(f"   {'variant':<12} {'µs CPU/request':>16} {'(min-max)':>12} {'added':>8} {'(min-max)':>14} {'requests/s':>11}")
    base_noise = None
    if case.cost.get("untraced"):
        u = case.cost["untraced"]
        base_noise = (max(u) - min(u)) / 2
    med_added = {}
    for v in case.variants:
        if v not in case.cost:
            continue
        c = case.cost[v]
        line = f"   {v:<12} {statistics.median(c):16.2f} {spread(c):>12}"
        if v != "untraced":
            a = case.added(v)
            med_added[v] = statistics.median(a)
            line += f" {med_added[v]:+8.2f} {'(' + spread(a) + ')':>14}"
        else:
            line += f" {'':>8} {'':>14}"
        line += f" {statistics.median(case.rate[v]):11.0f}"
        print(line)
    z = med_added.get("zctrace")
    r_floor = ratio(z, med_added.get("floor"))
    r_bt = ratio(z, med_added.get("bpftrace"))
    if z is not None:
        parts = []
        if r_floor is not None:
            parts.append(f"{r_floor:.2f}x the floor's")
        if r_bt is not None:
            parts.append(f"{r_bt:.2f}x bpftrace's")
        print(f"   zctrace -p adds {z:.2f} µs per request" + (f": {', '.join(parts)}" if parts else "")
              + (f"; the untraced rounds' own spread is ±{base_noise:.2f} µs" if base_noise is not None else ""))
    print()
    # The goals are the small file's, with sendfile (the case); the others are reported only.
    if "4KiB sendfile on" not in tag or z is None:
        return

    def judged(reference, factor):
        # N/A when the reference's cost is lost in the untraced rounds' own spread, or the distance to the
        # bound is
        if reference is None or (base_noise is not None and reference < base_noise):
            return None
        bound = factor * reference
        return None if base_noise is not None and abs(z - bound) < base_noise else z <= bound

    floor_added = med_added.get("floor")
    bt_added = med_added.get("bpftrace")
    goals.append((f"{tag} zctrace added <= {GOAL_SERVER_VS_FLOOR}x floor's",
                  judged(floor_added, GOAL_SERVER_VS_FLOOR),
                  "not measured" if floor_added is None else
                  f"{z:.2f} vs {floor_added:.2f} µs" + (f": {r_floor:.2f}x" if r_floor else "") + f" (spread ±{base_noise:.2f})"))
    goals.append((f"{tag} zctrace added <= bpftrace's",
                  judged(bt_added, GOAL_SERVER_VS_BPFTRACE),
                  "not measured" if bt_added is None else
                  f"{z:.2f} vs {bt_added:.2f} µs" + (f": {r_bt:.2f}x" if r_bt else "") + f" (spread ±{base_noise:.2f})"))


def report_servers(run_dir, goals):
    path = os.path.join(run_dir, "servers")
    if not os.path.exists(path):
        return
    with open(path) as f:
        names = [line.strip() for line in f if line.strip()]
    if not names:
        return
    print("The server (f): the nginx worker's CPU time per request (scheduler nanoseconds, user + kernel) while"
          "\neach variant is attached; 'added' is against the untraced round of the same repetition.\n")
    for name in names:
        report_case(ServerCase(run_dir, name), goals)
