#!/usr/bin/env python3
"""Benchmark of ``matinv.dask`` on a local ``dask.distributed`` cluster (not a test).

    .venv/bin/pip install scipy          # dask.array.linalg.inv needs it (matinv does not)
    .venv/bin/python bench/bench_dask.py [--workers 2] [--repeats 3] [--quick]

Cases, each on the same LocalCluster (one thread per worker process), timed from a
persisted input to a persisted result (data stays on the workers; nothing comes back to
the client):

* stack: ``matinv.dask.inv(x)`` against ``x.map_blocks(np.linalg.inv)``, same chunks;
  also with matinv's ``threads=2`` per task, to justify the default of 1.
* single: ``matinv.dask.inv(x)`` against Dask's own ``dask.array.linalg.inv(x)``, with
  LAPACK's accuracy ratio of both; and, for reference, ``matinv.inv`` and
  ``numpy.linalg.inv`` on the whole matrix in this process (all cores).

Medians of the repeats; ratio = other time / matinv time. Results go to
bench/results/dask.json. Like bench_inv.py, the script re-executes itself without
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which slow numpy's OpenBLAS (the workers inherit the
cleaned environment).
"""

import clean_env  # bench/clean_env.py, before numpy is loaded

if __name__ == "__main__":
    clean_env.reexec_without_openblas_overrides(__file__)

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import dask
import dask.array as da
import distributed
import numpy as np

import matinv
import matinv.dask as mdask

RESULTS = Path(__file__).resolve().parent / "results" / "dask.json"


def lapack_ratio(a, x):
    n = a.shape[0]
    r = np.eye(n) - x @ a
    eps = np.finfo(np.float64).eps
    return float(np.linalg.norm(r, 1) / (n * np.linalg.norm(a, 1) * np.linalg.norm(x, 1) * eps))


def _same(block):
    return block


def time_persist(client, make, x, repeats):
    """Median seconds to compute make(x) into worker memory (x already persisted)."""
    times = []
    for r in range(repeats + 1):  # the first run warms the workers up and is dropped
        # Keys are deterministic: give each run its own input name (a no-copy alias task
        # per chunk) so that no run finds an earlier result, or one being released.
        y = make(x.map_blocks(_same, dtype=x.dtype, token=f"bench-input-{r}-{time.time()}"))
        t = time.perf_counter()
        y = client.persist(y)
        distributed.wait(y)
        times.append(time.perf_counter() - t)
        del y  # released by the scheduler once no client holds it
    return statistics.median(times[1:]), times[1:]


def time_local(func, a, repeats):
    func(a)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        func(a)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args()

    stack = (10**5, 3, 12_500) if args.quick else (10**6, 3, 125_000)
    singles = [(1024, 256)] if args.quick else [(2048, 512), (4096, 1024)]
    rows = []
    # The single matrices go into the graph from this process (up to 128 MiB), on purpose.
    dask.config.set({"distributed.admin.large-graph-warning-threshold": "1GiB"})
    with (
        distributed.LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        count, n, chunk = stack
        x = da.random.default_rng(0).standard_normal((count, n, n), chunks=(chunk, n, n))
        x = client.persist(x)
        distributed.wait(x)
        cases = {
            "matinv.dask.inv": lambda x: mdask.inv(x),
            "matinv.dask.inv threads=2": lambda x: mdask.inv(x, threads=2),
            "map_blocks(np.linalg.inv)": lambda x: x.map_blocks(np.linalg.inv, dtype=x.dtype),
        }
        t = {name: time_persist(client, f, x, args.repeats) for name, f in cases.items()}
        label = f"{count:.0e} x {n}x{n} f64, chunks of {chunk}"
        base = t["matinv.dask.inv"][0]
        for name, (med, samples) in t.items():
            rows.append(
                dict(case=label, method=name, seconds=med, samples=samples, ratio=med / base)
            )
            print(f"{label:40} {name:28} {med * 1e3:9.1f} ms  x{med / base:.2f}", flush=True)
        del x

        for n, b in singles:
            a = np.random.default_rng(n).standard_normal((n, n))
            x = client.persist(da.from_array(a, chunks=b))
            distributed.wait(x)
            label = f"one {n}x{n} f64, {b}x{b} blocks"
            cases = {
                "matinv.dask.inv": mdask.inv,
                "dask.array.linalg.inv": da.linalg.inv,
            }
            base = None
            for name, f in cases.items():
                med, samples = time_persist(client, f, x, args.repeats)
                ratio = lapack_ratio(a, f(x).compute())
                base = base or med
                rows.append(
                    dict(
                        case=label,
                        method=name,
                        seconds=med,
                        samples=samples,
                        ratio=med / base,
                        lapack_ratio=ratio,
                    )
                )
                print(
                    f"{label:40} {name:28} {med:9.2f} s   x{med / base:.2f}  "
                    f"lapack ratio {ratio:.3g}",
                    flush=True,
                )
            for name, f in {
                "matinv.inv (local)": matinv.inv,
                "numpy.linalg.inv (local)": np.linalg.inv,
            }.items():
                med = time_local(f, a, args.repeats)
                rows.append(dict(case=label, method=name, seconds=med, ratio=med / base))
                print(f"{label:40} {name:28} {med:9.2f} s   x{med / base:.2f}", flush=True)
            del x

        # Accuracy where pivoting across blocks matters: the leading block is zero.
        a = np.random.default_rng(3).standard_normal((1024, 1024))
        a[:256, :256] = 0.0
        x = da.from_array(a, chunks=256)
        for name, f in {
            "matinv.dask.inv": mdask.inv,
            "dask.array.linalg.inv": da.linalg.inv,
        }.items():
            try:
                out = f(x).compute()
                ratio = lapack_ratio(a, out) if np.isfinite(out).all() else float("nan")
                result = f"lapack ratio {ratio:.3g}"
            except np.linalg.LinAlgError as e:  # Dask's LU does not pivot across blocks
                ratio, result = None, f"fails: LinAlgError({e})"
            rows.append(
                dict(
                    case="zero leading block 1024, 256 blocks",
                    method=name,
                    lapack_ratio=ratio,
                    result=result,
                )
            )
            print(f"zero leading block 1024x1024, 256 blocks  {name:28} {result}")

    meta = dict(
        time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        argv=sys.argv,
        nproc=os.cpu_count(),
        workers=args.workers,
        numpy=np.__version__,
        dask=dask.__version__,
        distributed=distributed.__version__,
        matinv=matinv.__version__,
        matinv_threads_local=matinv.get_num_threads(),
        loadavg=os.getloadavg(),
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(dict(meta=meta, results=rows), indent=1))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
