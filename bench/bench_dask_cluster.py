#!/usr/bin/env python3
"""One large matrix on a Dask cluster started as users start one (a benchmark, not a test).

    .venv/bin/python bench/bench_dask_cluster.py [--n 12000] [--chunk 2000] [--workers 2]
        [--nthreads 1] [--memory-limit 800MB] [--label NAME] [--against-dask]

Starts ``dask scheduler`` and ``--workers`` processes ``dask worker --nthreads N
--memory-limit ...`` on loopback (the commands a user types), makes the matrix on the
workers (standard normal, persisted), times ``matinv.dask.inv(x).persist()`` and checks
the result on eight sampled columns with LAPACK's criterion. It reports the time and the
rate (2 n^3 flops) against numpy's DGEMM rate measured in this process in the same run
(all cores: the machine's limit), whether a worker was restarted (their process ids
before and after), each worker's peak resident memory (VmHWM) and what it spilled to
disk, the task graph's size and the bytes moved between workers (the workers keep every
transfer in their log: ``DASK_ADMIN__LOW_LEVEL_LOG_LENGTH`` is raised for them).
With ``--memory-limit`` below the matrix's size the run shows whether spilling works.
``--against-dask`` then times ``dask.array.linalg.inv`` (which needs scipy) on the same
input and cluster, with its sampled LAPACK ratio.
Appends one record to bench/results/dask-cluster.json. Like bench_inv.py, the script
re-executes itself without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (the workers inherit the
cleaned environment).
"""

import clean_env  # bench/clean_env.py, before numpy is loaded

if __name__ == "__main__":
    clean_env.reexec_without_openblas_overrides(__file__)

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dask
import dask.array as da
import distributed
import numpy as np

import limits
import matinv
import matinv.dask as mdask

RESULTS = Path(__file__).resolve().parent / "results" / "dask-cluster.json"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss():
    """The worker's peak resident memory in bytes (VmHWM, Linux). Self-contained, unlike
    bench_inv.py's `_status_kib`: it is pickled by value into `dask worker` processes,
    which cannot import modules of bench/."""
    with open("/proc/self/status") as status:
        kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    return int(kib) * 1024


def worker_report(dask_worker):
    """What one worker did: spilled to disk, received from others, holds unmanaged."""
    spilled = dask_worker.data.cumulative_metrics
    return dict(
        pid=os.getpid(),
        peak_rss=peak_rss(),
        memory_limit=dask_worker.memory_manager.memory_limit,
        spilled_bytes=spilled.get(("disk-write", "bytes"), 0),
        spilled_count=spilled.get(("disk-write", "count"), 0),
        received_bytes=sum(entry["total"] for entry in dask_worker.transfer_incoming_log),
        received_transfers=len(dask_worker.transfer_incoming_log),
    )


def task_profile(records):
    """Where the workers' time went: seconds computing per operation (the task name
    without its token), and seconds spent in transfers, spilling to and reading from disk."""
    compute, other = {}, {}
    for record in records:
        key = record["key"]
        name = (key[0] if isinstance(key, tuple) else key).rsplit("-", 1)[0]
        for span in record["startstops"]:
            seconds = span["stop"] - span["start"]
            if span["action"] == "compute":
                compute[name] = compute.get(name, 0.0) + seconds
            else:
                other[span["action"]] = other.get(span["action"], 0.0) + seconds
    ranked = dict(sorted(compute.items(), key=lambda item: -item[1]))
    return dict(compute_s=ranked, other_s=other)


def sampled_lapack_ratio(x, y, n):
    """LAPACK's ratio ||A X - I||_1 / (n ||A||_1 ||X||_1 eps) on eight columns of X."""
    cols = np.arange(0, n, n // 8)[:8]
    r, norm_a, norm_x = dask.compute(
        x @ y[:, cols] - np.eye(n)[:, cols],
        abs(x).sum(axis=0).max(),
        abs(y[:, cols]).sum(axis=0).max(),
    )
    eps = np.finfo(np.float64).eps
    return float(np.abs(r).sum(axis=0).max() / (n * norm_a * norm_x * eps))


def dask_linalg_inv(client, x, n):
    """Seconds and sampled LAPACK ratio of Dask's own `dask.array.linalg.inv` (which
    needs scipy) on the same persisted input and cluster; its graph built untimed, as
    matinv's."""
    y = da.linalg.inv(x)
    t = time.perf_counter()
    y = client.persist(y)
    distributed.wait(y)
    seconds = time.perf_counter() - t
    return seconds, sampled_lapack_ratio(x, y, n)


def start_cluster(workers, nthreads, memory_limit, directory):
    """`dask scheduler` and `dask worker` processes, as a user starts them."""
    dask_cli = shutil.which("dask", path=os.path.dirname(sys.executable)) or "dask"
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, DASK_ADMIN__LOW_LEVEL_LOG_LENGTH="10000000")
    log = open(Path(directory) / "cluster.log", "w")  # (closed with the cluster)
    procs = [
        subprocess.Popen(
            [dask_cli, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )
    ]  # fmt: skip
    time.sleep(3)
    for i in range(workers):
        procs.append(
            subprocess.Popen(
                [
                    dask_cli, "worker", address, "--nthreads", str(nthreads), "--memory-limit",
                    memory_limit, "--local-directory", str(Path(directory) / f"worker-{i}"),
                    "--no-dashboard",
                ],
                stdout=log, stderr=subprocess.STDOUT, env=env,
            )
        )  # fmt: skip
    return address, procs, log


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=12_000)
    parser.add_argument("--chunk", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--nthreads", type=int, default=1, help="threads per worker")
    parser.add_argument(
        "--memory-limit", default="800MB", help="per worker, as dask worker takes it"
    )
    parser.add_argument("--label", default="", help="a name for this run in the results file")
    parser.add_argument(
        "--against-dask",
        action="store_true",
        help="then time dask.array.linalg.inv on the same input and cluster (needs scipy)",
    )
    args = parser.parse_args()
    n, b = args.n, args.chunk
    if args.against_dask:
        import scipy  # noqa: F401  (dask.array.linalg.inv needs it: fail before the run)

    dgemm = limits.gemm_gflops("float64", 4096)
    print(f"numpy DGEMM (all cores, this process): {dgemm:.1f} GFLOP/s", flush=True)
    with tempfile.TemporaryDirectory(prefix="matinv-dask-") as directory:
        address, procs, log = start_cluster(
            args.workers, args.nthreads, args.memory_limit, directory
        )
        try:
            with distributed.Client(address, timeout=60) as client:
                client.wait_for_workers(args.workers, timeout=60)
                before = client.run(os.getpid)
                x = da.random.default_rng(0).standard_normal((n, n), chunks=b)
                x = client.persist(x)
                distributed.wait(x)
                y = mdask.inv(x)
                tasks = len(dict(y.__dask_graph__())) - len(dict(x.__dask_graph__()))
                load = os.getloadavg()
                with distributed.get_task_stream(client) as stream:
                    t = time.perf_counter()
                    y = client.persist(y)
                    distributed.wait(y)
                    seconds = time.perf_counter() - t
                failed = [f.key for f in client.futures_of(y) if f.status != "finished"]
                restarted = client.run(os.getpid) != before
                reports = client.run(worker_report)
                ratio = None if failed else sampled_lapack_ratio(x, y, n)
                # (the cluster's log so far: what the peer's run logs is not matinv's)
                log.flush()
                log_text = (Path(directory) / "cluster.log").read_text()
                peer = {}
                if args.against_dask:
                    del y  # (its blocks leave the workers first)
                    peer_seconds, peer_ratio = dask_linalg_inv(client, x, n)
                    peer = dict(
                        dask_linalg_inv_seconds=peer_seconds,
                        dask_linalg_inv_lapack_ratio_sampled=peer_ratio,
                        dask_linalg_inv_over_matinv=peer_seconds / seconds,
                    )
                    print(f"dask.array.linalg.inv: {peer_seconds:.1f} s", flush=True)
        finally:
            for p in reversed(procs):
                p.terminate()
            for p in procs:
                p.wait(timeout=60)
            log.close()

    gflops = 2 * n**3 / seconds / 1e9
    profile = task_profile(stream.data)
    record = dict(
        label=args.label,
        time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        cpu=limits.cpu_model(),
        nproc=os.cpu_count(),
        loadavg_before=load,
        n=n, chunk=b, workers=args.workers, nthreads=args.nthreads,
        memory_limit=args.memory_limit,
        matrix_bytes=8 * n * n,
        seconds=seconds, gflops=gflops, dgemm_gflops=dgemm, fraction_of_dgemm=gflops / dgemm,
        failed_tasks=len(failed), restarted=restarted, lapack_ratio_sampled=ratio,
        tasks=tasks,
        bytes_moved=sum(w["received_bytes"] for w in reports.values()),
        transfers=sum(w["received_transfers"] for w in reports.values()),
        workers_report=list(reports.values()),
        busy_fraction=sum(profile["compute_s"].values())
        / (args.workers * args.nthreads * seconds),
        task_profile=profile,
        **peer,
        restarts_logged=log_text.count("Restarting worker"),
        memory_warnings_logged=log_text.count("memory budget"),
        versions=dict(numpy=np.__version__, dask=dask.__version__,
                      distributed=distributed.__version__, matinv=matinv.__version__),
    )  # fmt: skip
    print(json.dumps(record, indent=1))
    runs = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps([*runs, record], indent=1) + "\n")
    print(f"appended to {RESULTS}")


if __name__ == "__main__":
    main()
