"""Pivot choice against numpy's LAPACK: NaN and infinite entries, and exact singularity of
complex matrices.

numpy's ``inv`` runs LAPACK's ``gesv`` (``getrf`` + ``getrs``) from its bundled OpenBLAS.
For n <= 8 that ``getrf`` is ``getf2``, and matinv's kernels evaluate LU in its order and
pick its pivots, NaN included (OpenBLAS's ``i?amax`` returns a NaN, or the entry before it,
as its SSE2 kernels happen to: see ``kernels::amax``). The verdicts, raise or not, must be
numpy's; the inverse itself is computed as LAPACK's ``getri`` does, not by ``getrs``, so
values (and where NaN appears) can differ, and only finite results are compared.
"""

import numpy as np
import pytest

import matinv

LinAlgError = np.linalg.LinAlgError
NAN, INF = np.nan, np.inf
SUBNORMAL = 3 * 5e-324


def inv_or_none(f, a):
    try:
        with np.errstate(all="ignore"):
            return f(a)
    except LinAlgError:
        return None


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128, np.complex64])
def test_nan_pivot_is_not_singular(dtype):
    """The issue's example: numpy returns [[nan, nan], [0, 1]], matinv raised."""
    a = np.array([[NAN, 1], [0, 1]], dtype=dtype)
    expected = np.linalg.inv(a)
    got = matinv.inv(a)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_array_equal(got[1], expected[1])


@pytest.mark.parametrize(
    "a",
    [
        [[0, 1], [NAN, 1]],  # a zero pivot with NaN below: singular in numpy
        [[INF, 0], [INF, 0]],  # 1/inf scales the multipliers to zero, not NaN
    ],
    ids=["zero-over-nan", "inf-pivot"],
)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_nonfinite_singular_like_numpy(a, dtype):
    a = np.array(a, dtype=dtype)
    with pytest.raises(LinAlgError):
        np.linalg.inv(a)
    with pytest.raises(LinAlgError, match="^Singular matrix$"):
        matinv.inv(a)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_complex_rank3_example_raises(dtype):
    """The issue's rank-3 integer 4x4: numpy raises for it as complex, matinv did not."""
    a = np.array([[3, -5, -1, 1], [1, 6, -3, -1], [2, 2, -2, -2], [-1, 8, -2, -1]], dtype=dtype)
    with pytest.raises(LinAlgError):
        np.linalg.inv(a)
    with pytest.raises(LinAlgError, match="^Singular matrix$"):
        matinv.inv(a)


def random_nonfinite(rng, n, complex_):
    vals = np.array([0.0, 1.0, -1.0, 2.0, -2.0, NAN, INF, -INF, SUBNORMAL, 1e300])
    weights = np.array([4, 2, 2, 2, 2, 2, 1, 1, 0.2, 1])
    weights /= weights.sum()
    a = rng.choice(vals, (n, n), p=weights)
    if complex_:
        im = np.where(rng.random((n, n)) < 0.5, 0, rng.choice(vals, (n, n), p=weights))
        a = a + 1j * np.zeros((n, n))
        a.imag = im
    return a


def subnormal_pivot(a):
    """Whether numpy's getf2 may meet a subnormal pivot: matinv divides by it (right), where
    getf2 neither interchanges nor scales (a wrong inverse), so verdicts may differ."""
    with np.errstate(all="ignore"):
        m = np.abs(a.real) + np.abs(a.imag) if np.iscomplexobj(a) else np.abs(a)
    return bool(np.any((m > 0) & (m < np.finfo(float).tiny)))


@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
def test_nonfinite_verdicts_match_numpy(complex_):
    """Seeded differential test, n = 1..8: 1,500 matrices with 0, +-1, +-2, NaN, +-inf, 1e300
    and subnormal entries (those where a subnormal could be a pivot left out): numpy's raise
    / no-raise verdict everywhere; a finite inverse wherever numpy's is finite, and close to
    numpy's where the matrix holds only 0, +-1, +-2."""
    rng = np.random.default_rng(20261201 + complex_)
    checked = 0
    for _ in range(1500):
        n = int(rng.integers(1, 9))
        a = random_nonfinite(rng, n, complex_)
        if subnormal_pivot(a):
            continue
        expected, got = inv_or_none(np.linalg.inv, a), inv_or_none(matinv.inv, a)
        assert (expected is None) == (got is None), a.tolist()
        checked += 1
        if expected is not None and np.all(np.isfinite(expected)):
            assert np.all(np.isfinite(got)), a.tolist()
            if np.all(np.abs(a) <= 2):
                np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    assert checked > 1000


def low_rank(rng, n, complex_):
    r = int(rng.integers(1, n))
    b, c = rng.integers(-5, 6, (n, r)), rng.integers(-5, 6, (r, n))
    if complex_:
        b = b + 1j * rng.integers(-5, 6, (n, r))
        c = c + 1j * rng.integers(-5, 6, (r, n))
    return (b @ c).astype(np.complex128 if complex_ else np.float64)


def openblas_architectures():
    """The kernel families of the OpenBLAS builds numpy loaded ('SkylakeX', 'Haswell', ...)."""
    from threadpoolctl import threadpool_info

    return {i.get("architecture") for i in threadpool_info() if i.get("internal_api") == "openblas"}


# matinv's complex order is that of OpenBLAS's AVX-512 zgetf2 kernels ('SkylakeX'); its
# Haswell kernels (AVX2 CPUs such as AMD EPYC Zen 1) round differently: there numpy and
# matinv disagreed on 91 to 169 of 1,000 such matrices for each n = 2, 3, 4, 5, 8.
@pytest.mark.skipif(
    openblas_architectures() != {"SkylakeX"},
    reason="verdicts follow OpenBLAS's SkylakeX zgetf2 only",
)
@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_low_rank_complex_integer_verdicts_match_numpy(n):
    """Exactly singular complex integer matrices (products of n x r and r x n ones, parts in
    [-5, 5], r < n): whether LU meets an exact zero pivot depends on every rounding, and
    matinv's kernel rounds as numpy's zgetf2 does. (Real ones do not agree yet: numpy's
    dgetf2 fuses multiply-adds, matinv's real kernels do not.)"""
    rng = np.random.default_rng(1000 * n + 1)
    raised = 0
    for _ in range(300):
        a = low_rank(rng, n, True)
        expected, got = inv_or_none(np.linalg.inv, a), inv_or_none(matinv.inv, a)
        assert (expected is None) == (got is None), a.tolist()
        raised += expected is None
    assert raised > 0


@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8])
def test_nonfinite_verdicts_in_stacks_match_numpy(n, dtype, layout):
    """The same in stacks, where real matrices of order <= 16 go through the SIMD lanes
    kernel a group at a time (C order: whole-row transposes; Fortran order: gathered entry
    by entry): a group holding NaN or an infinity goes through the scalar kernel, so each
    matrix gets numpy's verdict (``inv_ex``'s ``info``), and ``inv`` of the stack raises
    exactly when numpy raises for one of its matrices."""
    rng = np.random.default_rng(77 * n + (dtype == np.float32))
    with np.errstate(all="ignore"):  # 1e300 overflows float32
        mats = [a.astype(dtype) for a in (random_nonfinite(rng, n, False) for _ in range(800))]
    mats = [a for a in mats if not subnormal_pivot(a)]
    # Finite matrices among them, so that groups mix both kinds.
    finite = rng.integers(-2, 3, (len(mats), n, n)) + 3 * n * np.eye(n)
    stack = np.where(rng.random(len(mats))[:, None, None] < 0.5, np.array(mats), finite)
    stack[::37, :, 0] = 0  # singular whatever else they hold
    stack = stack.astype(dtype)
    if layout == "F":
        stack = np.asfortranarray(stack.transpose(0, 2, 1)).transpose(0, 2, 1)
    expected = [inv_or_none(np.linalg.inv, a) for a in stack]
    with np.errstate(all="ignore"):
        x, info, _ = matinv.inv_ex(stack)
    for k, want in enumerate(expected):
        assert (want is None) == (info[k] > 0), (k, stack[k].tolist())
        if want is not None and np.all(np.isfinite(want)):
            assert np.all(np.isfinite(x[k])), (k, stack[k].tolist())
    any_singular = any(e is None for e in expected)
    assert (inv_or_none(matinv.inv, stack) is None) == any_singular
    ok = np.array([e is not None for e in expected])
    assert ok.sum() > 100 and (~ok).sum() >= 2
    assert inv_or_none(matinv.inv, stack[ok]) is not None
