"""precision="extended" (double-double) and the dtypes numpy refuses (float16, longdouble,
clongdouble), against exact references: the inverse of the matrix as stored, computed in
rational arithmetic (`fractions`, n <= 14) or by mpmath at 80 digits (n up to 100).

The accuracy asked of extended precision (issue 27): for a float64 matrix of 1-norm
condition number `cond`, a normwise relative error (1-norm) at most
``max(2 eps, cond 1e-30)`` (so cond 1e16: 14 correct digits, 1e20: 10, 1e28: 2), and for
cond <= 1e12 at least 95% of the entries within one ulp of the exact inverse.
"""

from __future__ import annotations

import random
import warnings
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import pytest
from numpy.linalg import LinAlgError

import matinv
from exact_reference import Exact, exact_inverse, norm1

EPS = float(np.finfo(np.float64).eps)
X87 = np.finfo(np.longdouble).nmant == 63


def mp_inverse(a: np.ndarray, dps: int = 80) -> Exact:
    """The inverse of the stored `a` by mpmath at `dps` digits (float64 or complex128
    entries are exact in it)."""
    with mpmath.workdps(dps):
        if a.dtype.kind == "c":
            m = mpmath.matrix(
                [[mpmath.mpc(float(x.real), float(x.imag)) for x in row] for row in a]
            )
        else:
            m = mpmath.matrix([[mpmath.mpf(float(x)) for x in row] for row in a])
        inv = m**-1
        return [[inv[i, j] for j in range(a.shape[0])] for i in range(a.shape[0])]


def to_fraction(x: Any) -> Any:
    if isinstance(x, (np.floating, float)):
        return Fraction(*x.as_integer_ratio())
    return x


def rel_error(x: np.ndarray, ref: Exact) -> float:
    """``||x - ref||_1 / ||ref||_1``, exactly (Fractions) or at mpmath's precision."""
    n = len(ref)
    exact = isinstance(ref[0][0], Fraction)
    with mpmath.workdps(80):

        def value(v: Any) -> Any:
            if exact:
                return Fraction(*v.as_integer_ratio())
            return mpmath.mpf(float(v)) if np.isrealobj(v) else mpmath.mpc(complex(v))

        diff = [[value(x[i, j]) - ref[i][j] for j in range(n)] for i in range(n)]
        return float(norm1(diff) / norm1(ref))


def cond1(a: np.ndarray, ref: Exact) -> float:
    n = a.shape[0]
    with mpmath.workdps(80):
        an = max(sum(abs(to_fraction(a[i, j])) for i in range(n)) for j in range(n))
        return float(an * norm1(ref))


def within_one_ulp(x: np.ndarray, ref: Exact) -> float:
    """The fraction of entries of `x` within one ulp (of their dtype, at the exact value)
    of the exact inverse."""
    n = len(ref)
    hits = 0
    for i in range(n):
        for j in range(n):
            # The spacing at the computed value (the exact one's, but at a power of two).
            ulp = Fraction(*np.spacing(abs(x[i, j])).as_integer_ratio())
            hits += abs(Fraction(*x[i, j].as_integer_ratio()) - ref[i][j]) <= ulp
    return hits / (n * n)


def allowed(cond: float) -> float:
    return max(2 * EPS, cond * 1e-30)


def hilbert(n: int, dtype: Any = np.float64) -> np.ndarray:
    one = dtype(1)
    return np.array([[one / dtype(i + j + 1) for j in range(n)] for i in range(n)], dtype=dtype)


def unimodular(n: int, m: int, rng: random.Random) -> np.ndarray:
    """An integer matrix of determinant +-1 (unit lower times unit upper triangular, rows
    permuted) with entries below 2^53, exactly stored in float64: its condition number
    grows with `m` far beyond 1/eps, which rounded products cannot reach."""
    low = [
        [1 if i == j else rng.randint(-m, m) if i > j else 0 for j in range(n)] for i in range(n)
    ]
    up = [[1 if i == j else rng.randint(-m, m) if i < j else 0 for j in range(n)] for i in range(n)]
    a = [[sum(low[i][k] * up[k][j] for k in range(n)) for j in range(n)] for i in range(n)]
    perm = list(range(n))
    rng.shuffle(perm)
    assert max(abs(v) for row in a for v in row) < 2**53
    return np.array([a[p] for p in perm], dtype=np.float64)


def with_condition(n: int, cond: float, rng: np.random.Generator, complex_: bool = False):
    """A random matrix with singular values from 1 to 1/cond (its stored condition
    number is near `cond` for cond up to about 1e14)."""

    def orthogonal() -> np.ndarray:
        z = rng.standard_normal((n, n))
        if complex_:
            z = z + 1j * rng.standard_normal((n, n))
        return np.linalg.qr(z)[0]

    return (orthogonal() * np.logspace(0, -np.log10(cond), n)) @ orthogonal()


# --- float64: accuracy against the exact inverse -------------------------------------


@pytest.mark.parametrize("n", range(2, 15))
def test_hilbert_against_the_exact_inverse(n):
    a = hilbert(n)
    ref = exact_inverse(a)
    cond = cond1(a, ref)
    x = matinv.inv(a, precision="extended")
    err = rel_error(x, ref)
    assert err <= allowed(cond), (n, cond, err)
    if cond <= 1e12:
        assert within_one_ulp(x, ref) >= 0.95
    # numpy's error for comparison: beyond cond 1e12 it has lost what extended keeps.
    if cond >= 1e14:
        assert rel_error(np.linalg.inv(a), ref) > 100 * err


def test_conditions_from_1e2_to_1e30():
    # Unimodular integer matrices, n = 4..7, one per decade of condition number reached.
    rng = random.Random(7)
    seen: dict[int, tuple[float, float]] = {}
    for _ in range(400):
        n = rng.randint(4, 7)
        a = unimodular(n, rng.choice([2, 5, 10, 30, 100, 300, 1000]), rng)
        ref = exact_inverse(a)
        cond = cond1(a, ref)
        decade = int(np.log10(cond))
        if decade > 30 or decade in seen:
            continue
        err = rel_error(matinv.inv(a, precision="extended"), ref)
        seen[decade] = (cond, err)
        assert err <= allowed(cond), (n, cond, err)
    assert {2, 6, 12, 16, 20, 24, 28} <= set(seen), sorted(seen)


@pytest.mark.parametrize("cond", [1e2, 1e6, 1e10, 1e12])
@pytest.mark.parametrize("complex_", [False, True])
def test_random_matrices_every_entry_within_an_ulp(cond, complex_):
    rng = np.random.default_rng(int(np.log10(cond)) + 100 * complex_)
    a = with_condition(12, cond, rng, complex_)
    ref = mp_inverse(a)
    x = matinv.inv(a, precision="extended")
    err = rel_error(x, ref)
    assert err <= 2 * EPS, (cond, err)
    if not complex_:
        assert within_one_ulp(x, [[to_fraction_mp(v) for v in row] for row in ref]) >= 0.95


def to_fraction_mp(v: Any) -> Fraction:
    """An mpmath number (80 digits) as a Fraction: exact enough to count ulps of doubles."""
    sign, man, exp, _ = v._mpf_
    return Fraction((-1) ** sign * int(man)) * Fraction(2) ** int(exp)


# From n = 96 the real kernel takes 8 pivot steps per pass, each entry's updates one
# double-double sum of exact products (kernels/gauss_jordan_dd.rs): n = 100 is 12 groups
# and a short one, n = 130 16 and a short one.
@pytest.mark.parametrize(("n", "cond", "seed"), [(100, 1e10, 5), (130, 1e12, 6)])
def test_against_mpmath(n, cond, seed):
    a = with_condition(n, cond, np.random.default_rng(seed))
    ref = mp_inverse(a, dps=60)
    err = rel_error(matinv.inv(a, precision="extended"), ref)
    assert err <= 2 * EPS, err
    assert rel_error(np.linalg.inv(a), ref) > 10 * err


def test_grouped_passes_threaded_give_one_threads_bits():
    # n = 256: the grouped passes' rows shared among 4 threads (from n = 182 for fewer
    # matrices than threads), one matrix and a stack of two, against one thread.
    rng = np.random.default_rng(7)
    a = rng.standard_normal((2, 256, 256))
    with matinv.threads(4):
        x = matinv.inv(a, precision="extended")
        one = matinv.inv(a[1], precision="extended")
    with matinv.threads(1):
        alone = matinv.inv(a, precision="extended")
    np.testing.assert_array_equal(x[1], one)
    np.testing.assert_array_equal(alone, x)
    assert np.linalg.norm(one @ a[1] - np.eye(256), 1) < 1e-12


def test_graded_and_badly_scaled():
    # Column scalings by powers of two (exact) across 2^+-500 leave partial pivoting's
    # choices and every rounding as they were: the inverse is the scaled inverse, bit for
    # bit; row scalings change the pivots, and the error stays within the bound.
    rng = np.random.default_rng(3)
    h = hilbert(8)
    want = matinv.inv(h, precision="extended")
    d2 = 2.0 ** rng.integers(-500, 500, 8)
    np.testing.assert_array_equal(matinv.inv(h * d2, precision="extended"), want / d2[:, None])
    for s in (2.0**1000, 2.0**-960):
        np.testing.assert_array_equal(matinv.inv(h * s, precision="extended"), want / s)
    d1 = 2.0 ** rng.integers(-60, 60, 8)
    graded = d1[:, None] * h
    ref = exact_inverse(graded)
    assert rel_error(matinv.inv(graded, precision="extended"), ref) <= allowed(cond1(graded, ref))


def test_complex_hermitian_and_general():
    rng = np.random.default_rng(11)
    a = with_condition(10, 1e9, rng, complex_=True)
    ref = mp_inverse(a)
    assert rel_error(matinv.inv(a, precision="extended"), ref) <= 2 * EPS
    b = with_condition(10, 1e4, rng, complex_=True)
    hpd = b @ b.conj().T  # cond about 1e8; its diagonal's rounded imaginary parts ignored
    x = matinv.inv(hpd, assume_a="pos", precision="extended")
    np.testing.assert_array_equal(x, x.conj().T)
    implied = np.triu(hpd, 1) + np.triu(hpd, 1).conj().T + np.diag(np.diag(hpd).real)
    assert rel_error(x, mp_inverse(implied)) <= 2 * EPS


# --- the contract: layouts, stacks, structures, errors -------------------------------


def test_every_layout_gives_the_same_bits():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4, 6, 6))
    want = matinv.inv(a, precision="extended")
    for view in (
        np.asfortranarray(a),
        a[::-1][::-1],
        np.ascontiguousarray(a.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2),
        np.pad(a, ((0, 0), (0, 0), (1, 1), (2, 2)))[:, :, 1:-1, 2:-2],
    ):
        np.testing.assert_array_equal(matinv.inv(view, precision="extended"), want)
    # Broadcast (zero strides) and float32 (computed in double-double, rounded once).
    b = np.broadcast_to(a[0, 0], (5, 6, 6))
    np.testing.assert_array_equal(matinv.inv(b, precision="extended"), np.stack([want[0, 0]] * 5))
    f = a.astype(np.float32)
    x32 = matinv.inv(f, precision="extended")
    assert x32.dtype == np.float32
    np.testing.assert_array_equal(
        x32, matinv.inv(f.astype(np.float64), precision="extended").astype(np.float32)
    )


def test_stack_matches_matrix_by_matrix_and_threads():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((300, 5, 5))
    x = matinv.inv(a, precision="extended")
    for k in (0, 17, 299):
        np.testing.assert_array_equal(x[k], matinv.inv(a[k], precision="extended"))
    before = matinv.get_num_threads()
    matinv.set_num_threads(1)
    try:
        np.testing.assert_array_equal(matinv.inv(a, precision="extended"), x)
    finally:
        matinv.set_num_threads(before)


def test_singular_is_an_exact_zero_pivot():
    with pytest.raises(LinAlgError, match="Singular matrix"):
        matinv.inv([[1.0, 2.0], [2.0, 4.0]], precision="extended")
    x, info, rcond = matinv.inv_ex(
        np.array([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 0.0], [0.0, 4.0]]]), precision="extended"
    )
    assert info.tolist() == [2, 0]
    assert rcond[0] == 0 and rcond[1] == 0.5
    assert np.isnan(x[0]).all() and x[1].tolist() == [[0.5, 0.0], [0.0, 0.25]]
    # Singular in double arithmetic's LU but not exactly: extended inverts it.
    a = np.array([[1.0, 1.0], [1.0, 1.0 + 2**-52]])
    np.testing.assert_array_equal(
        matinv.inv(a, precision="extended"), [[1.0 + 2**52, -(2.0**52)], [-(2.0**52), 2.0**52]]
    )


@pytest.mark.parametrize(
    "assume_a",
    ["general", "diagonal", "upper triangular", "lower triangular", "pos", "sym", "her", "auto"],
)
def test_structures(assume_a):
    rng = np.random.default_rng(2)
    g = rng.standard_normal((7, 7))
    spd = g @ g.T + 7 * np.eye(7)
    implied = {
        "diagonal": np.diag(np.diag(spd)),
        "upper triangular": np.triu(spd),
        "lower triangular": np.tril(spd),
    }.get(assume_a, spd)
    x = matinv.inv(spd, assume_a=assume_a, precision="extended")
    ref = exact_inverse(implied)
    assert rel_error(x, ref) <= 2 * EPS
    if assume_a in ("diagonal", "upper triangular", "lower triangular"):
        np.testing.assert_array_equal(x == 0, implied == 0)
    if assume_a in ("pos", "sym", "her"):
        np.testing.assert_array_equal(x, x.T)


def test_not_positive_definite_and_triangular_info():
    with pytest.raises(LinAlgError, match="not positive definite"):
        matinv.inv([[1.0, 2.0], [2.0, 1.0]], assume_a="pos", precision="extended")
    _, info, _ = matinv.inv_ex(
        np.array([[1.0, 2.0], [2.0, 1.0]]), assume_a="pos", precision="extended"
    )
    assert info == 2
    _, info, _ = matinv.inv_ex(
        np.array([[1.0, 5.0, 1.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]),
        assume_a="upper triangular",
        precision="extended",
    )
    assert info == 2  # trtri's: the first zero on the diagonal
    # 'sym' with a positive diagonal that is not definite: LU, still accurate.
    a = np.array([[1.0, 2.0], [2.0, 1.0]])
    rounded = [[float(v) for v in row] for row in exact_inverse(a)]
    np.testing.assert_array_equal(matinv.inv(a, assume_a="sym", precision="extended"), rounded)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix
def test_out_overwrite_and_subclasses():
    a = hilbert(9)
    want = matinv.inv(a, precision="extended")
    out = np.empty_like(a)
    assert matinv.inv(a, out=out, precision="extended") is out
    np.testing.assert_array_equal(out, want)
    b = a.copy()
    x = matinv.inv(b, overwrite_a=True, precision="extended")
    np.testing.assert_array_equal(x, want)
    m = matinv.inv(np.matrix(a), precision="extended")
    assert type(m) is np.matrix
    np.testing.assert_array_equal(np.asarray(m), want)


def test_errstate_judges_by_double_double():
    a = hilbert(12)  # cond about 1e16: below eps of float64, far above double-double's
    with matinv.errstate(ill_conditioned="raise"):
        with pytest.raises(LinAlgError, match="Ill-conditioned"):
            matinv.inv(a)
        matinv.inv(a, precision="extended")
        with pytest.raises(LinAlgError, match="double-double"):
            matinv.inv(unimodular(8, 1000, random.Random(3)), precision="extended")


def test_unknown_precision_is_a_value_error_first():
    with pytest.raises(
        ValueError, match="precision must be one of 'working', 'extended'; got 'quad'"
    ):
        matinv.inv("not an array", precision="quad")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="precision must be one of"):
        matinv.inv_ex(np.eye(2), precision=None)  # type: ignore[arg-type]


# --- the dtypes numpy refuses ---------------------------------------------------------


def test_float16_is_computed_in_double_and_rounded_once():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((10, 4, 4)).astype(np.float16)
    with pytest.raises(TypeError, match="float16"):
        np.linalg.inv(a)
    x = matinv.inv(a)
    assert x.dtype == np.float16
    np.testing.assert_array_equal(x, matinv.inv(a.astype(np.float64)).astype(np.float16))
    xe = matinv.inv(a, precision="extended")
    np.testing.assert_array_equal(
        xe, matinv.inv(a.astype(np.float64), precision="extended").astype(np.float16)
    )
    with pytest.raises(LinAlgError, match="Singular"):
        matinv.inv(np.ones((2, 2), np.float16))
    r = matinv.inv_ex(np.ones((3, 2, 2), np.float16))
    assert r.info.tolist() == [2, 2, 2] and r.inv.dtype == np.float16
    # Non-native byte order and out=.
    be = a.astype(">f2")
    np.testing.assert_array_equal(matinv.inv(be), x)
    out = np.empty_like(x)
    assert matinv.inv(a, out=out) is out


x87 = pytest.mark.skipif(not X87, reason="longdouble is not x86's 80-bit format here")


@x87
@pytest.mark.parametrize("n", [2, 4, 6, 8])
def test_longdouble_hilbert_in_its_own_terms(n):
    a = hilbert(n, np.longdouble)
    ref = exact_inverse(a)
    x = matinv.inv(a)
    assert x.dtype == np.longdouble
    err = rel_error(x, ref)
    eps_ld = float(np.finfo(np.longdouble).eps)
    assert err <= 2 * eps_ld, (n, err)
    assert within_one_ulp(x, ref) >= 0.95


@x87
def test_longdouble_beyond_doubles_range():
    # Entries near 2^+-13000 (1e+-3900): no double holds them, the scaled pairs do; a
    # power-of-two scale changes nothing else.
    h = hilbert(5, np.longdouble) + np.longdouble(1) / 3
    want = matinv.inv(h)
    for e in (-13000, 13000):
        x = matinv.inv(np.ldexp(h, e))
        np.testing.assert_array_equal(x, np.ldexp(want, -e))


@x87
def test_clongdouble_and_structures():
    rng = np.random.default_rng(8)
    z = (rng.standard_normal((5, 5)) + 1j * rng.standard_normal((5, 5))).astype(np.clongdouble)
    z = z + np.clongdouble(1) / 3  # entries with bits beyond double
    x = matinv.inv(z)
    assert x.dtype == np.clongdouble
    eye = x @ z
    assert np.abs(eye - np.eye(5)).max() < 100 * np.finfo(np.longdouble).eps
    a = hilbert(6, np.longdouble)
    xp = matinv.inv(a, assume_a="pos")
    np.testing.assert_array_equal(xp, xp.T)
    assert rel_error(xp, exact_inverse(a)) <= 2 * float(np.finfo(np.longdouble).eps)
    r = matinv.inv_ex(np.ones((2, 2), np.longdouble))
    assert r.info == 2 and np.isnan(r.inv).all() and r.inv.dtype == np.longdouble
    with pytest.raises(LinAlgError, match="Singular"):
        matinv.inv(np.ones((2, 2), np.longdouble))


@x87
@pytest.mark.parametrize(
    "assume_a, junk_at", [("upper triangular", (1, 0)), ("diagonal", (0, 1)), ("pos", (1, 0))]
)
def test_longdouble_scaling_ignores_what_the_structure_does_not_read(assume_a, junk_at):
    # Review of issue 27: a huge entry where the structure reads nothing set the scale,
    # and the entries read underflowed ("Singular matrix").
    a = np.array([[2, 1], [1, 4]], dtype=np.longdouble)
    a[junk_at] = np.longdouble("1e400")
    clean = a.copy()
    clean[junk_at] = 0 if assume_a != "pos" else clean[junk_at[::-1]]
    want = matinv.inv(clean, assume_a=assume_a)
    np.testing.assert_array_equal(matinv.inv(a, assume_a=assume_a), want)


@x87
def test_longdouble_entries_spread_beyond_doubles_range():
    # Review of issue 27: one scale per matrix left 1e-400 at zero in double.
    ld = np.longdouble
    x = matinv.inv(np.diag([ld(1), ld("1e-400")]))
    assert x[0, 0] == 1 and x[1, 1] == 1 / ld("1e-400") and x[0, 1] == x[1, 0] == 0
    # Rows and columns scaled by up to 2^+-6000 (exact): the inverse is scaled back.
    h = hilbert(6, ld) + ld(1) / 3
    er = np.array([-6000, 0, 5000, 17, -3, 6000])
    ec = np.array([3000, -6000, 0, 3, 6000, -1])
    scaled = np.ldexp(np.ldexp(h, er[:, None]), ec[None, :])
    want = np.ldexp(np.ldexp(matinv.inv(h), -ec[:, None]), -er[None, :])
    got = matinv.inv(scaled)
    assert np.all(np.abs(got - want) <= 4 * np.finfo(ld).eps * np.abs(want))
    p = hilbert(5, ld)  # positive definite, scaled symmetrically
    d = np.array([-5000, 0, 5000, 100, -100])
    sp = np.ldexp(np.ldexp(p, d[:, None]), d[None, :])
    xp = matinv.inv(sp, assume_a="pos")
    np.testing.assert_array_equal(xp, xp.T)
    wp = np.ldexp(np.ldexp(matinv.inv(p, assume_a="pos"), -d[:, None]), -d[None, :])
    assert np.all(np.abs(xp - wp) <= 4 * np.finfo(ld).eps * np.abs(wp))


def _round_fraction(q: Fraction, dtype: Any) -> Any:
    """`q` correctly rounded to `dtype` (float32 or float16), ties to even."""
    f = dtype(float(q))
    candidates = [np.nextafter(f, dtype(-np.inf)), f, np.nextafter(f, dtype(np.inf))]

    def distance_then_odd(c: Any) -> tuple[Fraction, int]:
        return abs(Fraction(*c.item().as_integer_ratio()) - q), int(c.view(f"u{c.itemsize}")) & 1

    return min(candidates, key=distance_then_odd)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_single_and_half_precision_are_rounded_once(dtype):
    # Review of issue 27: x00 = 1 / (15 + 240 j) for j near 2^24 / 2^11 lies near the
    # middle of two single (half) precision numbers; rounding the double first, then to
    # the narrower type, rounded half of them the wrong way.
    big = 2 ** (24 if dtype == np.float32 else 11)
    wrong = 0
    for j in range(big - 25, big + 25):
        a = np.array([[15, -240], [j, 1]], dtype=dtype)
        if not np.isfinite(a).all() or a[1, 0] != j:
            continue
        x = matinv.inv(a, precision="extended")
        assert x.dtype == dtype
        ref = exact_inverse(a.astype(np.float64))
        want = [[_round_fraction(q, dtype) for q in row] for row in ref]
        wrong += not np.array_equal(x, np.array(want, dtype=dtype))
    assert wrong == 0


def test_overflowing_inverse_is_infinite_not_nan():
    # Review of issue 27: the double-double reciprocal of 3e-310 was NaN; numpy gives inf.
    x = matinv.inv(np.diag([1.0, 3e-310]), precision="extended")
    assert x[1, 1] == np.inf and x[0, 0] == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = matinv.inv(np.array([[1e-6, 0], [0, 1]], np.float16))
    assert h[0, 0] == np.inf


def test_svd_and_cond_still_refuse_float16():
    with pytest.raises(TypeError, match="float16"):
        matinv.cond(np.eye(2, dtype=np.float16))
