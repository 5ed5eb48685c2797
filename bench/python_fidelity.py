#!/usr/bin/python3
"""Does embedding Python in sharebench flatter or penalise it? The same peer calls timed by a
plain Python loop (python_baseline.py) and by sharebench, one process each, interleaved
round by round on this machine, with the median of the rounds' ratios per mechanism.

    /usr/bin/python3 bench/python_fidelity.py [--sharebench build/sharebench] [--rounds 3]

Prints, per mechanism, sharebench's ops/s over the plain loop's (the goal is 0.75 to 1.33),
and py-null's time per op as a share of py-mmap-dict's (the bridge's cost; goal <= 10%).
Exit 0 whatever the figures: it measures, it does not judge a noisy machine.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import python_baseline  # noqa: E402

# (sharebench strategies, workload): the cells python_baseline.measure() also times.
CELLS = [("py-null,py-mmap-dict,py-manager,py-queue", "read"), ("py-manager,py-value-array", "counter")]


def sharebench_rates(binary, keys, seconds):
    rates = {}
    for strategies, workload in CELLS:
        with tempfile.NamedTemporaryFile(prefix="sharebench-fidelity-", suffix=".json") as out:
            subprocess.run([binary, "--strategy", strategies, "--workload", workload, "--procs", "1",
                            "--keys", str(keys), "--duration", str(seconds), "--warmup", "0.2",
                            "--out", out.name],
                           check=True, stdout=subprocess.DEVNULL)
            report = json.load(open(out.name))
        for b in report["benchmarks"]:
            if b.get("status", "ok") == "ok":
                rates["%s/%s" % (b["strategy"], b["workload"])] = b["items_per_second"]
    return rates


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sharebench", default="build/sharebench")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()

    # One CPU for both sides, and every process either starts (a Manager's server, a Queue's
    # owner): vCPUs of a shared VM differ in speed from moment to moment, a 2x swing here.
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    print("both sides on CPU %d" % cpu)
    ratios, bridge_shares = {}, []
    for r in range(args.rounds):
        print("== round %d" % (r + 1))
        plain = python_baseline.measure(args.keys, 32, args.seconds)
        embedded = sharebench_rates(args.sharebench, args.keys, args.seconds)
        for cell, rate in embedded.items():
            if cell in plain and cell != "py-null/read":
                ratios.setdefault(cell, []).append(rate / plain[cell])
                print("%-28s sharebench %12.0f ops/s  plain loop %12.0f ops/s  ratio %.2f"
                      % (cell, rate, plain[cell], rate / plain[cell]))
        if "py-null/read" in embedded and "py-mmap-dict/read" in embedded:
            bridge_shares.append(embedded["py-mmap-dict/read"] / embedded["py-null/read"])

    print("== medians of %d rounds" % args.rounds)
    for cell, values in sorted(ratios.items()):
        median = statistics.median(values)
        verdict = "within" if 0.75 <= median <= 1.33 else "OUTSIDE"
        print("%-28s sharebench / plain loop %.2f (%s 0.75-1.33; rounds %s)"
              % (cell, median, verdict, ", ".join("%.2f" % v for v in values)))
    if bridge_shares:
        print("py-null time per op / py-mmap-dict's: %.1f%% (rounds %s)"
              % (100 * statistics.median(bridge_shares), ", ".join("%.1f%%" % (100 * v) for v in bridge_shares)))


if __name__ == "__main__":
    main()
