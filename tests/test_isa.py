"""The instruction-set cap: ``MATINV_ISA`` runs, on this machine, the copies of the kernels
that older CPUs get, and every copy gives the inverses this process gives, bit for bit (NaN
payloads aside), through the whole package: dtypes, kernels, stacks with singular and NaN
matrices, structures, extended precision, float16 and longdouble. (The core crate's
crates/matinv/tests/isa_override.rs compares more cases, statuses included.)"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import matinv
from matinv import _isa

SETS = ("baseline", "avx2", "avx512")


def _widest():
    """The set a process without ``MATINV_ISA`` runs: this CPU's widest (the test process
    may run under a cap of its own)."""
    env = {k: v for k, v in os.environ.items() if k != "MATINV_ISA"}
    code = "import matinv; print(matinv.instruction_set())"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    return r.stdout.strip()


WIDEST = _widest()

# Computes every case into an .npz file named by argv[1], and prints the set that ran.
CASES = textwrap.dedent(
    """
    import sys, warnings
    import numpy as np
    import matinv

    rng = np.random.default_rng(11)
    out = {}
    for dtype in (np.float64, np.float32, np.complex128, np.complex64):
        for n, count in [(2, 9), (3, 9), (4, 9), (6, 9), (8, 9), (12, 9), (17, 5), (40, 3),
                         (64, 2), (100, 1)]:
            a = rng.standard_normal((count, n, n)) + 0.5 * np.eye(n)
            if np.dtype(dtype).kind == "c":
                a = a + 1j * rng.standard_normal((count, n, n))
            a = a.astype(dtype)
            if count > 2:
                a[1, -1] = a[1, 0]  # singular
                a[2, n // 2, n // 3] = np.nan
            x = matinv.inv_ex(a)
            key = f"{np.dtype(dtype).name}-{n}"
            out[key], out[key + "-info"], out[key + "-rcond"] = x.inv, x.info, x.rcond
    for assume_a in ("pos", "sym", "her", "upper triangular", "lower triangular"):
        for n in (5, 30):
            b = rng.standard_normal((3, n, n))
            a = b @ b.transpose(0, 2, 1) + n * np.eye(n)
            out[f"{assume_a}-{n}"] = matinv.inv(a, assume_a=assume_a)
    for n in (4, 20):
        a = rng.standard_normal((3, n, n)) + n * np.eye(n)
        out[f"extended-{n}"] = matinv.inv(a, precision="extended")
        out[f"float16-{n}"] = matinv.inv(a.astype(np.float16))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[f"longdouble-{n}"] = matinv.inv(a.astype(np.longdouble)).astype(np.float64)
    np.savez(sys.argv[1], **out)
    print("set", matinv.instruction_set())
    """
)


def run_cases(path, isa):
    env = dict(os.environ)
    env.pop("MATINV_ISA", None)
    if isa is not None:
        env["MATINV_ISA"] = isa
    r = subprocess.run(
        [sys.executable, "-c", CASES, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.split()[-1], dict(np.load(path))


BITS = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def same_bits(x, y):
    """Equal bit for bit, every NaN counting as one value."""
    if x.dtype != y.dtype or x.shape != y.shape:
        return False
    if x.dtype.kind == "c":
        return same_bits(x.real, y.real) and same_bits(x.imag, y.imag)
    nan = np.isnan(x)
    if not np.array_equal(nan, np.isnan(y)):
        return False
    bits = BITS[x.dtype.itemsize]
    return np.array_equal(x[~nan].view(bits), y[~nan].view(bits))


def test_the_set_is_one_of_three():
    assert WIDEST in SETS
    capped = os.environ.get("MATINV_ISA", "").strip().lower()
    if capped not in _isa.NAMES:
        assert matinv.instruction_set() == WIDEST


@pytest.mark.parametrize("isa", SETS)
def test_every_capped_set_gives_the_bits_of_the_widest(tmp_path, isa):
    if SETS.index(isa) > SETS.index(WIDEST):
        pytest.skip(f"this CPU has no {isa}")
    ran, capped = run_cases(tmp_path / "capped.npz", isa)
    assert ran == isa
    _, own = run_cases(tmp_path / "own.npz", None)
    assert set(capped) == set(own)
    differ = [k for k in own if not same_bits(own[k], capped[k])]
    assert not differ, f"MATINV_ISA={isa} changes {differ}"


def child_set(value):
    """(the set a child process with ``MATINV_ISA=value`` runs, its stderr)."""
    env = dict(os.environ, MATINV_ISA=value)
    code = "import matinv; print(matinv.instruction_set())"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip(), r.stderr


@pytest.mark.parametrize("value", [*_isa.NAMES, "SCALAR", " Avx2 ", "AVX-512", "\x1favx2\x1c"])
def test_known_names_cap_without_a_warning(value):
    named = {"scalar": "baseline", "avx-512": "avx512"}.get(value.strip().lower())
    named = named or value.strip().lower()
    ran, stderr = child_set(value)
    assert ran == SETS[min(SETS.index(named), SETS.index(WIDEST))]
    assert "MATINV_ISA" not in stderr


@pytest.mark.parametrize("value", ["sse9", "avx", "avx512f", "2"])
def test_unknown_names_warn_and_cap_nothing(value):
    ran, stderr = child_set(value)
    assert ran == WIDEST
    assert "RuntimeWarning: MATINV_ISA must be one of 'baseline', 'avx2' or 'avx512'" in stderr
    assert repr(value) in stderr


def test_threadpoolctl_shows_the_set():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    info = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "matinv"]
    assert [i["architecture"] for i in info] == [matinv.instruction_set()]
