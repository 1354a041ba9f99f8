#!/usr/bin/env python3
"""Side-by-side benchmark of ``matinv.inv`` against ``numpy.linalg.inv``.

Run from the repository root:

    .venv/bin/python bench/bench_inv.py            # full run, a few minutes
    .venv/bin/python bench/bench_inv.py --quick    # smoke run, ~30-60 s
    .venv/bin/python bench/bench_inv.py --list     # the case names
    .venv/bin/python bench/bench_inv.py --markdown # docs/performance.md's table, from the JSON

Both functions are timed in one process, interleaved (each repeat times numpy then matinv,
or matinv then numpy, alternating), after one warm-up call of each per case; the warm-up
outputs are compared (allclose on a subset of the matrices) so that a fast wrong answer
cannot pass. Medians and minima of the repeats are reported, with the speed-up
numpy/matinv, the goal speed-up per case, GFLOP/s (2*n^3 flops per real matrix, 8 n^3
complex), ns per matrix, "x limit" (the time over the machine's own limit for the case:
max(a two-thread copy of the input into fresh memory, the flops at numpy's GEMM rate), both
measured in the same run) against its goal, and the peak memory beyond input + output of one
call of each library, measured in a fresh subprocess from /proc/self/status (VmHWM). Results
go to a JSON file and two PNG plots (speed-up over numpy; x limit against n).

OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE slow current numpy down, and OpenBLAS reads them
when it is loaded, so if either is set the script re-executes itself without them before
numpy is imported (the values it removed are recorded in the JSON).
"""

import os
import sys

_OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_SCRUBBED_KEY = "MATINV_BENCH_SCRUBBED_ENV"  # how the re-executed process learns what was removed


def _reexec_without_openblas_overrides():
    found = {k: os.environ[k] for k in _OPENBLAS_OVERRIDES if k in os.environ}
    if not found:
        return
    if "numpy" in sys.modules:  # cannot happen when run as a script; be loud if it does
        print(
            "warning: numpy already imported, OPENBLAS_* overrides stay in effect", file=sys.stderr
        )
        return
    import json as _json

    env = {k: v for k, v in os.environ.items() if k not in found}
    prior = _json.loads(os.environ.get(_SCRUBBED_KEY, "{}"))
    prior.update(found)
    env[_SCRUBBED_KEY] = _json.dumps(prior)
    removed = " ".join(f"{k}={v}" for k, v in found.items())
    print(
        f"[bench] re-executing without {removed} (they slow numpy's OpenBLAS)",
        file=sys.stderr,
        flush=True,
    )
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env)


if __name__ == "__main__":
    _reexec_without_openblas_overrides()

# Only now is it safe to import numpy (and anything that imports it).
import argparse  # noqa: E402
import datetime  # noqa: E402
import fnmatch  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import zlib  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import limits  # noqa: E402  (bench/limits.py: the machine's own limits, measured in this run)

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
DEFAULT_JSON = BENCH_DIR / "results" / "latest.json"
DEFAULT_PLOT = BENCH_DIR / "results" / "speedup.png"
DEFAULT_LIMIT_PLOT = BENCH_DIR / "results" / "x-limit.png"

# --------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------

# name, count (None: one 2-D matrix), n, dtype, goal speed-up (numpy time / matinv time;
# None: none), goal "x limit" (matinv time / the machine's limit for the case; the issues
# for stacks and single matrices set them; None: none)
CASES = [
    ("stack2x2", 1_000_000, 2, "float64", 40.0, 1.10),
    ("stack3x3", 1_000_000, 3, "float64", 40.0, 1.10),
    ("stack4x4", 1_000_000, 4, "float64", 30.0, 1.10),
    ("stack4x4_f32", 1_000_000, 4, "float32", 30.0, 1.15),
    ("stack6x6", 100_000, 6, "float64", None, 1.5),
    ("stack8x8", 100_000, 8, "float64", 10.0, 1.5),
    ("stack12x12", 100_000, 12, "float64", None, 2.0),
    ("stack16x16", 10_000, 16, "float64", None, 2.0),
    ("stack32x32", 10_000, 32, "float64", 4.0, 2.0),
    ("stack64x64", 1_000, 64, "float64", None, 2.0),
    ("stack128x128", 1_000, 128, "float64", 2.5, 1.5),
    ("stack32x32_c128", 10_000, 32, "complex128", None, 2.5),
    ("single3", None, 3, "float64", 2.0, None),
    ("single64", None, 64, "float64", 2.0, 4.0),
    ("single128", None, 128, "float64", None, 2.5),
    ("single256", None, 256, "float64", None, 1.8),
    ("single512", None, 512, "float64", 1.8, 1.3),
    ("single1024", None, 1024, "float64", 2.0, 1.15),
    ("single2048", None, 2048, "float64", 2.0, 1.12),
    ("single4096", None, 4096, "float64", 1.8, None),
    ("single1024_c128", None, 1024, "complex128", 1.5, 1.15),
]
QUICK_SKIP = {"single2048", "single4096"}  # unless named explicitly with --cases
QUICK_STACK_DIVISOR = 10
PER_CALL_CASES = {"single3": 10_000}
# Other processes' average CPU use above which a case's timing is flagged.
BUSY_CPUS = 0.2

DTYPE_SHORT = {"float32": "f32", "float64": "f64", "complex64": "c64", "complex128": "c128"}


def case_dict(name, count, n, dtype, goal, limit_goal, quick):
    if quick and count is not None:
        count = max(1, count // QUICK_STACK_DIVISOR)
    shape = (n, n) if count is None else (count, n, n)
    return {
        "name": name,
        "count": 1 if count is None else count,
        "stacked": count is not None,
        "n": n,
        "dtype": dtype,
        "shape": list(shape),
        "goal": goal,
        "limit_goal": limit_goal,
        "calls_per_sample": PER_CALL_CASES.get(name),
    }


def select_cases(patterns, quick):
    if not patterns:
        return [case_dict(*c, quick) for c in CASES if not (quick and c[0] in QUICK_SKIP)]
    wanted = [p.strip() for p in patterns.split(",") if p.strip()]
    names = [c[0] for c in CASES]
    for p in wanted:
        if not fnmatch.filter(names, p):
            sys.exit(f"error: no case matches {p!r}; cases: {', '.join(names)}")
    return [
        case_dict(*c, quick) for c in CASES if any(fnmatch.fnmatchcase(c[0], p) for p in wanted)
    ]


def shape_label(case):
    short = DTYPE_SHORT.get(case["dtype"], case["dtype"])
    n = case["n"]
    if case["stacked"]:
        c = case["count"]
        cs = f"1e{int(math.log10(c))}" if c >= 10 and 10 ** round(math.log10(c)) == c else str(c)
        return f"{cs}x{n}x{n} {short}"
    return f"{n}x{n} {short}"


def make_input(case):
    """Seeded, well-conditioned input: Gaussian + n*I (complex: Gaussian real and imag)."""
    rng = np.random.default_rng(zlib.crc32(case["name"].encode()))
    n, shape, dtype = case["n"], tuple(case["shape"]), np.dtype(case["dtype"])
    if dtype.kind == "c":
        a = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
        a *= math.sqrt(0.5)
    else:
        a = rng.standard_normal(shape)
    idx = np.arange(n)
    a[..., idx, idx] += n
    return np.ascontiguousarray(a, dtype=dtype)


# --------------------------------------------------------------------------------------
# Environment / metadata
# --------------------------------------------------------------------------------------


def import_matinv(retries=6, wait=20.0):
    """matinv's native module may be mid-rebuild; retry the import for a couple of minutes."""
    for attempt in range(retries + 1):
        try:
            import matinv

            return matinv
        except ImportError as e:  # pragma: no cover - depends on the build state
            if attempt == retries:
                raise
            print(
                f"[bench] import matinv failed ({e}); retrying in {wait:.0f} s",
                file=sys.stderr,
                flush=True,
            )
            for k in [m for m in sys.modules if m == "matinv" or m.startswith("matinv.")]:
                del sys.modules[k]
            time.sleep(wait)


def blas_info():
    try:
        from threadpoolctl import threadpool_info

        return {"source": "threadpoolctl", "pools": threadpool_info()}
    except ImportError:
        try:
            cfg = np.show_config(mode="dicts")
            deps = cfg.get("Build Dependencies", {})
            return {
                "source": "numpy.show_config",
                "blas": deps.get("blas"),
                "lapack": deps.get("lapack"),
            }
        except Exception as e:  # pragma: no cover
            return {"source": "none", "error": repr(e)}


def blas_summary(info):
    if info.get("source") == "threadpoolctl":
        blas = [p for p in info["pools"] if p.get("user_api") == "blas"]
        if not blas:
            return "no BLAS pool found by threadpoolctl"
        return "; ".join(
            f"{p.get('internal_api')} {p.get('version')} core type "
            f"{p.get('architecture', '?')}, {p.get('num_threads')} threads"
            for p in blas
        )
    blas = info.get("blas") or {}
    return (
        f"{blas.get('name')} {blas.get('version')} ({blas.get('openblas configuration', '')}); "
        "install threadpoolctl for the runtime core type and thread count"
    )


def _loadavg():
    try:
        return os.getloadavg()
    except OSError:  # pragma: no cover
        return None


def git_revision():
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_DIR, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return {"commit": rev or None, "dirty": bool(dirty)}
    except Exception:
        return {"commit": None, "dirty": None}


def native_module_info(matinv):
    info = {"version": getattr(matinv, "__version__", None), "file": matinv.__file__}
    get_threads = getattr(matinv, "get_num_threads", None)  # newer builds have thread control
    if callable(get_threads):
        try:
            info["num_threads"] = get_threads()
        except Exception as e:  # pragma: no cover
            info["num_threads"] = repr(e)
    native = getattr(matinv, "_matinv", None)
    path = getattr(native, "__file__", None)
    if path:
        info["native_file"] = path
        try:
            st = os.stat(path)
            info["native_mtime"] = datetime.datetime.fromtimestamp(st.st_mtime).isoformat()
            info["native_size"] = st.st_size
        except OSError:
            pass
    return info


def collect_metadata(matinv, args, cases):
    env_keys = list(_OPENBLAS_OVERRIDES) + [
        "OPENBLAS_NUM_THREADS",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "RAYON_NUM_THREADS",
        "MATINV_NUM_THREADS",
    ]
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        affinity = None
    return {
        "timestamp": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "argv": sys.argv,
        "quick": args.quick,
        "settle_s": args.settle,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_model": limits.cpu_model(),
        "nproc": os.cpu_count(),
        "nproc_affinity": affinity,
        "numpy_version": np.__version__,
        "blas": blas_info(),
        "matinv": native_module_info(matinv),
        "git": git_revision(),
        "env": {k: os.environ.get(k) for k in env_keys},
        "env_removed_by_reexec": json.loads(os.environ.get(_SCRUBBED_KEY, "{}")),
        "loadavg_start": _loadavg(),
        "cases": [c["name"] for c in cases],
    }


# --------------------------------------------------------------------------------------
# Correctness
# --------------------------------------------------------------------------------------


def check(case, a, x_mi, x_np, max_matrices=4096):
    """matinv vs numpy: same shape and dtype, close on every matrix (cheap next to the
    inversions), and residuals max|A X - I| of both on an evenly spread subset."""
    res = {"ok": False}
    if not isinstance(x_mi, np.ndarray) or x_mi.shape != x_np.shape or x_mi.dtype != x_np.dtype:
        res["error"] = (
            f"shape/dtype mismatch: matinv {getattr(x_mi, 'shape', None)} "
            f"{getattr(x_mi, 'dtype', None)} vs numpy {x_np.shape} {x_np.dtype}"
        )
        return res
    # per matrix k: max|matinv_k - numpy_k| <= tol_k * max|numpy_k|, with
    # tol_k = floor + 1e-13 * cond_inf(A_k) (both are LU with partial pivoting in double
    # precision; float32 results are rounded to float32, hence the larger floor there)
    single = x_np.dtype in (np.float32, np.complex64)
    floor = 1e-6 if single else 1e-12
    n = case["n"]
    wide = np.complex128 if x_np.dtype.kind == "c" else np.float64
    a3, mi3, ref3 = (arr.reshape(-1, n, n) for arr in (a, x_mi, x_np))
    ok_finite = bool(np.all(np.isfinite(x_mi)))
    diff = np.abs(mi3.astype(wide) - ref3).max(axis=(1, 2))
    scale = np.abs(ref3).max(axis=(1, 2))
    scale[scale == 0] = 1.0
    cond = np.abs(a3).sum(axis=2).max(axis=1) * np.abs(ref3).sum(axis=2).max(axis=1)
    tol = floor + 1e-13 * cond
    rel = diff / scale
    bad = ~(rel <= tol)  # NaN counts as bad
    ok = ok_finite and not bool(bad.any())
    res.update(
        ok=ok,
        tol_floor=floor,
        max_rel_diff=float(np.max(rel)),
        max_rel_diff_over_tol=float(np.max(rel / tol)),
        max_cond_inf=float(np.max(cond)),
        matrices_compared=int(rel.size),
    )
    if not ok:
        res["bad_matrices"] = int(bad.sum())
        res["first_bad"] = int(np.argmax(bad))
        res["error_detail"] = (
            f"{int(bad.sum())} of {rel.size} matrices differ from numpy "
            f"beyond tolerance (max relative difference {np.max(rel):.3g})"
        )
    if case["n"] <= 1024:  # residuals, where the products are cheap
        if case["stacked"]:
            count = case["count"]
            idx = np.unique(np.linspace(0, count - 1, min(count, max_matrices)).astype(np.intp))
            ai, mi, ref = a[idx].astype(wide), x_mi[idx], x_np[idx]
        else:
            ai, mi, ref = a.astype(wide), x_mi, x_np
        eye = np.eye(case["n"])
        res["residual_matrices"] = int(ai.size // (case["n"] * case["n"]))
        res["residual_matinv"] = float(np.max(np.abs(ai @ mi - eye)))
        res["residual_numpy"] = float(np.max(np.abs(ai @ ref - eye)))
    return res


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------


def cpu_snapshot():
    """(machine busy CPU seconds incl. steal, this process's + reaped children's CPU seconds)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
        # user nice system idle iowait irq softirq steal ...
        busy = sum(fields[:3]) + sum(fields[5:8])
        machine = busy / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        machine = None
    t = os.times()
    return machine, t.user + t.system + t.children_user + t.children_system, time.perf_counter()


def background_cpu(before, after):
    """Average number of CPUs kept busy by everything except this benchmark in between."""
    if before[0] is None or after[0] is None or after[2] <= before[2]:
        return None
    other = (after[0] - before[0]) - (after[1] - before[1])
    return max(0.0, other / (after[2] - before[2]))


def sample(fn, a, number):
    """Seconds per call, over `number` back-to-back calls (results dropped at once)."""
    t0 = time.perf_counter()
    for _ in range(number):
        fn(a)
    return (time.perf_counter() - t0) / number


def per_call_estimate(fn, a, min_time):
    """timeit.autorange-like: per-call seconds from a sample lasting at least min_time/10."""
    number = 1
    while True:
        t = sample(fn, a, number)
        if t * number >= min_time / 10 or number >= 1_000_000:
            return t
        number *= 10


def time_case(case, a, f_np, f_mi, args):
    min_sample = 0.02 if args.quick else 0.05  # seconds per timed sample, at least
    budget = 1.0 if args.quick else 10.0  # seconds of timed samples per case (both libs)
    est_np = per_call_estimate(f_np, a, min_sample)
    est_mi = per_call_estimate(f_mi, a, min_sample)
    number = case["calls_per_sample"]
    if number is None:
        number = max(1, math.ceil(min_sample / max(min(est_np, est_mi), 1e-9)))
    if args.repeats:
        repeats = args.repeats
    else:
        r_max = 7 if args.quick else 25
        repeats = int(budget / max((est_np + est_mi) * number, 1e-9))
        repeats = min(max(repeats, 3), r_max)
    t_np, t_mi = [], []
    snap0 = cpu_snapshot()
    gc_was = gc.isenabled()
    gc.disable()
    stopped_early = False
    t_loop = time.perf_counter()
    settled = 0.0

    def timed(fn):
        # OpenBLAS's threads busy-wait for about 0.1 s after a call (its THREAD_TIMEOUT),
        # on the cores the next sample needs: every sample starts after a pause instead,
        # so that neither library is timed against the other's spinning threads.
        nonlocal settled
        if args.settle > 0:
            time.sleep(args.settle)
            settled += args.settle
        return sample(fn, a, number)

    try:
        for r in range(repeats):
            if r % 2 == 0:
                t_np.append(timed(f_np))
                t_mi.append(timed(f_mi))
            else:
                t_mi.append(timed(f_mi))
                t_np.append(timed(f_np))
            # the calibration can be far off on a busy machine: cap the case's wall time
            if (
                not args.repeats
                and r + 1 >= 3
                and r + 1 < repeats
                and time.perf_counter() - t_loop - settled > 2 * budget
            ):
                stopped_early = True
                break
    finally:
        if gc_was:
            gc.enable()
    return {
        "repeats": len(t_np),
        "repeats_planned": repeats,
        "stopped_early": stopped_early,
        "calls_per_sample": number,
        "numpy_s": t_np,
        "matinv_s": t_mi,
        "background_cpus": background_cpu(snap0, cpu_snapshot()),
    }


def met_goal(ok, reached, goal):
    """ "yes", "no", or "-" where the case has no such goal."""
    if goal is None:
        return "-"
    return "yes" if ok and reached else "no"


def summarize(case, timing):
    flops = (8.0 if np.dtype(case["dtype"]).kind == "c" else 2.0) * case["n"] ** 3 * case["count"]
    out = {}
    for lib in ("numpy", "matinv"):
        ts = timing[f"{lib}_s"]
        med, mn = statistics.median(ts), min(ts)
        out[lib] = {
            "median_s": med,
            "min_s": mn,
            "gflops_median": flops / med / 1e9,
            "ns_per_matrix_median": med / case["count"] * 1e9,
        }
    out["ratio_median"] = out["numpy"]["median_s"] / out["matinv"]["median_s"]
    out["ratio_min"] = out["numpy"]["min_s"] / out["matinv"]["min_s"]
    return out


def against_limits(case, summary, machine, floor):
    """Adds the machine's limit for the case to `summary`: the memory floor (`floor`, a
    copy of the input into fresh memory, with two threads or one where faster, as an
    out-of-place inverse must read the input and write an array of its size), the compute
    floor (the flops at the GEMM rate on
    all cores), their maximum, and each library's time over it (``x_limit``); also each
    library's fraction of the GEMM rate (n >= 8) and matinv's time over the memory floor."""
    summary["floor"] = floor
    summary["memory_floor_s"] = floor["floor_s"]
    summary["compute_floor_s"] = limits.compute_floor_s(case, machine)
    limit = max(summary["memory_floor_s"], summary["compute_floor_s"] or 0.0)
    summary["limit_s"] = limit or float("nan")  # a floor of 0 s would mean a broken clock
    summary["x_floor"] = summary["matinv"]["median_s"] / floor["fresh_s"]
    for lib in ("numpy", "matinv"):
        summary[lib]["x_limit"] = summary[lib]["median_s"] / summary["limit_s"]
        if case["n"] >= 8:
            summary[lib]["efficiency"] = limits.efficiency(case, summary[lib]["median_s"], machine)
    summary["x_limit"] = summary["matinv"]["x_limit"]


# --------------------------------------------------------------------------------------
# Peak memory (fresh subprocess per case and library)
# --------------------------------------------------------------------------------------


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def memprobe_child(spec):
    """Runs in the subprocess: one call of one library, peak RSS beyond input + output."""
    case, lib = spec["case"], spec["lib"]
    if lib == "matinv":
        fn = import_matinv().inv
    else:
        fn = np.linalg.inv
    a = make_input(case)
    # warm up on one small matrix of the same order and dtype: code pages, thread pools,
    # BLAS buffers are not what this measures
    fn(
        np.ascontiguousarray(
            make_input(dict(case, stacked=False, count=1, shape=[case["n"], case["n"]]))
        )
    )
    gc.collect()
    reset = True
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current RSS
    except OSError:
        reset = False
    rss0 = _status_kib("VmRSS")
    hwm0 = _status_kib("VmHWM")
    out = fn(a)
    hwm1 = _status_kib("VmHWM")
    base = rss0 if reset else max(rss0, hwm0)
    extra_kib = hwm1 - base - out.nbytes / 1024
    print(
        json.dumps(
            {
                "lib": lib,
                "hwm_reset": reset,
                "input_mib": a.nbytes / 2**20,
                "output_mib": out.nbytes / 2**20,
                "rss_before_mib": rss0 / 1024,
                "hwm_after_mib": hwm1 / 1024,
                "peak_extra_mib": extra_kib / 1024,
            }
        )
    )


def measure_memory(case, lib, timeout=300):
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--_memprobe",
        json.dumps({"case": case, "lib": lib}),
    ]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            return {"error": (p.stderr or p.stdout).strip()[-500:]}
        return json.loads(p.stdout.strip().splitlines()[-1])
    except Exception as e:
        return {"error": repr(e)}


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def fmt_time(s):
    if s is None or not math.isfinite(s):
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}" if s / scale < 1000 else f"{s / scale:.0f} {unit}"
    return f"{s * 1e9:.3g} ns"


def fmt_num(x, digits=3):
    if x is None or not math.isfinite(x):
        return "-"
    if abs(x) >= 1e6:
        return f"{x:.{digits}g}"
    if abs(x) >= 10**digits:
        return f"{x:.0f}"
    return f"{x:.{digits}g}"


def fmt_pct(x):
    return "" if x is None else f"{100 * x:.0f}%"


def fmt_cpus(x):
    return "-" if x is None else f"{x:.2f}"


def fmt_mem(m):
    if not m or "peak_extra_mib" not in m:
        return "err" if m and "error" in m else "-"
    v = m["peak_extra_mib"]
    return "0.0" if abs(v) < 0.05 else f"{v:.1f}"


COLUMNS = [
    # header, width, align
    ("case", 16, "<"),
    ("shape", 17, "<"),
    ("reps", 9, ">"),
    ("numpy med", 10, ">"),
    ("matinv med", 10, ">"),
    ("np min", 9, ">"),
    ("mi min", 9, ">"),
    ("ratio", 7, ">"),
    ("goal", 5, ">"),
    ("met", 4, "<"),
    ("np GF/s", 8, ">"),
    ("mi GF/s", 8, ">"),
    ("np ns/mat", 10, ">"),
    ("mi ns/mat", 10, ">"),
    ("mi eff", 6, ">"),
    ("mem floor", 9, ">"),
    ("cmp floor", 9, ">"),
    ("x limit", 7, ">"),
    ("x goal", 6, ">"),
    ("np x lim", 8, ">"),
    ("mi +MiB", 8, ">"),
    ("np +MiB", 8, ">"),
    ("check", 5, "<"),
    ("bg cpu", 6, ">"),
]


def table_lines(results):
    def row(cells):
        return "  ".join(f"{c:{a}{w}}" for c, (_, w, a) in zip(cells, COLUMNS)).rstrip()

    lines = [row([h for h, _, _ in COLUMNS]), row(["-" * w for _, w, _ in COLUMNS])]
    for r in results:
        s, c = r["summary"], r["case"]
        reps = f"{r['timing']['repeats']}x{r['timing']['calls_per_sample']}"
        lines.append(
            row(
                [
                    c["name"],
                    shape_label(c),
                    reps,
                    fmt_time(s["numpy"]["median_s"]),
                    fmt_time(s["matinv"]["median_s"]),
                    fmt_time(s["numpy"]["min_s"]),
                    fmt_time(s["matinv"]["min_s"]),
                    fmt_num(s["ratio_median"]),
                    fmt_num(c["goal"], 2) if c["goal"] else "-",
                    r["met"],
                    fmt_num(s["numpy"]["gflops_median"]),
                    fmt_num(s["matinv"]["gflops_median"]),
                    fmt_num(s["numpy"]["ns_per_matrix_median"]),
                    fmt_num(s["matinv"]["ns_per_matrix_median"]),
                    fmt_pct(s["matinv"].get("efficiency")),
                    fmt_time(s["memory_floor_s"]),
                    fmt_time(s["compute_floor_s"]) if s["compute_floor_s"] else "-",
                    fmt_num(s["x_limit"]),
                    fmt_num(c["limit_goal"], 3) if c["limit_goal"] else "-",
                    fmt_num(s["numpy"]["x_limit"]),
                    fmt_mem(r.get("memory", {}).get("matinv")),
                    fmt_mem(r.get("memory", {}).get("numpy")),
                    "ok" if r["check"]["ok"] else "FAIL",
                    fmt_cpus(r["timing"].get("background_cpus")),
                ]
            )
        )
    return lines


def doc_label(case):
    """A case as the docs' tables name it (`tests/test_docs_drift.py` reads it back)."""
    n = case["n"]
    if case["stacked"]:
        short = {"float64": "f64", "float32": "f32", "complex128": "c128", "complex64": "c64"}
        count = f"1e{round(math.log10(case['count']))}"
        return f"{count} x {n}x{n} {short.get(case['dtype'], case['dtype'])}"
    label = f"one {n}x{n}"
    if case["dtype"] != "float64":
        label += f" {case['dtype']}"
    return label + (" (Python call)" if n <= 3 else "")


def markdown(results):
    """docs/performance.md's table of a full run: every case with both libraries, the
    machine's floors and x limit (the README quotes some of its rows)."""
    lines = [
        "| case | numpy | matinv | ratio | memory floor | compute floor | x limit "
        "| x limit goal | numpy x limit |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s, c = r["summary"], r["case"]
        cells = [
            doc_label(c),
            fmt_time(s["numpy"]["median_s"]),
            fmt_time(s["matinv"]["median_s"]),
            fmt_num(s["ratio_median"]),
            fmt_time(s["memory_floor_s"]),
            fmt_time(s["compute_floor_s"]) if s["compute_floor_s"] else "-",
            fmt_num(s["x_limit"]),
            str(c["limit_goal"]) if c["limit_goal"] else "-",
            fmt_num(s["numpy"]["x_limit"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_json(path, payload):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    os.replace(tmp, path)


def draw_plot(path, results, meta):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(
            "[bench] matplotlib is not installed, skipping the plot "
            "(install it with: .venv/bin/pip install matplotlib)",
            file=sys.stderr,
        )
        return False
    names = [f"{r['case']['name']}\n{shape_label(r['case'])}" for r in results]
    ratios = [r["summary"]["ratio_median"] for r in results]
    ratio_min = [r["summary"]["ratio_min"] for r in results]
    goals = [r["case"]["goal"] or np.nan for r in results]
    colors = {"yes": "tab:green", "no": "tab:red", "-": "tab:gray"}
    colors = [colors[r["met"]] for r in results]
    x = np.arange(len(results))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.85 * len(results) + 2), 5.5))
    busy = [(r["timing"].get("background_cpus") or 0) > BUSY_CPUS for r in results]
    bars = ax.bar(x, ratios, color=colors, alpha=0.8, label="speed-up (median)")
    for bar, b in zip(bars, busy):
        if b:
            bar.set_hatch("//")

    ax.scatter(x, ratio_min, marker=".", color="black", zorder=3, label="speed-up (min times)")
    ax.hlines(goals, x - 0.4, x + 0.4, colors="tab:blue", linewidths=2.5, zorder=4, label="goal")
    ax.axhline(1.0, color="black", linewidth=1)
    ax.set_yscale("log")
    lo = min(min(ratios), min(ratio_min), 1.0)
    hi = max(max(ratios), max(ratio_min), max((g for g in goals if g == g), default=0.0))
    ax.set_ylim(lo / 1.6, hi * 4)  # headroom for the legend
    ax.set_xticks(x)
    ax.set_xticklabels(names, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("numpy time / matinv time")
    for xi, r, rm in zip(x, ratios, ratio_min):
        ax.annotate(
            f"{r:.3g}",
            (xi, max(r, rm)),
            textcoords="offset points",
            xytext=(0, 4),
            ha="center",
            fontsize=7,
        )
    title = (
        f"matinv {meta['matinv']['version']} vs numpy {meta['numpy_version']} "
        f"({'quick' if meta['quick'] else 'full'} run, {meta['timestamp'][:16]})\n"
        f"{meta['cpu_model']}, {meta['nproc']} CPUs; {blas_summary(meta['blas'])}"
    )
    ax.set_title(title, fontsize=9)
    handles, labels = ax.get_legend_handles_labels()
    if any(busy):
        from matplotlib.patches import Patch

        handles.append(Patch(facecolor="white", edgecolor="gray", hatch="//"))
        labels.append(f"other processes used > {BUSY_CPUS} CPU while timing (unreliable)")
    ax.legend(handles, labels, fontsize=8, loc="upper left", ncol=2)
    ax.grid(axis="y", which="both", alpha=0.3)
    save_figure(plt, fig, path, dpi=120)
    return True


def draw_limit_plot(path, results, meta):
    """matinv's and numpy's "x limit" against n, stacks and single matrices apart, with the
    goals; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), sharey=True)
    for ax, stacked, title in zip(axes, (True, False), ("stacks", "one matrix")):
        rows = [
            r
            for r in results
            if r["case"]["stacked"] == stacked and r["case"]["dtype"] == "float64"
        ]
        rows = [r for r in rows if r["case"]["name"] != "single3"]
        if not rows:
            continue
        n = [r["case"]["n"] for r in rows]
        for lib, style in (("matinv", "o-"), ("numpy", "s--")):
            ax.plot(n, [r["summary"][lib]["x_limit"] for r in rows], style, label=lib)
        goal = [(r["case"]["n"], r["case"]["limit_goal"]) for r in rows if r["case"]["limit_goal"]]
        if goal:
            ax.plot(*zip(*goal), "_", color="tab:green", markersize=14, mew=2.5, label="goal")
        others = [r for r in results if r["case"]["stacked"] == stacked and r not in rows]
        for r in others:
            if r["case"]["name"] == "single3":
                continue
            short = DTYPE_SHORT.get(r["case"]["dtype"], r["case"]["dtype"])
            ax.plot(r["case"]["n"], r["summary"]["matinv"]["x_limit"], "^", color="tab:purple")
            ax.annotate(
                f"matinv {short}", (r["case"]["n"], r["summary"]["matinv"]["x_limit"]), fontsize=7
            )
        ax.axhline(1.0, color="black", linewidth=1)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("n (float64 unless marked)")
        ax.set_title(title, fontsize=9)
        ax.grid(which="both", alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("time / max(memory floor, compute floor)")
    fig.suptitle(
        f"x limit: {meta['cpu_model']}, {meta['nproc']} CPUs, DGEMM "
        f"{meta['limits']['dgemm_gflops']:.0f} GFLOP/s ({meta['timestamp'][:16]})",
        fontsize=9,
    )
    save_figure(plt, fig, path, dpi=110)
    return True


def save_figure(plt, fig, path, dpi):
    """Lays out `fig`, writes it to `path` (making its folder) and closes it."""
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: stacks 10x smaller, no 2048/4096, short timing budget",
    )
    p.add_argument(
        "--cases",
        metavar="NAME[,NAME]",
        help="comma-separated case names or glob patterns (e.g. 'stack*,single64')",
    )
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument(
        "--markdown",
        action="store_true",
        help="print docs/performance.md's table from the --json results file and exit",
    )
    p.add_argument(
        "--repeats",
        type=int,
        metavar="N",
        help="timed repeats per library and case (default: adaptive, 3..25)",
    )
    p.add_argument(
        "--json",
        default=str(DEFAULT_JSON),
        metavar="PATH",
        help="where to write the results (default: %(default)s)",
    )
    p.add_argument(
        "--plot",
        default=str(DEFAULT_PLOT),
        metavar="PATH",
        help="where to write the speed-up plot (default: %(default)s; '' to skip)",
    )
    p.add_argument(
        "--limit-plot",
        default=str(DEFAULT_LIMIT_PLOT),
        metavar="PATH",
        help="where to write the x-limit plot (default: %(default)s; '' to skip)",
    )
    p.add_argument(
        "--memory",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure peak extra memory of one call per library in a fresh "
        "subprocess (default: on)",
    )
    p.add_argument(
        "--settle",
        type=float,
        default=0.2,
        metavar="SECONDS",
        help="pause before every timed sample, so that the other library's "
        "threads have gone idle (OpenBLAS's busy-wait ~0.1 s after each "
        "call; default: %(default)s)",
    )
    p.add_argument("--_memprobe", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        p.error("--repeats must be at least 1")
    return args


def measure_machine(quick):
    """The CPU's vector ISA and the GEMM rates of this machine (bench/limits.py)."""
    dgemm_n, zgemm_n = (1024, 512) if quick else (2048, 1024)
    return {
        "cpu_vector_isa": limits.cpu_vector_isa(),
        "dgemm_n": dgemm_n,
        "dgemm_gflops": limits.gemm_gflops("float64", dgemm_n),
        "zgemm_n": zgemm_n,
        "zgemm_gflops": limits.gemm_gflops("complex128", zgemm_n),
    }


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args._memprobe:
        memprobe_child(json.loads(args._memprobe))
        return 0
    if args.markdown:
        print(markdown(json.loads(Path(args.json).read_text())["results"]))
        return 0
    cases = select_cases(args.cases, args.quick)
    if args.list:
        for c in select_cases(None, False):
            goal = f"ratio >= {c['goal']:g}" if c["goal"] else "no ratio goal"
            limit = f"x limit <= {c['limit_goal']:g}" if c["limit_goal"] else "no limit goal"
            print(f"{c['name']:16} {shape_label(c):18} {goal}, {limit}")
        return 0

    matinv = import_matinv()
    meta = collect_metadata(matinv, args, cases)
    removed = meta["env_removed_by_reexec"]
    if removed:
        print("re-executed without " + ", ".join(f"{k}={v}" for k, v in removed.items()))
    print(f"numpy {np.__version__}: {blas_summary(meta['blas'])}")
    threads = meta["matinv"].get("num_threads")
    print(
        f"matinv {meta['matinv']['version']} ({meta['matinv'].get('native_file')})"
        + (f", {threads} threads" if threads is not None else "")
    )
    print(
        f"CPU: {meta['cpu_model']}, nproc {meta['nproc']}; "
        f"{'quick' if args.quick else 'full'} run, {len(cases)} cases, "
        f"memory {'on' if args.memory else 'off'}"
    )
    machine = measure_machine(args.quick)
    meta["limits"] = machine
    print(
        f"vector ISA {machine['cpu_vector_isa']}; numpy's BLAS on all threads: DGEMM "
        f"{machine['dgemm_gflops']:.1f} GFLOP/s (n = {machine['dgemm_n']}), ZGEMM "
        f"{machine['zgemm_gflops']:.1f} GFLOP/s (n = {machine['zgemm_n']})"
    )
    sys.stdout.flush()

    results = []
    failed = False
    t_start = time.perf_counter()
    for case in cases:
        t_case = time.perf_counter()
        print(
            f"[bench] {case['name']} ({shape_label(case)}): input...",
            end="",
            file=sys.stderr,
            flush=True,
        )
        a = make_input(case)
        # warm-up: one call of each; their outputs are the correctness check
        x_np = np.linalg.inv(a)
        try:
            x_mi = matinv.inv(a)
            chk = check(case, a, x_mi, x_np)
        except Exception as e:
            chk = {"ok": False, "error": f"matinv.inv raised {e!r}"}
        del x_np
        x_mi = None
        print(" check " + ("ok" if chk["ok"] else "FAILED"), end="", file=sys.stderr, flush=True)
        if not chk["ok"]:
            failed = True
            print(
                f"\n[bench] {case['name']}: CHECK FAILED: "
                f"{chk.get('error') or chk.get('error_detail')}: {chk}",
                file=sys.stderr,
                flush=True,
            )
            if "error" in chk:  # matinv cannot even run this case: record and move on
                results.append({"case": case, "check": chk, "error": chk["error"]})
                continue
        timing = time_case(case, a, np.linalg.inv, matinv.inv, args)
        floor = limits.copy_floor(a)
        del a
        summary = summarize(case, timing)
        against_limits(case, summary, machine, floor)
        met = met_goal(chk["ok"], summary["ratio_median"] >= (case["goal"] or 0), case["goal"])
        limit_met = met_goal(
            chk["ok"], summary["x_limit"] <= (case["limit_goal"] or 0), case["limit_goal"]
        )
        rec = {
            "case": case,
            "check": chk,
            "timing": timing,
            "summary": summary,
            "met": met,
            "limit_met": limit_met,
        }
        print(
            f", {timing['repeats']}x{timing['calls_per_sample']}: numpy "
            f"{fmt_time(summary['numpy']['median_s'])}, matinv "
            f"{fmt_time(summary['matinv']['median_s'])}, ratio "
            f"{summary['ratio_median']:.3g} (goal {case['goal'] or '-'}: {met}), x limit "
            f"{summary['x_limit']:.3g} (goal {case['limit_goal'] or '-'}: {limit_met}), bg cpu "
            f"{fmt_cpus(timing['background_cpus'])}",
            end="",
            file=sys.stderr,
            flush=True,
        )
        if args.memory:
            rec["memory"] = {lib: measure_memory(case, lib) for lib in ("matinv", "numpy")}
            print(
                f", +MiB matinv {fmt_mem(rec['memory']['matinv'])} "
                f"numpy {fmt_mem(rec['memory']['numpy'])}",
                end="",
                file=sys.stderr,
            )
            for lib, m in rec["memory"].items():
                if "error" in m:
                    print(f"\n[bench] memory probe ({lib}) failed: {m['error']}", file=sys.stderr)
        print(f" [{time.perf_counter() - t_case:.1f} s]", file=sys.stderr, flush=True)
        results.append(rec)

    timed = [r for r in results if "summary" in r]
    meta["elapsed_s"] = time.perf_counter() - t_start
    meta["loadavg_end"] = _loadavg()
    payload = {"meta": meta, "results": results}
    write_json(args.json, payload)

    print()
    if args.quick:
        print("(quick run: stacks are 10x smaller than the sizes the goals are set for)")
    print(
        "times are per call (single3: median over "
        f"{PER_CALL_CASES['single3']} calls per repeat); ratio = numpy median / matinv median; "
        "mi eff = matinv's flop rate (2 n^3 per real inverse, 8 n^3 complex) over the "
        "GEMM rate above; mem floor = a copy of the input into fresh memory (two threads, or "
        "one where faster); "
        "cmp floor = the flops at the GEMM rate; x limit = matinv median / max(mem floor, "
        "cmp floor), goal: the most it may be; np x lim = numpy's; "
        "+MiB = peak memory of one call beyond input + output; "
        "bg cpu = CPUs used by other processes while timing"
    )
    for line in table_lines(timed):
        print(line)
    for r in results:
        if "summary" not in r:
            print(f"{r['case']['name']:16}  ERROR: {r['error']}")
    busy = [r for r in timed if (r["timing"].get("background_cpus") or 0) > BUSY_CPUS]
    if busy:
        print(
            f"warning: other processes kept {max(r['timing']['background_cpus'] for r in busy):.2f}"
            f" CPUs busy (of {os.cpu_count()}) while timing "
            f"{', '.join(r['case']['name'] for r in busy)}: those timings are unreliable "
            "(see the 'bg cpu' column)"
        )
    n_met = sum(r["met"] == "yes" for r in timed)
    n_goals = sum(r["met"] != "-" for r in timed)
    n_limit = sum(r["limit_met"] == "yes" for r in timed)
    n_limit_goals = sum(r["limit_met"] != "-" for r in timed)
    print(
        f"\nratio goals met: {n_met}/{n_goals}; x limit goals met: {n_limit}/{n_limit_goals}; "
        "correctness: "
        f"{'all ok' if not failed else 'FAILURES (see above)'}; "
        f"total {meta['elapsed_s']:.0f} s"
    )
    print(f"JSON: {args.json}")
    if args.plot and timed:
        if draw_plot(args.plot, timed, meta):
            print(f"plot: {args.plot}")
    if args.limit_plot and timed:
        if draw_limit_plot(args.limit_plot, timed, meta):
            print(f"x-limit plot: {args.limit_plot}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
