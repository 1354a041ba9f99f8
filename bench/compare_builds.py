#!/usr/bin/env python3
"""Two builds of matinv side by side: is a change slower anywhere?

Each build is a Python interpreter whose environment has one matinv installed (a wheel
installed into its own virtualenv, so that the two do not share a source tree):

    python bench/compare_builds.py --before /tmp/venv-before/bin/python \\
        --after /tmp/venv-after/bin/python [--rounds 5] [--cases stack3x3,single512]

The builds run alternately in fresh worker processes, round after round (the order flips
every round), each worker timing every case with the same inputs (seeded) and the same
repeat counts; per case the script prints the median over all rounds of each build's
median, and the ratio after/before (above 1: the new build is slower). Machine load is
printed at the start and the end: on a shared machine read small ratios as noise.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

# name -> (count or None for one matrix, n, dtype, repeats per worker)
CASES: dict[str, tuple[int | None, int, str, int]] = {
    "stack2x2": (1_000_000, 2, "float64", 9),
    "stack3x3": (1_000_000, 3, "float64", 9),
    "stack4x4": (1_000_000, 4, "float64", 9),
    "stack4x4_f32": (1_000_000, 4, "float32", 9),
    "stack6x6": (100_000, 6, "float64", 9),
    "stack8x8": (100_000, 8, "float64", 9),
    "stack12x12": (100_000, 12, "float64", 7),
    "stack16x16": (10_000, 16, "float64", 9),
    "stack32x32": (10_000, 32, "float64", 7),
    "stack64x64": (1_000, 64, "float64", 7),
    "stack80x80": (1_000, 80, "float64", 7),
    "stack128x128": (1_000, 128, "float64", 5),
    "stack16_c128": (20_000, 16, "complex128", 7),
    "spd_stack8": (100_000, 8, "spd", 7),
    "single3": (None, 3, "float64", 9),
    "single64": (None, 64, "float64", 9),
    "single80": (None, 80, "float64", 9),
    "single96": (None, 96, "float64", 9),
    "single448": (None, 448, "float64", 7),
    "single512": (None, 512, "float64", 7),
    "single1024": (None, 1024, "float64", 5),
    "single2048": (None, 2048, "float64", 3),
    "single1024_c128": (None, 1024, "complex128", 3),
    # The other ways in (a suffix names the call): inv_ex, errstate, out=, overwrite_a.
    "stack4x4_ex": (1_000_000, 4, "float64+ex", 9),
    "stack8x8_warn": (100_000, 8, "float64+warn", 9),
    "stack32x32_out": (10_000, 32, "float64+out", 7),
    "single1024_overwrite": (None, 1024, "float64+overwrite", 5),
    "single3_out": (None, 3, "float64+out", 9),
    "single3_ex": (None, 3, "float64+ex", 9),
    # Gaussian matrices without the diagonal shift: partial pivoting interchanges rows at
    # nearly every step (the cases above never do).
    "stack32x32_piv": (10_000, 32, "gaussian", 7),
    "stack64x64_piv": (1_000, 64, "gaussian", 7),
    "single64_piv": (None, 64, "gaussian", 9),
    "stack96x96_piv": (1_000, 96, "gaussian", 5),
    "single96_piv": (None, 96, "gaussian", 9),
    # Extended precision (issue 27).
    "ext_stack4x4": (100_000, 4, "float64+ext", 7),
    "ext_stack8x8": (20_000, 8, "float64+ext", 7),
    "ext_stack16x16": (2_000, 16, "float64+ext", 7),
    "ext_stack32x32": (1_000, 32, "float64+ext", 5),
    "ext_stack64x64": (200, 64, "float64+ext", 5),
    "ext_single64": (None, 64, "float64+ext", 7),
    "ext_single96": (None, 96, "float64+ext", 7),
    "ext_single128": (None, 128, "float64+ext", 7),
    "ext_single256": (None, 256, "float64+ext", 5),
    "ext_single256_piv": (None, 256, "gaussian+ext", 5),
    "ext_single512": (None, 512, "float64+ext", 3),
    "ext_single1024": (None, 1024, "float64+ext", 3),
    "ext_single2048": (None, 2048, "float64+ext", 1),
}
SINGLE3_CALLS = 20_000  # per sample of the single3 cases: the per-call overhead is measured


def _inputs(count: int | None, n: int, kind: str):  # type: ignore[no-untyped-def]
    import numpy as np

    rng = np.random.default_rng(12345)
    shape = (n, n) if count is None else (count, n, n)
    if kind == "gaussian":
        return rng.standard_normal(shape), {}
    if kind == "spd":
        g = rng.standard_normal(shape)
        return g @ np.swapaxes(g, -1, -2) + n * np.eye(n), {"assume_a": "pos"}
    a = rng.standard_normal(shape) + np.eye(n) * n
    if kind == "complex128":
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(kind if kind != "complex128" else np.complex128), {}


def _call(mode: str, a, kw):  # type: ignore[no-untyped-def]
    """The call a case times (`mode`: the suffix of its kind), and what it needs made
    untimed before each sample (a fresh input for overwrite_a, the output for out=)."""
    import numpy as np

    import matinv

    if mode == "ex":
        return lambda x: matinv.inv_ex(x, **kw), lambda: a
    if mode == "warn":

        def warned(x):  # type: ignore[no-untyped-def]
            with matinv.errstate(ill_conditioned="warn"):
                return matinv.inv(x, **kw)

        return warned, lambda: a
    if mode == "out":
        out = np.empty_like(a)
        return lambda x: matinv.inv(x, out=out, **kw), lambda: a
    if mode == "ext":
        return lambda x: matinv.inv(x, precision="extended", **kw), lambda: a
    if mode == "overwrite":
        return lambda x: matinv.inv(x, overwrite_a=True, **kw), lambda: a.copy()
    return lambda x: matinv.inv(x, **kw), lambda: a


def worker(names: list[str]) -> None:
    out = {}
    for name in names:
        count, n, kind, repeats = CASES[name]
        kind, _, mode = kind.partition("+")
        a, kw = _inputs(count, n, kind)
        call, fresh = _call(mode, a, kw)
        call(fresh())  # warm-up: pools, workspaces, page cache
        samples = []
        for _ in range(repeats):
            if name.startswith("single3"):
                t0 = time.perf_counter()
                for _ in range(SINGLE3_CALLS):
                    call(a)
                samples.append((time.perf_counter() - t0) / SINGLE3_CALLS)
            else:
                x = fresh()
                t0 = time.perf_counter()
                call(x)
                samples.append(time.perf_counter() - t0)
        out[name] = statistics.median(samples)
    print(json.dumps(out))


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--before", help="python of the old build")
    p.add_argument("--after", help="python of the new build")
    p.add_argument("--rounds", type=int, default=5)
    # (The extended-precision cases take a minute a round: by name, or all with "ext".)
    p.add_argument("--cases", default=",".join(c for c in CASES if not c.startswith("ext_")))
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    names = [c for c in args.cases.split(",") if c]
    if names == ["ext"]:
        names = [c for c in CASES if c.startswith("ext_")]
    unknown = [c for c in names if c not in CASES]
    if unknown:
        sys.exit(f"error: unknown case(s) {unknown}; cases: {', '.join(CASES)}")
    if args.worker:
        worker(names)
        return
    if not (args.before and args.after):
        sys.exit("error: --before and --after are required")
    builds = {"before": args.before, "after": args.after}
    got: dict[str, dict[str, list[float]]] = {b: {c: [] for c in names} for b in builds}
    print(f"load at start: {_load()}", flush=True)
    env = {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    }
    for r in range(args.rounds):
        order = list(builds) if r % 2 == 0 else list(builds)[::-1]
        for b in order:
            res = subprocess.run(
                [builds[b], os.path.abspath(__file__), "--worker", "--cases", ",".join(names)],
                capture_output=True,
                text=True,
                env=env,
                cwd="/",
                check=True,
            )
            for c, t in json.loads(res.stdout.strip().splitlines()[-1]).items():
                got[b][c].append(t)
        print(f"round {r + 1}/{args.rounds} done, load {_load()}", flush=True)
    print(f"\n{'case':<18}{'before':>12}{'after':>12}{'after/before':>14}")
    for c in names:
        tb, ta = statistics.median(got["before"][c]), statistics.median(got["after"][c])
        unit, scale = ("us", 1e6) if tb < 1e-2 else ("ms", 1e3)
        print(f"{c:<18}{tb * scale:>10.3f}{unit}{ta * scale:>10.3f}{unit}{ta / tb:>14.3f}")
    print(f"\nload at end: {_load()}")


if __name__ == "__main__":
    main()
