#!/usr/bin/env python3
"""Structured inverses against the general path and numpy, in one process.

    .venv/bin/python bench/bench_structured.py            # ~1-2 minutes
    .venv/bin/python bench/bench_structured.py --quick    # smaller repeats

For each case (one matrix or a stack) and structure, times ``matinv.inv(a,
assume_a=...)``, ``matinv.inv(a)`` (the general path) and ``numpy.linalg.inv(a)`` on the
same input, interleaved repeat by repeat after a warm-up call of each, and reports medians
and the ratios general/structured and numpy/structured. Every structured result is checked
against numpy's inverse first. Results go to ``bench/results/structured.json``.

As bench_inv.py does, the script re-executes itself without OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE (they slow numpy's OpenBLAS), before numpy is imported.
"""

import os
import sys

_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

if __name__ == "__main__" and any(k in os.environ for k in _OVERRIDES):
    env = {k: v for k, v in os.environ.items() if k not in _OVERRIDES}
    env["MATINV_BENCH_SCRUBBED_ENV"] = ",".join(k for k in _OVERRIDES if k in os.environ)
    os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env)

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import matinv  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "structured.json"

# name, matrices (None: one 2-D matrix), n, structures
CASES = [
    ("one 512x512", None, 512, ["pos", "upper triangular", "diagonal", "auto"]),
    ("one 1024x1024", None, 1024, ["pos", "upper triangular", "diagonal", "auto"]),
    ("one 2048x2048", None, 2048, ["pos", "upper triangular", "diagonal"]),
    ("1e5 x 8x8", 100_000, 8, ["pos", "upper triangular", "diagonal", "auto"]),
    ("1e4 x 32x32", 10_000, 32, ["pos", "upper triangular", "diagonal", "auto"]),
]


def make(structure, count, n, rng):
    """A float64 matrix (or stack) of the structure, well conditioned; 'auto' gets the
    positive definite one (it detects Hermitian, then runs Cholesky)."""
    shape = (n, n) if count is None else (count, n, n)
    if structure == "diagonal":
        d = rng.uniform(1, 2, shape[:-1])
        return d[..., :, None] * np.eye(n)
    if structure == "upper triangular":
        off = rng.standard_normal(shape) / np.sqrt(n)
        return np.triu(off, 1) + rng.uniform(1, 2, shape[:-1])[..., :, None] * np.eye(n)
    b = rng.standard_normal(shape)
    a = b @ np.swapaxes(b, -1, -2) / n + np.eye(n)
    return (a + np.swapaxes(a, -1, -2)) / 2


def timed(fn, a):
    t = time.perf_counter()
    fn(a)
    return time.perf_counter() - t


def run_case(name, count, n, structure, repeats, rng, settle):
    a = make(structure, count, n, rng)
    fns = {
        "numpy": np.linalg.inv,
        "general": matinv.inv,
        "structured": lambda x: matinv.inv(x, assume_a=structure),
    }
    want = np.linalg.inv(a)
    got = fns["structured"](a)
    assert np.allclose(got, want, rtol=1e-8, atol=1e-10), (name, structure)
    fns["general"](a)  # warm-up
    times = {k: [] for k in fns}
    order = list(fns)
    for r in range(repeats):
        for k in order if r % 2 == 0 else order[::-1]:
            # OpenBLAS's threads spin for ~0.1 s after a call, on the cores the next
            # timed call needs (see bench/README.md).
            time.sleep(settle)
            times[k].append(timed(fns[k], a))
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "case": name,
        "structure": structure,
        "n": n,
        "matrices": count or 1,
        "repeats": repeats,
        "median_s": med,
        "min_s": {k: min(v) for k, v in times.items()},
        "speedup_vs_general": med["general"] / med["structured"],
        "speedup_vs_numpy": med["numpy"] / med["structured"],
    }


def fmt(s):
    return f"{s * 1e3:.3g} ms" if s >= 1e-3 else f"{s * 1e6:.3g} us"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats")
    p.add_argument("--json", type=Path, default=OUT)
    p.add_argument("--settle", type=float, default=0.2, help="pause before every timed call, s")
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    results = []
    print("| case | assume_a | numpy | general | structured | vs general | vs numpy |")
    print("|---|---|---|---|---|---|---|")
    for name, count, n, structures in CASES:
        for structure in structures:
            work = (count or 1) * n**3
            repeats = 3 if args.quick else (5 if work > 5e8 else 11)
            r = run_case(name, count, n, structure, repeats, rng, args.settle)
            results.append(r)
            m = r["median_s"]
            print(
                f"| {name} | {structure} | {fmt(m['numpy'])} | {fmt(m['general'])} | "
                f"{fmt(m['structured'])} | {r['speedup_vs_general']:.2f} | "
                f"{r['speedup_vs_numpy']:.2f} |",
                flush=True,
            )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "numpy": np.__version__,
        "matinv": matinv.__version__,
        "threads": matinv.get_num_threads(),
        "cpus": os.cpu_count(),
        "loadavg": os.getloadavg(),
        "scrubbed_env": os.environ.get("MATINV_BENCH_SCRUBBED_ENV", ""),
        "settle_s": args.settle,
    }
    args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
