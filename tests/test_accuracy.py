"""Accuracy of ``matinv.inv``, judged by LAPACK's test criterion for matrix inversion.

LAPACK's test suite (``xGET03``, used for ``xGETRI``) accepts a computed inverse ``X`` of an
``n x n`` matrix ``A`` when

    ratio = ||I - X A||_1 / (n * ||A||_1 * ||X||_1 * eps)  <  30

with ``eps = np.finfo(dtype).eps`` (LAPACK's own ``DLAMCH('Epsilon')`` is the unit roundoff,
half of that, so LAPACK would report ratios twice the ones here). Every case below inverts
the same matrix with ``matinv.inv`` and ``numpy.linalg.inv`` and requires, for matinv:

* ``ratio < 30``, and
* ``ratio <= max(4 * ratio_numpy, 1)``: never much worse than numpy on the same matrix (the
  floor of 1 keeps tiny ratios, far inside the criterion, from making the test flaky).
  Where numpy's own inverse is not finite (OpenBLAS overflows on some matrices scaled near
  underflow, where the true inverse is representable), only the first condition applies;
  the summary counts those matrices.

``test_scaled_overflow_edge`` goes closer to overflow than the other families (|A| ~ 2**1020,
so X has subnormal entries) where numpy itself sometimes fails the criterion; there matinv
is held to it only on the matrices where numpy meets it.

The residual is always computed in float64/complex128: float32/complex64 inputs and
results are widened first, but ``eps`` stays the one of the input dtype, since the inverse
is rounded to single precision. For matrices scaled near underflow/overflow by a power of
two ``s``, the residual is computed from ``A / s`` and ``X * s``: both are exact (powers of
two), ``X A`` is unchanged and the norms cannot overflow.

The worst ratio per dtype, for matinv and numpy, is printed in pytest's terminal summary
(no ``-s`` needed). Each case has a seed derived from its id; a failing case can be rebuilt
with ``make_case(family, variant, dtype, n)`` from this module.
"""

import zlib

import numpy as np
import pytest

import matinv

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
DTYPE_IDS = [np.dtype(t).name for t in DTYPES]

# 1-4: unrolled kernels; 5-16: SIMD lanes (real; looped from 9); 17-96: Gauss-Jordan (real,
# three steps per pass from 65), 5-32: unblocked LU (complex); from 97 (real) and 33
# (complex) blocked Gauss-Jordan, whose block width grows from 16 to 32 at n = 96 and to 64
# at 384 (sizes straddle each edge and several blocks); 269 is where one complex matrix
# starts using every thread.
SMALL_SIZES = [1, 2, 3, 4, 5, 8, 9, 13, 16, 17, 31, 32, 33, 63, 64, 65]
LARGE_SIZES = [95, 96, 97, 127, 128, 129, 191, 192, 193, 255, 256, 257, 269, 300, 385]
SIZES = SMALL_SIZES + LARGE_SIZES

THRESHOLD = 30.0  # LAPACK's default THRESH in its test input files
NUMPY_FACTOR = 4.0  # matinv may not be more than this much worse than numpy ...
NUMPY_FLOOR = 1.0  # ... unless its ratio is below this anyway


def eps_of(dtype):
    """``np.finfo(dtype).eps`` of the input dtype: 2**-23 for single, 2**-52 for double."""
    return float(np.finfo(dtype).eps)


def is_single(dtype):
    return np.dtype(dtype) in (np.dtype(np.float32), np.dtype(np.complex64))


def is_complex(dtype):
    return np.dtype(dtype).kind == "c"


def seed_of(case_id):
    return zlib.crc32(case_id.encode())


# --------------------------------------------------------------------------------------
# matrix generators: each takes (rng, n, dtype) and returns (A in float64/complex128, scale)
# where `scale` is the power of two A was multiplied by (1.0 for unscaled families).
# --------------------------------------------------------------------------------------


def gaussian(rng, shape, cplx):
    if cplx:
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)
    return rng.standard_normal(shape)


def haar(rng, n, cplx):
    """A random orthogonal/unitary matrix (QR of a Gaussian one, R's diagonal made positive)."""
    q, r = np.linalg.qr(gaussian(rng, (n, n), cplx))
    d = np.diagonal(r)
    return q * (d / np.abs(d))


def from_singular_values(rng, s, cplx):
    """U diag(s) V^H with random orthogonal/unitary U and V."""
    n = len(s)
    u = haar(rng, n, cplx)
    v = haar(rng, n, cplx)
    return (u * s) @ v.conj().T


def singular_values(mode, n, cond):
    """The singular value distributions of LAPACK's xLATMS, largest one 1."""
    if n == 1:
        return np.ones(1)
    i = np.arange(n)
    if mode == "geometric":  # MODE 3
        return cond ** (-i / (n - 1))
    if mode == "arithmetic":  # MODE 4
        return 1 - i / (n - 1) * (1 - 1 / cond)
    if mode == "one-small":  # MODE 2
        s = np.ones(n)
        s[-1] = 1 / cond
        return s
    if mode == "one-large":  # MODE 1
        s = np.full(n, 1 / cond)
        s[0] = 1
        return s
    raise ValueError(mode)


COND_MODES = ["geometric", "arithmetic", "one-small", "one-large"]


def cond_labels(dtype):
    """Condition numbers for a dtype: 1e1 ... up to 0.1/eps of the dtype (np.finfo eps)."""
    if is_single(dtype):
        return ["1e1", "1e4", "0.1_over_eps"]
    return ["1e1", "1e4", "1e8", "1e12", "0.1_over_eps"]


def cond_value(label, dtype):
    if label == "0.1_over_eps":
        return 0.1 / float(np.finfo(dtype).eps)
    return float(label)


def gen_cond(variant):
    mode, label = variant.split(":")

    def gen(rng, n, dtype):
        s = singular_values(mode, n, cond_value(label, dtype))
        return from_singular_values(rng, s, is_complex(dtype)), 1.0

    return gen


def gen_gaussian(rng, n, dtype):
    return gaussian(rng, (n, n), is_complex(dtype)), 1.0


def phases(rng, n, cplx):
    if cplx:
        return np.exp(2j * np.pi * rng.random(n))
    return rng.choice([-1.0, 1.0], n)


def gen_diagonal(permuted):
    def gen(rng, n, dtype):
        # magnitudes 10**[-e, e] such that the entries and their reciprocals are normal
        e = 18 if is_single(dtype) else 150
        d = 10.0 ** rng.uniform(-e, e, n) * phases(rng, n, is_complex(dtype))
        a = np.diag(d)
        if permuted:
            a = a[rng.permutation(n)]
        return a, 1.0

    return gen


def gen_triangular(upper, raw):
    """Triangular, diagonal of modulus in [1, 2]; off-diagonals N(0, 1) ("raw", condition
    numbers growing exponentially with n) or N(0, 1/n) ("mild", condition number ~5)."""

    def gen(rng, n, dtype):
        cplx = is_complex(dtype)
        off = gaussian(rng, (n, n), cplx)
        if not raw:
            off = off / np.sqrt(n)
        d = rng.uniform(1, 2, n) * phases(rng, n, cplx)
        tri = np.triu if upper else np.tril
        return tri(off, 1 if upper else -1) + np.diag(d), 1.0

    return gen


def scale_exponents(dtype):
    """Powers of two to scale by, the base matrix having singular values in [1, 2]: near
    underflow (the smallest normal is 2**-1022, float32 2**-126: at 2**-1020 most entries of
    A are subnormal, while X ~ 2**1020 is normal) and near overflow (X ~ 2**-1000 normal)."""
    if is_single(dtype):
        return [-120, -125, 120]
    return [-1000, -1020, 1000]


def edge_exponents(dtype):
    """Closer to overflow: |A| up to ~2**1020 (float32 2**125), so X ~ 2**-1020 (2**-125) has
    subnormal entries and LU has only a few binades of headroom for element growth."""
    return [125] if is_single(dtype) else [1020]


def gen_scaled(exponent):
    def gen(rng, n, dtype):
        s = rng.uniform(1, 2, n)
        base = from_singular_values(rng, s, is_complex(dtype))
        scale = 2.0**exponent
        return base * scale, scale

    return gen


def generator(family, variant):
    if family == "gaussian":
        return gen_gaussian
    if family == "cond":
        return gen_cond(variant)
    if family == "diagonal":
        return gen_diagonal(permuted=variant == "permuted")
    if family == "triangular":
        side, kind = variant.split("-")
        return gen_triangular(upper=side == "upper", raw=kind == "raw")
    if family == "scaled":
        return gen_scaled(int(variant))
    raise ValueError(family)


def case_id(family, variant, dtype, n):
    return f"{family}-{variant}-{np.dtype(dtype).name}-{n}"


def make_case(family, variant, dtype, n, seed=None):
    """The matrix of one case, as the test inverts it (in `dtype`), and its scale.

    Reproducer: ``a, s = make_case("cond", "geometric:1e8", np.float64, 129)``.
    """
    if seed is None:
        seed = seed_of(case_id(family, variant, dtype, n))
    rng = np.random.default_rng(seed)
    a, scale = generator(family, variant)(rng, n, dtype)
    return a.astype(dtype), scale


# --------------------------------------------------------------------------------------
# the criterion
# --------------------------------------------------------------------------------------


def accuracy_ratio(a, x, dtype, scale=1.0):
    """LAPACK's ratio ||I - X A||_1 / (n ||A||_1 ||X||_1 eps) for one matrix, computed in
    double precision; `scale` (a power of two) is divided out of A and multiplied into X.

    For a finite X that is anywhere near the inverse nothing here can overflow; only a wildly
    wrong X can, and its ratio is then reported as infinite (the case fails)."""
    wide = np.complex128 if is_complex(dtype) else np.float64
    with np.errstate(over="ignore", invalid="ignore"):
        a = a.astype(wide) / scale
        x = x.astype(wide) * scale
        n = a.shape[-1]
        resid = np.linalg.norm(np.eye(n) - x @ a, 1)
        anorm = np.linalg.norm(a, 1)
        xnorm = np.linalg.norm(x, 1)
        ratio = resid / (n * anorm * xnorm * eps_of(dtype))
    return float(ratio) if np.isfinite(ratio) else np.inf


def relative_to_numpy(r_matinv, r_numpy):
    """How much worse than numpy, with numpy's ratio floored as in the assertion."""
    return r_matinv / max(r_numpy, NUMPY_FLOOR / NUMPY_FACTOR)


class _Worst:
    """The worst ratios of one dtype."""

    def __init__(self):
        self.matrices = 0
        self.numpy_not_finite = []  # cases where only matinv's ratio could be checked
        self.numpy_fails = []  # edge cases skipped because numpy fails the criterion there
        self.matinv = (-1.0, "")
        self.numpy = (-1.0, "")
        self.vs_numpy = (0.0, 0.0, "")  # (ratio matinv, ratio numpy, case), by quotient
        # the same for n >= 127 only (tiny n reach ~0.5 just from rounding 1/a)
        self.large_matinv = (-1.0, "")
        self.large_numpy = (-1.0, "")

    def add(self, case, n, r_matinv, r_numpy):
        self.matrices += 1
        large = n >= LARGE_SIZES[0]
        if r_matinv > self.matinv[0]:
            self.matinv = (r_matinv, case)
        if large and r_matinv > self.large_matinv[0]:
            self.large_matinv = (r_matinv, case)
        if r_numpy is None:
            self.numpy_not_finite.append(case)
            return
        if r_numpy > self.numpy[0]:
            self.numpy = (r_numpy, case)
        if large and r_numpy > self.large_numpy[0]:
            self.large_numpy = (r_numpy, case)
        if relative_to_numpy(r_matinv, r_numpy) > relative_to_numpy(*self.vs_numpy[:2]):
            self.vs_numpy = (r_matinv, r_numpy, case)


_WORST = {}  # dtype name -> _Worst


def record(dtype, case, n, r_matinv, r_numpy):
    _WORST.setdefault(np.dtype(dtype).name, _Worst()).add(case, n, r_matinv, r_numpy)


def excluded(dtype, case):
    _WORST.setdefault(np.dtype(dtype).name, _Worst()).numpy_fails.append(case)


class _AccuracySummary:
    """A plugin registered while the tests run: prints the worst ratios in the summary."""

    def pytest_terminal_summary(self, terminalreporter):
        if not _WORST:
            return
        tr = terminalreporter
        tr.write_sep("=", "matinv accuracy: worst LAPACK inversion ratio per dtype")
        tr.write_line(
            "ratio = ||I - X A||_1 / (n ||A||_1 ||X||_1 eps), eps = np.finfo(input dtype).eps;"
            f" must be < {THRESHOLD:g}"
        )
        for name in DTYPE_IDS:
            if name not in _WORST:
                continue
            w = _WORST[name]
            tr.write_line(f"{name:>10} ({w.matrices} matrices)")
            for who in ("matinv", "numpy"):
                r, case = getattr(w, who)
                tr.write_line(f"{'':12}{who:>7}: {r:9.4f}  at {case}")
            for who in ("matinv", "numpy"):
                r, case = getattr(w, "large_" + who)
                if case:
                    tr.write_line(f"{'':12}{who:>7}, n >= {LARGE_SIZES[0]}: {r:9.4f}  at {case}")
            rm, rn, case = w.vs_numpy
            tr.write_line(
                f"{'':12}max of matinv / max(numpy, {NUMPY_FLOOR / NUMPY_FACTOR:g})"
                f" (fails above {NUMPY_FACTOR:g}): {relative_to_numpy(rm, rn):.2f}"
                f"  ({rm:.4f} vs {rn:.4f}) at {case}"
            )
            if w.numpy_fails:
                tr.write_line(
                    f"{'':12}not counted: {len(w.numpy_fails)} overflow-edge matrices on which"
                    f" numpy fails the criterion, e.g. {w.numpy_fails[0]}"
                )
            if w.numpy_not_finite:
                tr.write_line(
                    f"{'':12}numpy's inverse not finite for {len(w.numpy_not_finite)}"
                    f" matrices (matinv checked alone), e.g. {w.numpy_not_finite[0]}"
                )


@pytest.fixture(scope="session", autouse=True)
def _accuracy_summary(pytestconfig):
    name = "matinv-accuracy-summary"
    if not pytestconfig.pluginmanager.has_plugin(name):
        pytestconfig.pluginmanager.register(_AccuracySummary(), name)
    yield


def check(a, dtype, case, scales=None, numpy_first=False):
    """Invert `a` (one matrix or a stack) with both libraries and check every matrix.

    With `numpy_first`, a matrix on which numpy itself fails the criterion (or returns a
    non-finite inverse) is out of reach for a drop-in: it is counted, not checked."""
    x_numpy = np.linalg.inv(a)
    x_matinv = matinv.inv(a)
    assert x_matinv.dtype == x_numpy.dtype == np.dtype(dtype)
    assert x_matinv.shape == a.shape
    batch = a.shape[:-2]
    if scales is None:
        scales = np.ones(batch)
    failures = []
    for idx in np.ndindex(*batch):
        where = case + (f"[{', '.join(map(str, idx))}]" if idx else "")
        ai, xm, xn = a[idx], x_matinv[idx], x_numpy[idx]
        rn = accuracy_ratio(ai, xn, dtype, scales[idx]) if np.all(np.isfinite(xn)) else None
        if numpy_first and (rn is None or not rn < THRESHOLD):
            excluded(dtype, where)
            continue
        # Every other test matrix has a representable inverse and is far from singular.
        if not np.all(np.isfinite(xm)):
            shown = "not finite either" if rn is None else f"finite, ratio {rn:.4g}"
            failures.append(f"{where}: matinv's inverse is not finite (numpy's is {shown})")
            continue
        rm = accuracy_ratio(ai, xm, dtype, scales[idx])
        record(dtype, where, a.shape[-1], rm, rn)
        shown = "not finite" if rn is None else f"{rn:.4g}"
        if not rm < THRESHOLD:
            failures.append(f"{where}: ratio {rm:.4g} >= {THRESHOLD:g} (numpy: {shown})")
        elif rn is not None and not rm <= max(NUMPY_FACTOR * rn, NUMPY_FLOOR):
            failures.append(f"{where}: ratio {rm:.4g} much worse than numpy's {rn:.4g}")
    assert not failures, "\n".join(failures)


def run_case(family, variant, dtype, n, numpy_first=False):
    case = case_id(family, variant, dtype, n)
    a, scale = make_case(family, variant, dtype, n)
    check(a, dtype, f"{case} (seed {seed_of(case)})", np.full((), scale), numpy_first)


# --------------------------------------------------------------------------------------
# parametrization
# --------------------------------------------------------------------------------------


def params(family, variants_for, sizes=SIZES):
    """pytest params for every dtype x size x variant(dtype, n)."""
    out = []
    for dtype, name in zip(DTYPES, DTYPE_IDS):
        for n in sizes:
            for variant in variants_for(dtype, n):
                out.append(pytest.param(family, variant, dtype, n, id=f"{variant}-{name}-{n}"))
    return out


def cond_variants(dtype, n):
    labels = cond_labels(dtype)
    combos = [f"{mode}:{label}" for mode in COND_MODES for label in labels]
    if n in SMALL_SIZES:
        return combos
    # Large sizes: every mode, with the condition number rotating through the labels so that
    # each (mode, condition number) pair still occurs at some large size.
    k = LARGE_SIZES.index(n)
    return [f"{mode}:{labels[(k + m) % len(labels)]}" for m, mode in enumerate(COND_MODES)]


def triangular_variants(dtype, n):
    kinds = ["mild"] + (["raw"] if n <= 129 else [])
    return [f"{side}-{kind}" for kind in kinds for side in ("upper", "lower")]


ARGS = "family, variant, dtype, n"


@pytest.mark.parametrize(ARGS, params("gaussian", lambda dtype, n: ["randn"]))
def test_gaussian(family, variant, dtype, n):
    run_case(family, variant, dtype, n)


@pytest.mark.parametrize(ARGS, params("cond", cond_variants))
def test_condition_number(family, variant, dtype, n):
    run_case(family, variant, dtype, n)


@pytest.mark.parametrize(ARGS, params("diagonal", lambda dtype, n: ["plain", "permuted"]))
def test_diagonal_wide_range(family, variant, dtype, n):
    run_case(family, variant, dtype, n)


@pytest.mark.parametrize(ARGS, params("triangular", triangular_variants))
def test_triangular(family, variant, dtype, n):
    run_case(family, variant, dtype, n)


@pytest.mark.parametrize(
    ARGS, params("scaled", lambda dtype, n: [str(e) for e in scale_exponents(dtype)])
)
def test_scaled_near_underflow_overflow(family, variant, dtype, n):
    run_case(family, variant, dtype, n)


@pytest.mark.parametrize(
    ARGS, params("scaled", lambda dtype, n: [str(e) for e in edge_exponents(dtype)])
)
def test_scaled_overflow_edge(family, variant, dtype, n):
    # Both libraries can lose the inverse here (numpy too, e.g. float64 n=256); matinv is
    # held to the criterion wherever numpy meets it.
    run_case(family, variant, dtype, n, numpy_first=True)


# --------------------------------------------------------------------------------------
# stacks: the batched path, with every matrix of a stack from a different family
# --------------------------------------------------------------------------------------

STACK_SIZES = [2, 3, 4, 8, 12, 16, 33, 65, 193]


@pytest.mark.parametrize("n", [9, 12, 16])
def test_stacked_matrix_gets_its_own_bits_near_the_scaling_edge(n):
    # Real stacks of n <= 16 go through the SIMD lanes kernel, which redoes (scaled by a
    # power of two) each matrix that a single-matrix inverse would scale. Just below 2^601
    # the scaling's log2 rounds up: a review found stacks leaving those matrices unscaled,
    # and bits that differed from the same matrix inverted alone in 78 of 300 trials.
    rng = np.random.default_rng(601)
    top = np.nextafter(2.0**601, 0)
    for _ in range(40):
        m = top - int(rng.integers(0, 300)) * np.spacing(top)
        a = m * np.eye(n)
        a[2, 1] = 0.5 * m
        a[1, 0], a[2, 0] = rng.uniform(0.5, 1.5, 2) * 2.0**151
        alone = matinv.inv(a).view(np.uint64)
        for x in matinv.inv(np.repeat(a[None], 16, axis=0)):
            np.testing.assert_array_equal(x.view(np.uint64), alone)


def stack_members(dtype):
    cond = "1e8" if not is_single(dtype) else "0.1_over_eps"
    return [
        ("gaussian", "randn"),
        ("cond", f"geometric:{cond}"),
        ("diagonal", "permuted"),
        ("triangular", "lower-mild"),
        ("scaled", str(scale_exponents(dtype)[0])),
        ("cond", f"one-small:{cond}"),
        ("scaled", str(scale_exponents(dtype)[2])),
    ]


def make_stack(dtype, n, layout):
    """A (7, n, n) stack of matrices from the families above, in the memory layout asked."""
    seed = seed_of(f"stack-{layout}-{np.dtype(dtype).name}-{n}")
    rng = np.random.default_rng(seed)
    mats, scales = [], []
    for family, variant in stack_members(dtype):
        a, s = generator(family, variant)(rng, n, dtype)
        mats.append(a)
        scales.append(s)
    stack = np.array(mats).astype(dtype)
    if layout == "F":  # every matrix column-major
        stack = np.ascontiguousarray(stack.transpose(0, 2, 1)).transpose(0, 2, 1)
    elif layout == "strided":  # every other matrix of a larger buffer, inner stride 2
        buf = np.zeros((2 * len(mats), n, 2 * n), dtype=dtype)
        buf[::2, :, ::2] = stack
        stack = buf[::2, :, ::2]
    elif layout == "4d":  # a (1, 7, n, n) stack: two batch dimensions
        stack = stack.reshape((1,) + stack.shape)
        scales = [scales]
    assert np.array_equal(stack.reshape(-1, n, n), np.array(mats).astype(dtype))
    return stack, np.array(scales), seed


@pytest.mark.parametrize("layout", ["C", "F", "strided", "4d"])
@pytest.mark.parametrize("n", STACK_SIZES)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_stack(dtype, n, layout):
    stack, scales, seed = make_stack(dtype, n, layout)
    case = f"stack-{layout}-{np.dtype(dtype).name}-{n} (seed {seed})"
    check(stack, dtype, case, scales)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128], ids=["float64", "complex128"])
@pytest.mark.parametrize("n", [447, 448, 449, 767, 768, 769, 1535, 1536, 1537])
def test_around_the_threaded_threshold(dtype, n):
    """One real matrix uses every thread from n = 448 (complex from 269); the block width
    grows to 128 at n = 768 and to 256 at 1536."""
    a, s = make_case("gaussian", "randn", dtype, n)
    ratio = accuracy_ratio(a, matinv.inv(a), dtype, s)
    assert ratio < THRESHOLD
