#!/usr/bin/env python3
"""numpy patched by matinv (``matinv.patch_numpy()``) against numpy unpatched, in one
process: a real workload of a library that calls numpy's inverse, unchanged, and
``np.linalg.inv`` itself on a few stack shapes.

Run from the repository root (needs filterpy for the workloads: ``pip install filterpy``):

    .venv/bin/python bench/bench_patch.py            # a few minutes on 2 cores
    .venv/bin/python bench/bench_patch.py --quick    # smoke run

Workloads (filterpy's ``KalmanFilter``, whose ``update`` inverts the innovation covariance
``S`` with ``self.inv``, bound to ``np.linalg.inv`` when the filter is made):
- ``kf-2d``: constant-velocity tracking in 2-D (4 states, 2 measurements), 10^5 steps
  of ``predict(); update(z)``;
- ``kf-20d``: the same in 20-D (40 states, 20 measurements), 10^4 steps;
- ``rts-2d``: filterpy's Rauch-Tung-Striebel smoother over the 10^5 ``kf-2d`` estimates
  (a 4x4 inverse per step).

Each repeat runs the workload unpatched and patched, alternating which goes first; the
medians of the repeats and their ratio (unpatched / patched: above 1, matinv is faster)
are reported. Patched and unpatched results are checked to agree (allclose) so that a
fast wrong answer cannot pass. Results are printed and written as JSON.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np

import limits  # bench/limits.py
import matinv


def loadavg():
    try:
        return os.getloadavg()
    except OSError:
        return None


# --- workloads ------------------------------------------------------------------------------


def tracking_problem(dims, steps, seed=0):
    """A constant-velocity target in `dims` dimensions and noisy position measurements."""
    rng = np.random.default_rng(seed)
    dt = 0.1
    velocity = rng.standard_normal(dims)
    truth = np.arange(steps)[:, None] * dt * velocity
    zs = truth + rng.standard_normal((steps, dims)) * 0.5
    return dt, [z for z in zs]


def make_kf(dims, dt):
    from filterpy.common import Q_discrete_white_noise
    from filterpy.kalman import KalmanFilter

    kf = KalmanFilter(dim_x=2 * dims, dim_z=dims)
    block = np.array([[1.0, dt], [0.0, 1.0]])
    kf.F = np.kron(np.eye(dims), block)
    kf.H = np.zeros((dims, 2 * dims))
    kf.H[np.arange(dims), 2 * np.arange(dims)] = 1.0
    kf.P *= 10.0
    kf.R = np.eye(dims) * 0.25
    kf.Q = Q_discrete_white_noise(dim=2, dt=dt, var=0.01, block_size=dims)
    return kf


def run_kf(dims, steps):
    dt, zs = tracking_problem(dims, steps)

    def work():
        kf = make_kf(dims, dt)
        xs = np.empty((len(zs), 2 * dims))
        for k, z in enumerate(zs):
            kf.predict()
            kf.update(z)
            xs[k] = kf.x[:, 0] if kf.x.ndim == 2 else kf.x
        return xs

    return work


def run_rts(dims, steps):
    dt, zs = tracking_problem(dims, steps)
    kf = make_kf(dims, dt)
    means, covs = [], []
    for z in zs:
        kf.predict()
        kf.update(z)
        means.append(kf.x.copy())
        covs.append(kf.P.copy())
    means, covs = np.array(means), np.array(covs)

    def work():
        smoothed, _, _, _ = kf.rts_smoother(means, covs)
        return smoothed

    return work


# --- np.linalg.inv on stacks --------------------------------------------------------------------


def run_inv(shape, dtype=np.float64, seed=1):
    rng = np.random.default_rng(seed)
    n = shape[-1]
    a = (rng.standard_normal(shape) + n * np.eye(n)).astype(dtype)

    def work():
        return np.linalg.inv(a)

    return work


# --- timing -------------------------------------------------------------------------------------


def timed(work, calls):
    t0 = time.perf_counter()
    for _ in range(calls):
        out = work()
    return (time.perf_counter() - t0) / calls, out


def measure(name, work, repeats, calls=1):
    samples = {"numpy": [], "matinv": []}
    results = {}
    for side in ("numpy", "matinv"):  # warm-up, and the results to compare
        with matinv.patched_numpy() if side == "matinv" else _nullcontext():
            results[side] = work()
    a, b = np.asarray(results["numpy"]), np.asarray(results["matinv"])
    ok = a.shape == b.shape and np.allclose(a, b, rtol=1e-8, atol=1e-10)
    for r in range(repeats):
        order = ("numpy", "matinv") if r % 2 == 0 else ("matinv", "numpy")
        for side in order:
            before = matinv._patch.loop_counters()[0]
            with matinv.patched_numpy() if side == "matinv" else _nullcontext():
                t, _ = timed(work, calls)
            ran = matinv._patch.loop_counters()[0] - before
            assert (ran > 0) == (side == "matinv"), (name, side, ran)
            samples[side].append(t)
    med = {k: statistics.median(v) for k, v in samples.items()}
    row = {
        "case": name,
        "numpy_s": med["numpy"],
        "matinv_s": med["matinv"],
        "speedup": med["numpy"] / med["matinv"],
        "repeats": repeats,
        "calls_per_sample": calls,
        "results_agree": bool(ok),
    }
    print(
        f"{name:<22} numpy {fmt(med['numpy'])}  patched {fmt(med['matinv'])}  "
        f"speed-up {row['speedup']:5.2f}x  {'ok' if ok else 'RESULTS DIFFER'}",
        flush=True,
    )
    return row


class _nullcontext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def fmt(seconds):
    if seconds >= 1:
        return f"{seconds:8.3f} s "
    if seconds >= 1e-3:
        return f"{seconds * 1e3:8.3f} ms"
    return f"{seconds * 1e6:8.2f} us"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="10x fewer steps, fewer repeats")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--json", default="bench/results/patch.json")
    args = ap.parse_args()
    scale = 10 if args.quick else 1
    reps = args.repeats or (3 if args.quick else 5)

    meta = {
        "cpu": limits.cpu_model(),
        "cores": os.cpu_count(),
        "numpy": np.__version__,
        "matinv": matinv.__version__,
        "matinv_threads": matinv.get_num_threads(),
        "python": platform.python_version(),
        "loadavg_before": loadavg(),
    }
    try:
        import filterpy

        meta["filterpy"] = filterpy.__version__
    except ImportError:
        filterpy = None
    print(
        f"# {meta['cpu']}, {meta['cores']} cores; numpy {meta['numpy']}, "
        f"matinv {meta['matinv']} ({meta['matinv_threads']} threads), "
        f"filterpy {meta.get('filterpy', 'absent')}; load {meta['loadavg_before']}"
    )

    rows = []
    if filterpy is not None:
        rows.append(measure(f"kf-2d {100_000 // scale} steps", run_kf(2, 100_000 // scale), reps))
        rows.append(measure(f"kf-20d {10_000 // scale} steps", run_kf(20, 10_000 // scale), reps))
        rows.append(measure(f"rts-2d {100_000 // scale} steps", run_rts(2, 100_000 // scale), reps))
    else:
        print("filterpy is not installed: workloads skipped (pip install filterpy)")
    for shape, calls in (
        ((3, 3), 20_000 // scale),
        ((100_000 // scale, 3, 3), 5),
        ((10_000, 8, 8), 5),
        ((1_000, 16, 16), 10),
        ((100, 64, 64), 5),
        ((500, 500), 3),
    ):
        rows.append(measure(f"inv {shape}", run_inv(shape), reps * 2, calls))
    meta["loadavg_after"] = loadavg()
    print(f"# load after: {meta['loadavg_after']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "rows": rows}, f, indent=1)
        print(f"# wrote {args.json}")
    return 0 if all(r["results_agree"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
