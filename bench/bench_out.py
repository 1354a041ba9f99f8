"""What a reused ``out=`` saves: ``matinv.inv(a)`` (a fresh result each call) against
``matinv.inv(a, out=out)`` (one result array reused), interleaved, medians.

    python bench/bench_out.py [--count 1000000] [--n 3] [--repeats 11] [--threads T]

Prints one JSON line: the medians (seconds), their ratio, the CPU model and the load
average before and after (the machine may be shared: say so with the numbers).
"""

import argparse
import json
import os
import statistics
import time

import numpy as np

import limits  # bench/limits.py
import matinv


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--n", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        matinv.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((args.count, args.n, args.n)) + args.n * np.eye(args.n)
    out = np.empty_like(a)
    matinv.inv(a, out=out)  # warm: pool started, `out` touched once
    load_before = os.getloadavg()
    fresh, reused = [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        x = matinv.inv(a)
        fresh.append(time.perf_counter() - t)
        del x  # freed, so the next call's result is fresh memory again
        t = time.perf_counter()
        matinv.inv(a, out=out)
        reused.append(time.perf_counter() - t)
    result = {
        "shape": list(a.shape),
        "threads": matinv.get_num_threads(),
        "repeats": args.repeats,
        "fresh_median_s": statistics.median(fresh),
        "reused_median_s": statistics.median(reused),
        "saved_fraction": 1 - statistics.median(reused) / statistics.median(fresh),
        "cpu": limits.cpu_model(),
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "numpy": np.__version__,
        "matinv": matinv.__version__,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
