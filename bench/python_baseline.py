#!/usr/bin/python3
"""The fidelity check for sharebench's py-* figures: the same Python calls, timed in a plain
loop in one process with no C++ around them, so the bridge's share of a py-* figure shows.

Same keys as sharebench (the decimal text of 2*i, misses 2*i+1; values of --value-size
bytes), same peer code (strategies/python/peers). Run with Debian's python:
    /usr/bin/python3 bench/python_baseline.py [--keys 100000] [--seconds 1]
Prints one line per mechanism: ops/s and the mean ns per op, one process.
"""
import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "strategies", "python", "peers"))

import py_manager  # noqa: E402
import py_mmap_dict  # noqa: E402
import py_queue  # noqa: E402
import py_value_array  # noqa: E402


def timed(name, call, keys, seconds):
    """Calls call(key) over keys, round and round, for about `seconds`; prints the rate."""
    ops = 0
    n = len(keys)
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for i in range(0, n, 1000):
            for key in keys[i:i + 1000]:
                call(key)
            ops += min(1000, n - i)
            if time.perf_counter() >= deadline:
                elapsed = time.perf_counter() - start
                print("%-28s %12.0f ops/s %10.0f ns/op" % (name, ops / elapsed, 1e9 * elapsed / ops))
                return ops / elapsed


def measure(keys, value_size, seconds):
    """Times each mechanism; returns {mechanism: ops/s}, named as sharebench's cells are."""
    rates = {}
    rng = random.Random(1)
    entries = [(b"%d" % (2 * i), rng.randbytes(value_size)) for i in range(keys)]
    # Like the read workload: uniform, half of the gets for absent keys.
    lookups = [b"%d" % rng.randrange(2 * keys) for _ in range(min(keys, 100_000))]
    counters = [b"counter:%d" % c for c in range(16)]
    counter_lookups = [counters[rng.randrange(16)] for _ in range(10_000)]

    print("python %s, one process, %d keys" % (sys.version.split()[0], keys))
    rates["py-null/read"] = timed("null (loop only)", lambda k: None, lookups, seconds)

    state = py_mmap_dict.prepare(entries, [], "")
    rates["py-mmap-dict/read"] = timed("mmap dict get", py_mmap_dict.connect(state, 0).get, lookups, seconds)
    py_mmap_dict.teardown(state)

    state = py_manager.prepare(entries, counters, "")
    client = py_manager.connect(state, 0)
    rates["py-manager/read"] = timed("Manager dict get", client.get, lookups, seconds)
    rates["py-manager/counter"] = timed("Manager dict d[k] += 1", lambda k: client.add(k, 1), counter_lookups, seconds)
    py_manager.teardown(state)

    state = py_queue.prepare(entries, counters, "")
    client = py_queue.connect(state, 0)
    rates["py-queue/read"] = timed("Queue round trip (get)", client.get, lookups, seconds)
    client.close()
    py_queue.teardown(state)

    state = py_value_array.prepare([], counters, "")
    client = py_value_array.connect(state, 0)
    rates["py-value-array/counter"] = timed("Array('q') add under lock", lambda k: client.add(k, 1), counter_lookups, seconds)
    py_value_array.teardown(state)
    return rates


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--value-size", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    measure(args.keys, args.value_size, args.seconds)


if __name__ == "__main__":
    main()
