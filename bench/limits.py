"""What this machine can do, measured in the benchmark's own run, to hold matinv against:

- the GEMM rates of numpy's BLAS on all its threads (DGEMM: 2 n^3 flops for two real n x n
  matrices; ZGEMM: 8 n^3 real flops for complex ones), the ceiling of compute-bound sizes;
- the memory floor of a case: copying the same bytes into fresh memory (as a call that
  allocates its output pays page faults), with two threads or, where faster (small
  arrays), one; and with two threads into a reused buffer (as a call with ``out=``).

The CPU's model name and vector instruction sets are read from /proc/cpuinfo (Linux; the
platform module's answer, or None, elsewhere).
"""

from __future__ import annotations

import concurrent.futures
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

COPY_THREADS = 2
_pool = concurrent.futures.ThreadPoolExecutor(COPY_THREADS)


def _median_s(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def gemm_gflops(dtype: str, n: int, repeats: int = 5) -> float:
    """GFLOP/s of numpy's ``a @ b`` for n x n matrices of `dtype` (median of `repeats`)."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, n, n))
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal((n, n))
        b = b + 1j * rng.standard_normal((n, n))
    a, b = a.astype(dtype), b.astype(dtype)
    a @ b  # warm-up: BLAS threads started, pages touched
    flops = (8 if np.dtype(dtype).kind == "c" else 2) * n**3
    return flops / _median_s(lambda: a @ b, repeats) / 1e9


def _copy(src: NDArray[Any], dst: NDArray[Any]) -> None:
    """`src` into `dst` (both C-contiguous), in COPY_THREADS contiguous parts at once (numpy
    releases the GIL while it copies)."""
    s, d = src.reshape(-1), dst.reshape(-1)
    step = -(-s.size // COPY_THREADS)
    parts = [
        _pool.submit(np.copyto, d[i : i + step], s[i : i + step]) for i in range(0, s.size, step)
    ]
    for p in parts:
        p.result()


def copy_floor(a: NDArray[Any], repeats: int = 9) -> dict[str, float]:
    """Median seconds of a two-thread copy of `a`'s bytes into new memory (``fresh_s``) and
    into one buffer written before (``reused_s``), and of a one-thread copy into new memory
    (``fresh_1t_s``: faster for small arrays, where handing work to a thread costs more
    than the copy). ``floor_s`` is the faster copy into new memory: the memory floor."""
    a = np.ascontiguousarray(a)
    reused = np.empty_like(a)
    _copy(a, reused)
    out = {
        "fresh_s": _median_s(lambda: _copy(a, np.empty_like(a)), repeats),
        "reused_s": _median_s(lambda: _copy(a, reused), repeats),
        "fresh_1t_s": _median_s(lambda: a.copy(), repeats),
        "threads": COPY_THREADS,
    }
    out["floor_s"] = min(out["fresh_s"], out["fresh_1t_s"])
    return out


def cpu_model() -> str:
    """The CPU's model name, as lscpu prints it, with its x86 family and model numbers:
    virtual machines may name an AMD EPYC only "AMD EPYC", whose family and model tell a
    Zen 1 (family 23) from a Zen 4 (family 25, model 17)."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("model name", "cpu family", "model"):
                    fields.setdefault(key, value.strip())
                if not line.strip() and fields:
                    break
    except OSError:
        pass
    name = fields.get("model name")
    if not name:
        return platform.processor() or platform.machine()
    if "cpu family" in fields and "model" in fields:
        name += f" (family {fields['cpu family']}, model {fields['model']})"
    return name


def cpu_vector_isa() -> str | None:
    """The widest x86 vector instruction set this CPU reports ("AVX-512", "AVX2", "SSE2"),
    or the architecture's name elsewhere; None when /proc/cpuinfo cannot be read."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    flags = set(line.split(":", 1)[1].split())
                    break
            else:
                return None
    except OSError:
        return None
    if {"avx512f", "avx512vl"} <= flags:
        return "AVX-512"
    if {"avx2", "fma"} <= flags:
        return "AVX2"
    if "sse2" in flags:
        return "SSE2"
    if "asimd" in flags:
        return "NEON"
    return None


def compute_floor_s(case: dict[str, Any], limits: dict[str, Any]) -> float | None:
    """Seconds a case's flops (2 n^3 per real inverse, 8 n^3 per complex one) take at the
    GEMM rate of its kind measured in the same run (None when that rate is unknown)."""
    complex_ = np.dtype(case["dtype"]).kind == "c"
    rate = limits.get("zgemm_gflops" if complex_ else "dgemm_gflops")
    if not rate:
        return None
    flops = (8 if complex_ else 2) * case["n"] ** 3 * case["count"]
    return float(flops / (rate * 1e9))


def efficiency(case: dict[str, Any], median_s: float, limits: dict[str, Any]) -> float | None:
    """A case's flop rate as a fraction of the GEMM rate of its kind measured in the same
    run: its compute floor over its time."""
    floor = compute_floor_s(case, limits)
    return None if floor is None else floor / median_s
