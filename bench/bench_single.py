#!/usr/bin/env python3
"""One matrix, n = 64..4096: matinv against numpy and the peers a numpy user could call
instead, back to back and after an idle pause, each against the machine's own limit.

Run from the repository root, with the peers' virtualenv (``bash bench/peers.sh`` makes
``.venv-peers``: numpy, scipy, the ``mkl`` wheel, jax on CPU, threadpoolctl, and this
checkout's built ``matinv`` on its path):

    .venv-peers/bin/python bench/bench_single.py            # every size, 6.5 minutes here (2 cores)
    .venv-peers/bin/python bench/bench_single.py --quick    # 64..1024, 72 s here
    .venv-peers/bin/python bench/bench_single.py --markdown # the docs' table, from the JSON

Libraries: matinv.inv, numpy.linalg.inv, scipy.linalg.inv, MKL (the ``mkl`` wheel's
LAPACKE getrf + getri through ctypes, on a copy of the input), jax.numpy.linalg.inv jitted
on the CPU (input placed on the device beforehand, result waited for). A peer that cannot
be imported is reported as missing, not an error.

Two times per library and size, medians over interleaved repeats:

* **hot**: calls back to back (one untimed call, then a timed loop);
* **paused**: one call after ``--pause`` seconds of idleness (default 0.3), as a program
  calls between other work: threads that went to sleep must be woken.

Every sample, of either kind, starts after the pause, so that no library is timed against
another's spinning threads (OpenBLAS spins ~0.1 s after a call, Intel's OpenMP 0.2 s).
"x limit" is a time over the machine's limit for the case: max(a two-thread copy of the
input into fresh memory, 2 n^3 flops (8 n^3 complex) at numpy's DGEMM (ZGEMM) rate), both
measured in the same run (bench/limits.py). Each result is checked against numpy's.
"""

import os
import sys

# OpenBLAS reads these when numpy loads, and they slow current numpy: run without them.
_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
if __name__ == "__main__" and any(k in os.environ for k in _OVERRIDES):
    env = {k: v for k, v in os.environ.items() if k not in _OVERRIDES}
    os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env)

import argparse  # noqa: E402
import ctypes  # noqa: E402
import datetime  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import limits  # noqa: E402  (bench/limits.py: the machine's own limits, measured in this run)

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_JSON = BENCH_DIR / "results" / "single-peers.json"
DEFAULT_PLOT = BENCH_DIR / "results" / "single-peers.png"

# (n, dtype, the goal for matinv's x limit, hot; None: none)
CASES = [
    (64, "float64", 4.0),
    (128, "float64", 2.5),
    (256, "float64", 1.8),
    (512, "float64", 1.3),
    (1024, "float64", 1.15),
    (2048, "float64", 1.12),
    (4096, "float64", None),
    (1024, "complex128", 1.15),
]
QUICK_MAX_N = 1024
LIBS = ["matinv", "numpy", "scipy", "mkl", "jax"]
PAUSED_GOAL = 1.10  # a call after the pause, over a back-to-back one (the goal)
WARM_S = 0.1  # untimed back-to-back calls before a hot sample, seconds
# Not a library: a one-thread copy of the input into fresh memory (np.copy), timed the same
# two ways, shows what the pause costs the machine itself (caches, TLB, waking a core).
COPY = "copy"


# --------------------------------------------------------------------------------------
# The libraries: name -> (prepare(a) -> the argument a call takes, call(arg) -> inverse)
# --------------------------------------------------------------------------------------


def _matinv():
    import matinv

    return lambda a: a, matinv.inv


def _numpy():
    return lambda a: a, np.linalg.inv


def _scipy():
    import scipy.linalg

    return lambda a: a, scipy.linalg.inv


def _mkl_library():
    """The mkl wheel's single dynamic library (it installs into the environment's lib/)."""
    for path in sorted((Path(sys.prefix) / "lib").glob("libmkl_rt.so*")):
        return ctypes.CDLL(str(path))
    raise ImportError(f"no libmkl_rt in {Path(sys.prefix) / 'lib'} (pip install mkl)")


def _mkl():
    lib = _mkl_library()
    row_major = 101
    ptr, i32 = ctypes.c_void_p, ctypes.c_int
    for kind in "dz":
        getrf, getri = getattr(lib, f"LAPACKE_{kind}getrf"), getattr(lib, f"LAPACKE_{kind}getri")
        getrf.argtypes = [i32, i32, i32, ptr, i32, ptr]
        getri.argtypes = [i32, i32, ptr, i32, ptr]
        getrf.restype = getri.restype = i32

    def inv(a):
        # A copy in C order, factored and inverted in place, as numpy's inv gives a new array.
        x = np.array(a, order="C", copy=True)
        n = x.shape[0]
        ipiv = np.empty(n, dtype=np.int32)
        kind = "z" if x.dtype.kind == "c" else "d"
        getrf, getri = getattr(lib, f"LAPACKE_{kind}getrf"), getattr(lib, f"LAPACKE_{kind}getri")
        info = getrf(row_major, n, n, x.ctypes.data, n, ipiv.ctypes.data)
        if info == 0:
            info = getri(row_major, n, x.ctypes.data, n, ipiv.ctypes.data)
        if info != 0:
            raise np.linalg.LinAlgError(f"MKL getrf/getri info {info}")
        return x

    return lambda a: a, inv


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    import jax.numpy as jnp

    f = jax.jit(jnp.linalg.inv)
    return (lambda a: jax.device_put(a)), (lambda a: f(a).block_until_ready())


LOADERS = {"matinv": _matinv, "numpy": _numpy, "scipy": _scipy, "mkl": _mkl, "jax": _jax}


def load_libs(names):
    """{name: (prepare, call)} of the libraries that import, and {name: why} of the rest."""
    found, missing = {}, {}
    for name in names:
        try:
            found[name] = LOADERS[name]()
        except Exception as e:  # any failure to load is "missing", with why
            missing[name] = f"{type(e).__name__}: {e}"
    return found, missing


def versions(found):
    out = {"numpy": np.__version__}
    for name in found:
        if name == "matinv":
            import matinv  # this checkout's, on the path: its commit says which build

            out["matinv"] = f"{matinv.__version__} ({git_revision()})"
        elif name != "numpy":
            out[name] = _dist_version(name)
    return out


def git_revision():
    import subprocess

    try:
        rev = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=BENCH_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return rev.stdout.strip()


def _dist_version(name):
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def thread_pools():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    keys = ("user_api", "internal_api", "num_threads", "architecture", "filepath")
    return [{k: p.get(k) for k in keys} for p in threadpool_info()]


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------


def make_input(n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n))
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal((n, n))
    return (a + n * np.eye(n)).astype(dtype)


def check(name, x, ref, a):
    """Raises if `x` is not the inverse numpy gave, to the accuracy a well-conditioned
    inverse has (the inputs are diagonally dominant: cond ~ 1)."""
    x = np.asarray(x)
    if x.shape != ref.shape or x.dtype != ref.dtype or not np.all(np.isfinite(x)):
        raise AssertionError(f"{name}: shape/dtype/finite check failed")
    err = np.max(np.abs(x - ref)) / np.max(np.abs(ref))
    resid = np.max(np.abs(a @ x - np.eye(a.shape[0])))
    if err > 1e-10 or resid > 1e-10:
        raise AssertionError(f"{name}: max rel. difference {err:.2e}, residual {resid:.2e}")
    return {"max_rel_diff_to_numpy": float(err), "residual_max": float(resid)}


def hot_sample(call, arg, min_time):
    """Seconds per call over back-to-back calls lasting at least `min_time`, after untimed
    calls for WARM_S (at least one): on the 2-core VMs measured, a threaded call needed up
    to ten calls (60 ms) after a pause to reach its back-to-back speed."""
    t0 = time.perf_counter()
    while True:
        call(arg)
        if time.perf_counter() - t0 >= WARM_S:
            break
    number, t = 0, 0.0
    t0 = time.perf_counter()
    while t < min_time or number < 2:
        call(arg)
        number += 1
        t = time.perf_counter() - t0
    return t / number


def paused_sample(call, arg):
    t0 = time.perf_counter()
    call(arg)
    return time.perf_counter() - t0


def time_case(libs, args_by_lib, repeats, pause, min_time):
    """{lib: {"hot_s": [...], "paused_s": [...]}}: each repeat visits the libraries in a
    rotated order, every sample after `pause` seconds of sleep."""
    names = list(libs)
    out = {name: {"hot_s": [], "paused_s": []} for name in names}
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for r in range(repeats):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                call, arg = libs[name][1], args_by_lib[name]
                time.sleep(pause)
                out[name]["paused_s"].append(paused_sample(call, arg))
                time.sleep(pause)
                out[name]["hot_s"].append(hot_sample(call, arg, min_time))
    finally:
        if gc_was:
            gc.enable()
    return out


def ramp(sizes, libs, pause, calls=12, repeats=7):
    """Lines of per-call medians (us) of the first `calls` calls after each pause: how many
    calls a library needs to come back to its back-to-back speed. matinv both on its
    threads and on one."""
    import matinv

    lines = [f"per-call medians (us) of {calls} calls after each {pause} s pause, {repeats} times"]
    for n in sizes:
        a = make_input(n, "float64")
        calls_by_name = {COPY: np.copy, **{name: call for name, (_, call) in libs.items()}}

        def one_thread(x):
            with matinv.threads(1):
                return matinv.inv(x)

        calls_by_name["matinv 1 thread"] = one_thread
        for name, call in calls_by_name.items():
            arg = libs[name][0](a) if name in libs else a
            rows = []
            for _ in range(repeats):
                time.sleep(pause)
                ts = []
                for _ in range(calls):
                    t0 = time.perf_counter()
                    call(arg)
                    ts.append(time.perf_counter() - t0)
                rows.append(ts)
            med = [statistics.median(col) * 1e6 for col in zip(*rows)]
            lines.append(f"n={n:<5} {name:16} " + " ".join(f"{t:.0f}" for t in med))
            print(lines[-1], flush=True)
    return lines


def summarize(times, limit_s):
    hot, paused = statistics.median(times["hot_s"]), statistics.median(times["paused_s"])
    return {
        "hot_median_s": hot,
        "paused_median_s": paused,
        "hot_min_s": min(times["hot_s"]),
        "paused_min_s": min(times["paused_s"]),
        "paused_over_hot": paused / hot,
        "x_limit_hot": hot / limit_s,
        "x_limit_paused": paused / limit_s,
    }


def loadavg():
    try:
        return os.getloadavg()
    except OSError:
        return None


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def fmt_time(s):
    if s is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def label(case):
    short = {"float64": "", "complex128": " c128"}[case["dtype"]]
    return f"{case['n']}{short}"


def table(results, libs):
    """Plain-text table: per size, each library's hot median, paused median and hot x limit."""
    head = ["n", "limit", "copy hot/paused"] + [f"{lib} hot/paused (x lim)" for lib in libs]
    rows = [head]
    for r in results:
        c = r["copy"]
        row = [
            label(r["case"]),
            fmt_time(r["limit_s"]),
            f"{fmt_time(c['hot_median_s'])} / {fmt_time(c['paused_median_s'])}",
        ]
        for lib in libs:
            s = r["libs"].get(lib)
            row.append(
                "missing"
                if s is None
                else f"{fmt_time(s['hot_median_s'])} / {fmt_time(s['paused_median_s'])} "
                f"({s['x_limit_hot']:.2f})"
            )
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows)


def markdown(data):
    """docs/performance.md's two tables of one matrix: matinv against the machine's limit,
    back to back and after the pause (next to what the pause does to a plain copy), and
    every library's x limit, back to back (after the pause)."""
    libs = [lib for lib in LIBS if lib in data["meta"]["libraries"]]
    head = ["one matrix", "limit", "matinv", "x limit", "goal", "after a pause", "paused / hot"]
    head.append("copy paused / hot")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in data["results"]:
        mi, c, goal = r["libs"]["matinv"], r["copy"], r["case"]["goal_x_limit"]
        cells = [
            label(r["case"]),
            fmt_time(r["limit_s"]),
            fmt_time(mi["hot_median_s"]),
            f"{mi['x_limit_hot']:.2f}",
            "-" if goal is None else f"{goal:g}",
            fmt_time(mi["paused_median_s"]),
            f"{mi['paused_over_hot']:.2f}",
            f"{c['paused_over_hot']:.2f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    head = ["one matrix"] + [f"{lib} x limit" for lib in libs]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in data["results"]:
        s = r["libs"]
        cells = [label(r["case"])]
        cells += [f"{s[lib]['x_limit_hot']:.2f} ({s[lib]['x_limit_paused']:.2f})" for lib in libs]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def draw_plot(path, data):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("[bench] matplotlib missing: no plot", file=sys.stderr)
        return
    results = [r for r in data["results"] if r["case"]["dtype"] == "float64"]
    ns = [r["case"]["n"] for r in results]
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for k, lib in enumerate(lib for lib in LIBS if lib in data["meta"]["libraries"]):
        color = f"C{k}"
        hot = [r["libs"][lib]["x_limit_hot"] for r in results]
        paused = [r["libs"][lib]["x_limit_paused"] for r in results]
        ax.plot(ns, hot, "o-", color=color, label=f"{lib} (back to back)")
        ax.plot(ns, paused, "x--", color=color, alpha=0.7, label=f"{lib} (after a pause)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xlabel("n (one n x n float64 matrix)")
    ax.set_ylabel("time / machine's limit (lower is better)")
    meta = data["meta"]
    ax.set_title(f"{meta['cpu']}, {meta['cpus']} CPUs: DGEMM {meta['dgemm_gflops']:.0f} GFLOP/s")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help=f"n <= {QUICK_MAX_N}, fewer repeats")
    p.add_argument("--sizes", help="comma-separated n (float64), instead of the default cases")
    p.add_argument("--libs", default=",".join(LIBS), help="comma-separated libraries")
    p.add_argument("--pause", type=float, default=0.3, help="idle seconds before each sample")
    p.add_argument("--repeats", type=int, help="samples of each kind (default 3..9 by size)")
    p.add_argument("--json", default=str(DEFAULT_JSON), help="results file ('' for none)")
    p.add_argument("--plot", default=str(DEFAULT_PLOT), help="plot file ('' for none)")
    p.add_argument(
        "--ramp",
        metavar="FILE",
        help="instead of the timing: per-call times of the first calls after each pause "
        "(--sizes, default 64,512,1024), written to FILE",
    )
    p.add_argument(
        "--markdown",
        action="store_true",
        help="print the docs' table from the results file (--json) and run nothing",
    )
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.markdown:
        print(markdown(json.loads(Path(args.json).read_text())))
        return 0
    if args.sizes:
        goals = {n: goal for n, dtype, goal in CASES if dtype == "float64"}
        cases = [(int(n), "float64", goals.get(int(n))) for n in args.sizes.split(",")]
    else:
        cases = [c for c in CASES if not args.quick or c[0] <= QUICK_MAX_N]
    libs, missing = load_libs([s.strip() for s in args.libs.split(",") if s.strip()])
    if "matinv" not in libs or "numpy" not in libs:
        print(f"matinv and numpy are needed: {missing}", file=sys.stderr)
        return 2
    timed = {**libs, COPY: (lambda a: a, np.copy)}
    for name, why in missing.items():
        print(f"[bench] {name}: missing ({why})", file=sys.stderr)
    if args.ramp:
        sizes = [int(n) for n in (args.sizes or "64,512,1024").split(",")]
        head = f"# {limits.cpu_model()}, {os.cpu_count()} CPUs, {datetime.date.today()}, "
        head += f"matinv {versions({'matinv': None})['matinv']}, load {loadavg()}"
        lines = [head, *ramp(sizes, libs, args.pause)]
        Path(args.ramp).write_text("\n".join(lines) + "\n")
        return 0
    gemm_n = 1024 if args.quick else 2048
    machine = {
        "dgemm_gflops": limits.gemm_gflops("float64", gemm_n),
        "zgemm_gflops": limits.gemm_gflops("complex128", gemm_n // 2),
    }
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": limits.cpu_model(),
        "vector_isa": limits.cpu_vector_isa(),
        "cpus": os.cpu_count(),
        "libraries": list(libs),
        "missing": missing,
        "versions": versions(libs),
        "thread_pools": thread_pools(),
        "pause_s": args.pause,
        "loadavg_before": loadavg(),
        **machine,
    }
    print(
        f"[bench] {meta['cpu']} ({meta['vector_isa']}), {meta['cpus']} CPUs; DGEMM "
        f"{machine['dgemm_gflops']:.1f}, ZGEMM {machine['zgemm_gflops']:.1f} GFLOP/s; "
        f"load {meta['loadavg_before']}",
        flush=True,
    )
    results = []
    for n, dtype, goal in cases:
        case = {"n": n, "dtype": dtype, "count": 1, "goal_x_limit": goal}
        a = make_input(n, dtype)
        floor = limits.copy_floor(a)
        compute = limits.compute_floor_s(case, machine)
        limit_s = max(floor["floor_s"], compute or 0.0)
        ref = np.linalg.inv(a)
        args_by_lib = {name: prep(a) for name, (prep, _) in libs.items()}
        checks = {
            name: check(name, call(args_by_lib[name]), ref, a) for name, (_, call) in libs.items()
        }
        repeats = args.repeats or (3 if args.quick or n >= 2048 else 9 if n <= 512 else 5)
        min_time = 0.02 if args.quick else 0.05
        args_by_lib[COPY] = a
        times = time_case(timed, args_by_lib, repeats, args.pause, min_time)
        results.append(
            {
                "case": case,
                "memory_floor_s": floor["floor_s"],
                "compute_floor_s": compute,
                "limit_s": limit_s,
                "repeats": repeats,
                "checks": checks,
                "times": times,
                "libs": {name: summarize(times[name], limit_s) for name in libs},
                "copy": summarize(times[COPY], limit_s),
            }
        )
        print(table(results[-1:], list(libs)).splitlines()[-1], flush=True)
    meta["loadavg_after"] = loadavg()
    data = {"meta": meta, "results": results}
    print()
    print(table(results, list(libs)))
    print()
    mi = [r["libs"]["matinv"] for r in results]
    worst = max(mi, key=lambda s: s["paused_over_hot"])
    print(
        f"matinv after a {args.pause} s pause: at most {worst['paused_over_hot']:.2f}x its "
        f"back-to-back time (goal {PAUSED_GOAL}x); load {meta['loadavg_before']} -> "
        f"{meta['loadavg_after']}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=1) + "\n")
        print(f"[bench] results: {args.json}")
    if args.plot:
        draw_plot(args.plot, data)
        print(f"[bench] plot: {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
