#!/usr/bin/env python3
"""Issue 27's question, measured: does a cheaper mode than ``precision="extended"`` earn
its place? The candidate is one Newton step, ``X1 = X0 + X0 (I - A X0)``, from matinv's
float64 inverse ``X0``, with the residual ``I - A X0`` computed without rounding error by
DGEMMs of split operands (Ozaki's scheme), so that it costs a few matrix products at the
machine's DGEMM rate instead of the double-double Gauss-Jordan's n^3 double-double updates.

    .venv/bin/python bench/bench_newton.py            # about 2 minutes on 2 cores

A prototype in numpy (its DGEMM is OpenBLAS's), not a matinv feature: it prints, for
random matrices of chosen condition numbers (``U diag(s) V^T``, stored in float64), the
normwise relative error and the share of entries within one ulp of float64 ``matinv.inv``,
and of the Newton step (the reference: matinv's longdouble inverse, double-double inside,
rounded to x87's 64-bit significand), and at n = 256..2048 the
medians of the three times, interleaved. Results go to ``bench/results/newton-step.txt``
when ``--save`` is given. As the other benchmarks, it re-executes itself without
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE.
"""

import clean_env  # bench/clean_env.py, before numpy is loaded

if __name__ == "__main__":
    clean_env.reexec_without_openblas_overrides(__file__)

import argparse
import os
import platform
import statistics
import time

import numpy as np

import matinv
from limits import cpu_model


def split(x, axis, beta, slices):
    """`slices` arrays summing to `x` (the last holds the rest): each line along `axis`
    cut into pieces of `beta` bits below a power of two at least its largest entry, so
    that products of pieces of two such splits sum exactly in double."""
    top = np.max(np.abs(x), axis=axis, keepdims=True)
    e = np.ceil(np.log2(np.where(top > 0, top, 1.0)))
    parts, rest = [], x.copy()
    for _ in range(slices - 1):
        sigma = np.exp2(e + 53 - beta)  # rounds rest to multiples of 2^(e + 1 - beta)
        hi = (rest + sigma) - sigma
        parts.append(hi)
        rest -= hi
        e -= beta
    parts.append(rest)
    return parts


def two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def residual(a, x, level):
    """`I - A X` rounded once to double, from the products of A's and X's pieces whose
    indices sum to at most `level` (pieces of 2^-(i+j)beta of |A||X|): exact up to the
    pieces left out."""
    n = a.shape[0]
    beta = int((55 - np.ceil(np.log2(n))) // 2)  # n 2^(2 beta - 2) <= 2^53: exact sums
    slices = level - 1
    pa, px = split(a, 1, beta, slices), split(x, 0, beta, slices)
    hi = np.eye(n)
    lo = np.zeros((n, n))
    for i in range(slices):
        for j in range(slices):
            if i + j + 2 <= level:
                p = pa[i] @ px[j]  # exact unless one of the pieces is a remainder
                hi, err = two_sum(hi, -p)
                lo += err
    return hi + lo


def newton(a, level):
    x0 = matinv.inv(a)
    return x0 + x0 @ residual(a, x0, level)


def matrix(n, cond, rng):
    u, _ = np.linalg.qr(rng.standard_normal((n, n)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    s = np.geomspace(1.0, 1.0 / cond, n)
    return (u * s) @ v.T


def reference(a):
    """The inverse of the stored `a` to x87's 64-bit significand: matinv inverts
    longdouble in double-double (tests/test_precision.py holds it to the exact inverse)."""
    return matinv.inv(a.astype(np.longdouble))


def accuracy(x, ref):
    """Normwise relative error (1-norm) and the share of entries within one float64 ulp
    of `ref`, both judged in longdouble."""
    d = np.abs(x.astype(np.longdouble) - ref)
    err = float(d.sum(axis=0).max() / np.abs(ref).sum(axis=0).max())
    ulps = d / np.spacing(np.abs(ref.astype(np.float64)))
    return err, float(np.mean(ulps <= 1.0))


def run_accuracy(out, rng):
    out("accuracy: normwise relative error (1-norm) / share of entries within 1 ulp,")
    out("against the inverse of the stored matrix to 64 bits (n = 200)")
    out(
        f"{'cond':>8} | {'matinv.inv':>18} | {'Newton, level 4':>18} | "
        f"{'Newton, level 5':>18} | {'Newton, level 6':>18} | {'extended':>18}"
    )
    n = 200
    for cond in (1e2, 1e4, 1e6, 1e8, 1e10, 1e12):
        a = matrix(n, cond, rng)
        ref = reference(a)
        cells = [accuracy(matinv.inv(a), ref)]
        cells += [accuracy(newton(a, level), ref) for level in (4, 5, 6)]
        cells.append(accuracy(matinv.inv(a, precision="extended"), ref))
        out(f"{cond:8.0e} | " + " | ".join(f"{e:8.1e} / {100 * w:5.1f}%" for e, w in cells))


def once(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def timed_calls(a, b, level):
    return {
        "inv": lambda: matinv.inv(a),
        "gemm": lambda: a @ b,
        "newton": lambda: newton(a, level),
        "extended": lambda: matinv.inv(a, precision="extended"),
    }


def run_cost(out, rng, sizes, level):
    out("")
    out(f"cost (medians of interleaved repeats; Newton at level {level}):")
    out(
        f"{'n':>6} | {'matinv.inv':>10} | {'DGEMM':>9} | {'Newton':>9} | {'extended':>9} | "
        f"{'Newton/inv':>10} | {'extended/inv':>12}"
    )
    for n in sizes:
        a = matrix(n, 1e6, rng)
        b = rng.standard_normal((n, n))
        fs = timed_calls(a, b, level)
        times = {k: [] for k in fs}
        for f in fs.values():
            f()
        for _ in range(3 if n >= 1024 else 5):
            for k, f in fs.items():
                times[k].append(once(f))
        m = {k: statistics.median(v) for k, v in times.items()}
        out(
            f"{n:6} | {m['inv'] * 1e3:8.1f}ms | {m['gemm'] * 1e3:7.1f}ms | "
            f"{m['newton'] * 1e3:7.1f}ms | {m['extended'] * 1e3:7.1f}ms | "
            f"{m['newton'] / m['inv']:9.1f}x | {m['extended'] / m['inv']:11.1f}x"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--save", action="store_true", help="write bench/results/newton-step.txt")
    parser.add_argument("--sizes", default="256,512,1024,2048")
    parser.add_argument("--level", type=int, default=5)
    args = parser.parse_args()
    lines = []

    def out(line):
        print(line, flush=True)
        lines.append(line)

    out(
        f"CPU: {cpu_model()}, {os.cpu_count()} cores; numpy {np.__version__}; "
        f"Python {platform.python_version()}; load {os.getloadavg()[0]:.2f}"
    )
    rng = np.random.default_rng(27)
    run_accuracy(out, rng)
    run_cost(out, rng, [int(s) for s in args.sizes.split(",")], args.level)
    if args.save:
        path = os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "results", "newton-step.txt"
        )
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
