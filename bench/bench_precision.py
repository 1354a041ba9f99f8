#!/usr/bin/env python3
"""Extended precision: accuracy against exact inverses, and its cost, in one process.

    .venv/bin/python bench/bench_precision.py            # about 3 minutes on 2 cores
    .venv/bin/python bench/bench_precision.py --quick    # under a minute (no n >= 1024)

Accuracy: float64 Hilbert matrices (n = 4..14) and integer matrices of determinant +-1
(condition numbers 1e2..1e32, which no rounded product reaches), inverted by
``numpy.linalg.inv``, ``matinv.inv`` and ``matinv.inv(a, precision="extended")``, each
against the exact inverse of the stored matrix (rational arithmetic): normwise relative
error in the 1-norm, correct digits (``-log10`` of it, at most 17), the median error per
entry in ulps and the share of entries within one ulp.

Cost: medians of interleaved repeats of ``matinv.inv`` (working precision) and
``precision="extended"`` on one matrix (n = 256..2048) and on stacks (n = 2, 4, 8, 32),
with the ratio; and at n = 100, a numpy longdouble Gauss-Jordan (vectorised row updates,
the hand-written inverse astronomy code uses) against ``matinv.inv`` of the longdouble
matrix (double-double inside) and of float64 with extended precision.

Results go to ``bench/results/precision.json`` and the plot of correct digits against
condition number to ``docs/_static/precision.png`` (needs matplotlib). As bench_inv.py,
the script re-executes itself without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE.
"""

import os
import sys

_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

if __name__ == "__main__" and any(k in os.environ for k in _OVERRIDES):
    env = {k: v for k, v in os.environ.items() if k not in _OVERRIDES}
    os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env)

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from fractions import Fraction  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import matinv  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the exact reference the precision tests use
from exact_reference import exact_inverse, norm1  # noqa: E402

OUT = ROOT / "bench" / "results" / "precision.json"
PLOT = ROOT / "docs" / "_static" / "precision.png"


def accuracy(x, ref):
    """Normwise relative error, correct digits, median ulps, share within one ulp."""
    n = len(ref)
    if not np.all(np.isfinite(x)):
        return {
            "error": float("inf"),
            "digits": 0.0,
            "median_ulp": float("inf"),
            "within_1ulp": 0.0,
        }
    diff = [[Fraction(*x[i, j].as_integer_ratio()) - ref[i][j] for j in range(n)] for i in range(n)]
    err = float(norm1(diff) / norm1(ref))
    # In ulps of the computed entry (an exact zero is 0 ulps off a zero, else infinitely).
    ulps = [
        0.0
        if diff[i][j] == 0
        else float(abs(diff[i][j]) / Fraction(*np.spacing(abs(x[i, j])).as_integer_ratio()))
        if x[i, j] != 0
        else float("inf")
        for i in range(n)
        for j in range(n)
    ]
    return {
        "error": err,
        "digits": min(17.0, -np.log10(err)) if err > 0 else 17.0,
        "median_ulp": statistics.median(ulps),
        "within_1ulp": sum(u <= 1 for u in ulps) / len(ulps),
    }


def unimodular(n, m, rng):
    low = [
        [1 if i == j else rng.randint(-m, m) if i > j else 0 for j in range(n)] for i in range(n)
    ]
    up = [[1 if i == j else rng.randint(-m, m) if i < j else 0 for j in range(n)] for i in range(n)]
    a = [[sum(low[i][k] * up[k][j] for k in range(n)) for j in range(n)] for i in range(n)]
    perm = list(range(n))
    rng.shuffle(perm)
    return np.array([a[p] for p in perm], dtype=np.float64)


def accuracy_cases():
    cases = []
    for n in range(4, 15):
        cases.append(
            (f"hilbert {n}", np.array([[1 / (i + j + 1) for j in range(n)] for i in range(n)]))
        )
    rng = random.Random(27)
    seen = set()
    for _ in range(2000):
        n = rng.randint(4, 8)
        a = unimodular(n, rng.choice([2, 3, 5, 10, 30, 100, 300, 1000]), rng)
        if np.abs(a).max() >= 2**53:
            continue
        ref = exact_inverse(a)
        cond = float(norm1([[Fraction(v) for v in row] for row in a.tolist()]) * norm1(ref))
        decade = int(np.log10(cond)) // 2 * 2
        if 2 <= decade <= 32 and decade not in seen:
            seen.add(decade)
            cases.append((f"det 1, n={n}", a))
    return cases


def run_accuracy():
    rows = []
    for name, a in accuracy_cases():
        ref = exact_inverse(a)
        cond = float(
            norm1([[Fraction(*v.as_integer_ratio()) for v in row] for row in a]) * norm1(ref)
        )
        row = {"matrix": name, "n": a.shape[0], "cond1": cond}
        for lib, f in (
            ("numpy", np.linalg.inv),
            ("matinv", matinv.inv),
            ("extended", lambda a: matinv.inv(a, precision="extended")),
        ):
            try:
                row[lib] = accuracy(f(a), ref)
            except np.linalg.LinAlgError:
                row[lib] = {
                    "error": float("inf"),
                    "digits": 0.0,
                    "median_ulp": float("inf"),
                    "within_1ulp": 0.0,
                }
        rows.append(row)
        print(
            f"{name:16} cond {cond:8.1e}  digits numpy {row['numpy']['digits']:5.1f}  "
            f"matinv {row['matinv']['digits']:5.1f}  extended {row['extended']['digits']:5.1f}  "
            f"(median {row['extended']['median_ulp']:.2g} ulp, "
            f"{100 * row['extended']['within_1ulp']:.0f}% within 1 ulp)",
            flush=True,
        )
    return rows


def timed(f, repeats):
    f()
    return [_once(f) for _ in range(repeats)]


def _once(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def interleaved(fa, fb, repeats):
    fa(), fb()
    ta, tb = [], []
    for _ in range(repeats):
        ta.append(_once(fa))
        tb.append(_once(fb))
    return statistics.median(ta), statistics.median(tb)


def compare(a, repeats):
    """Medians of matinv.inv(a) and matinv.inv(a, precision="extended"), interleaved."""
    return interleaved(lambda: matinv.inv(a), lambda: matinv.inv(a, precision="extended"), repeats)


def gauss_jordan_longdouble(a):
    """The hand-written longdouble inverse: Gauss-Jordan with partial pivoting, each step's
    row updates one numpy outer product."""
    n = a.shape[0]
    m = np.concatenate([a.astype(np.longdouble), np.eye(n, dtype=np.longdouble)], axis=1)
    for k in range(n):
        p = k + int(np.argmax(np.abs(m[k:, k])))
        m[[k, p]] = m[[p, k]]
        m[k] /= m[k, k]
        f = m[:, k].copy()
        f[k] = 0
        m -= np.outer(f, m[k])
    return m[:, n:]


def run_cost(quick):
    rng = np.random.default_rng(0)
    rows = []
    singles = [256, 512] if quick else [256, 512, 1024, 2048]
    for n in singles:
        a = rng.standard_normal((n, n)) + n**0.5 * np.eye(n)
        reps = 3 if n >= 1024 else 5
        w, e = compare(a, reps)
        rows.append({"case": f"one {n}x{n}", "working_s": w, "extended_s": e, "ratio": e / w})
        print(
            f"one {n}x{n}: working {w * 1e3:.2f} ms, extended {e * 1e3:.1f} ms, {e / w:.1f}x",
            flush=True,
        )
    stacks = [(2, 100_000), (4, 100_000), (8, 20_000), (32, 1000)]
    for n, count in stacks:
        if quick:
            count //= 10
        a = rng.standard_normal((count, n, n)) + n**0.5 * np.eye(n)
        w, e = compare(a, 7)
        rows.append({"case": f"{count} x {n}x{n}", "working_s": w, "extended_s": e, "ratio": e / w})
        print(
            f"{count} x {n}x{n}: working {w * 1e3:.2f} ms, extended {e * 1e3:.1f} ms, {e / w:.1f}x",
            flush=True,
        )
    n = 100
    a = rng.standard_normal((n, n)) + 10 * np.eye(n)
    ld = a.astype(np.longdouble) + np.longdouble(1) / 3
    gj = statistics.median(timed(lambda: gauss_jordan_longdouble(ld), 5))
    mld = statistics.median(timed(lambda: matinv.inv(ld), 9))
    mext = statistics.median(timed(lambda: matinv.inv(a, precision="extended"), 9))
    x = matinv.inv(ld)
    agree = float(np.abs(x - gauss_jordan_longdouble(ld)).max() / np.abs(x).max())
    longdouble = {
        "n": n,
        "numpy_gauss_jordan_longdouble_s": gj,
        "matinv_longdouble_s": mld,
        "matinv_extended_float64_s": mext,
        "speedup_longdouble": gj / mld,
        "speedup_extended": gj / mext,
        "max_relative_difference": agree,
    }
    print(
        f"n=100: numpy longdouble Gauss-Jordan {gj * 1e3:.1f} ms, matinv longdouble "
        f"{mld * 1e3:.2f} ms ({gj / mld:.0f}x), matinv extended float64 {mext * 1e3:.2f} ms "
        f"({gj / mext:.0f}x)",
        flush=True,
    )
    return rows, longdouble


def plot(rows, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot")
        return
    fig, ax = plt.subplots(figsize=(7, 4.2))
    cond = [r["cond1"] for r in rows]
    for lib, marker, label in (
        ("numpy", "s", "numpy.linalg.inv"),
        ("matinv", "o", "matinv.inv"),
        ("extended", "^", 'matinv.inv(precision="extended")'),
    ):
        ax.scatter(cond, [r[lib]["digits"] for r in rows], marker=marker, label=label, alpha=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("condition number (1-norm) of the stored float64 matrix")
    ax.set_ylabel("correct digits (normwise)")
    ax.set_ylim(-0.5, 17.5)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower left")
    ax.set_title("Inverse accuracy against the exact inverse (Hilbert, det 1 integer)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


def markdown(results):
    """The tables of docs/precision.md, from a results file's contents."""
    lines = [
        "| matrix | cond | numpy | matinv | extended | extended within 1 ulp |",
        "|---|---|---|---|---|---|",
    ]
    for r in results["accuracy"]:
        lines.append(
            f"| {r['matrix']} | {r['cond1']:.1e} | {r['numpy']['digits']:.1f} | "
            f"{r['matinv']['digits']:.1f} | {r['extended']['digits']:.1f} | "
            f"{100 * r['extended']['within_1ulp']:.0f}% |"
        )
    lines += ["", "| case | working (ms) | extended (ms) | ratio |", "|---|---|---|---|"]
    for r in results["cost"]:
        lines.append(
            f"| {r['case']} | {1e3 * r['working_s']:.2f} | {1e3 * r['extended_s']:.1f} | "
            f"{r['ratio']:.1f} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path, default=OUT)
    parser.add_argument("--plot", default=str(PLOT))
    parser.add_argument(
        "--markdown", action="store_true", help="print the tables of a results file and exit"
    )
    args = parser.parse_args()
    if args.markdown:
        print(markdown(json.loads(args.json.read_text())))
        return
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in open("/proc/cpuinfo")
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    print(f"CPU: {cpu}, {os.cpu_count()} cores; load {os.getloadavg()}; numpy {np.__version__}")
    acc = run_accuracy()
    cost, longdouble = run_cost(args.quick)
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_after": os.getloadavg(),
        "numpy": np.__version__,
        "quick": args.quick,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {"meta": meta, "accuracy": acc, "cost": cost, "longdouble": longdouble}, indent=1
        )
    )
    print(f"results: {args.json}")
    if args.plot:
        plot(acc, Path(args.plot))


if __name__ == "__main__":
    main()
