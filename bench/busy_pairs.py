#!/usr/bin/python3
"""busy_pairs.py ROUNDS LOAD -- NAME=TRAINER[:EXTRA ARGS] ... -- ARGS: trainers side by side.

Each round runs every variant once (TRAINER ARGS EXTRA --csv FILE), in an order rotated from
round to round, with `yes > /dev/null` running throughout when LOAD is 1. A variant's time is
its training time, the sum of the CSV's last column (seconds). Prints each round, then per
variant the median time and the median over rounds of its time over the first variant's in
the same round: on a shared machine, whose speed drifts over minutes, ratios within a round
are what compare. For docs/performance.md ("A busy machine"), e.g.:

    bench/busy_pairs.py 5 1 -- one=./lenet:--threads\\ 1 default=./lenet -- --epochs 1
"""
import os
import statistics
import subprocess
import sys


def main():
    if len(sys.argv) < 3 or sys.argv[3:4] != ["--"] or sys.argv[3:].count("--") != 2:
        raise SystemExit(__doc__)
    rounds, load = int(sys.argv[1]), sys.argv[2] == "1"
    rest = sys.argv[4:]
    cut = rest.index("--")
    variants = []
    for v in rest[:cut]:
        name, spec = v.split("=", 1)
        exe, _, extra = spec.partition(":")
        variants.append((name, exe, extra.split()))
    args = rest[cut + 1:]
    csv = "/tmp/busy_pairs.%d.csv" % os.getpid()
    times = {name: [] for name, _, _ in variants}
    busy = subprocess.Popen(["yes"], stdout=subprocess.DEVNULL) if load else None
    try:
        for r in range(rounds):
            for name, exe, extra in variants[r % len(variants):] + variants[:r % len(variants)]:
                subprocess.run([exe] + args + extra + ["--csv", csv], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                rows = [line for line in open(csv).read().split("\n")[1:] if line]
                times[name].append(sum(float(line.split(",")[-1]) for line in rows))
            print("round %d: %s" % (r + 1, "  ".join(
                "%s %.3f" % (name, times[name][-1]) for name, _, _ in variants)), flush=True)
    finally:
        if busy:
            busy.kill()
            busy.wait()
        if os.path.exists(csv):
            os.remove(csv)
    first = variants[0][0]
    print("load %s; load average %s" % ("yes > /dev/null" if load else "none",
                                         " ".join(open("/proc/loadavg").read().split()[:3])))
    for name, _, _ in variants:
        ratios = [a / b for a, b in zip(times[name], times[first])]
        print("  %-10s median %.3f s, median ratio to %s %.3f (rounds: %s)" % (
            name, statistics.median(times[name]), first, statistics.median(ratios),
            " ".join("%.2f" % x for x in ratios)))


if __name__ == "__main__":
    main()
