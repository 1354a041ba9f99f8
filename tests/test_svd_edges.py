"""``svd``, ``svdvals`` and ``cond`` at the edges: the ends of the float range, Hermitian
input with an imaginary diagonal, and results that must not depend on the thread count.

Reference: numpy (LAPACK), which scales matrices whose largest entry lies outside
``[sqrt(safmin) / eps, eps / sqrt(safmin)]`` before the decomposition and the singular
values back after it; ``heevd`` ignores the imaginary part of a Hermitian diagonal.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import matinv

PS = [None, 2, -2, 1, -1, np.inf, -np.inf, "fro", "nuc"]
SIZES = [2, 5, 40]
SCALES = [1e-308, 3e-308, 1e-300, 1e-200, 1e155, 1e200, 1e300, "1e308/n"]


def orthogonal(n, dtype, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n))
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal((n, n))
    q, _ = np.linalg.qr(a)
    return q.astype(dtype)


def scale(s, n):
    return 1e308 / n if s == "1e308/n" else s


def numpy_svd(a, **kw):
    return np.linalg.svd(a, **kw)


def check_factors(a, u, s, vh, tol):
    """``u``, ``vh`` unitary and ``u diag(s) vh = a``, relative to the largest ``s``."""
    k = s.shape[-1]
    assert_allclose(u.conj().T @ u, np.eye(u.shape[-1]), atol=tol)
    assert_allclose(vh @ vh.conj().T, np.eye(vh.shape[-2]), atol=tol)
    top = s[0]
    rebuilt = (u[:, :k] * (s / top)) @ vh[:k, :]
    assert_allclose(rebuilt, a / top, atol=tol)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("s", SCALES)
def test_scaled_orthogonal_matrices_match_numpy(s, n, dtype):
    s = scale(s, n)
    q = orthogonal(n, dtype, seed=n)
    a = q * s
    want = numpy_svd(a, compute_uv=False)
    # The singular values of q * s are all s (up to the rounding of a's entries).
    assert_allclose(want, s, rtol=1e-12)
    assert_allclose(matinv.svdvals(a), want, rtol=1e-12)
    assert_allclose(matinv.svd(a, compute_uv=False), want, rtol=1e-12)
    for full in (True, False):
        u, got, vh = matinv.svd(a, full_matrices=full)
        assert_allclose(got, want, rtol=1e-12)
        check_factors(a, u, got, vh, 1e-12)
    for p in (None, 2, -2):
        assert_allclose(matinv.cond(a, p), np.linalg.cond(a, p), rtol=1e-12, err_msg=str(p))
    # The Frobenius norm over- or underflows (squares of the entries) as numpy's does, for
    # every matrix here: the same inf.
    assert_array_equal(matinv.cond(a, "fro"), np.linalg.cond(a, "fro"))
    assert matinv.cond(a, "fro") == np.inf
    # The others are norm(a) * norm(inv(a)), with inv(a) = inv(q) / s. numpy's inverse of a
    # matrix with subnormal entries (s <= 3e-308) can be inf or wrong, so the reference is
    # the exact inverse's norm, inf where it overflows.
    for p in (1, -1, np.inf, -np.inf, "nuc"):
        with np.errstate(over="ignore"):
            want_c = np.linalg.norm(a, p) * (np.linalg.norm(np.linalg.inv(q), p) / s)
        assert_allclose(matinv.cond(a, p), want_c, rtol=1e-10, err_msg=str(p))
        if s > 1e-300:
            assert_allclose(matinv.cond(a, p), np.linalg.cond(a, p), rtol=1e-12, err_msg=str(p))


def test_readme_subnormal_cond_example():
    q = orthogonal(5, np.float64, 5)
    assert_allclose(matinv.cond(q * 3e-308, 1), np.linalg.cond(q, 1), rtol=1e-12)
    assert_allclose(matinv.cond(q * 3e-308, 1), 4.195049564309453, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("s", SCALES)
def test_scaled_hermitian_matrices_match_numpy(s, n, dtype):
    s = scale(s, n)
    q = orthogonal(n, dtype, seed=n + 1)
    w = np.linspace(-1, 1, n) + 0.25  # eigenvalues of both signs, none zero
    h = (q * w) @ q.conj().T
    h = (h + h.conj().T) / 2 * s
    for uv in (False, True):
        got = matinv.svd(h, compute_uv=uv, hermitian=True)
        want = numpy_svd(h, compute_uv=uv, hermitian=True)
        if uv:
            assert_allclose(got.S, want.S, rtol=1e-12)
            check_factors(h, *got, 1e-12)
        else:
            assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_huge_identity_hermitian(dtype):
    a = np.eye(2, dtype=dtype) * 1e308
    got, want = matinv.svd(a, hermitian=True), numpy_svd(a, hermitian=True)
    for g, w in zip(got, want):
        assert_array_equal(g, w)
    assert_array_equal(matinv.svd(a, compute_uv=False, hermitian=True), [1e308, 1e308])
    for g, w in zip(matinv.svd(a), numpy_svd(a)):
        assert_array_equal(g, w)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("s", [1e155, 1e200, 1e250, 1e300, 1e-155, 1e-250, 1e-300])
def test_random_matrices_at_extreme_scales_succeed(s, dtype):
    rng = np.random.default_rng(11)
    for n in (3, 8, 40):
        a = rng.standard_normal((n, n + 2))
        if np.dtype(dtype).kind == "c":
            a = a + 1j * rng.standard_normal(a.shape)
        a = a * s
        want = numpy_svd(a, compute_uv=False)
        assert_allclose(matinv.svdvals(a), want, rtol=1e-11, atol=1e-13 * want[0])
        u, got, vh = matinv.svd(a, full_matrices=False)
        assert_allclose(got, want, rtol=1e-11, atol=1e-13 * want[0])
        check_factors(a, u, got, vh, 1e-12)
        want_c = np.linalg.cond(a)
        assert_allclose(matinv.cond(a), want_c, rtol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
@pytest.mark.parametrize("s", [1e-38, 3e-38, 1e-30, 1e30, 1e38])
def test_single_precision_near_its_limits(s, dtype):
    # numpy computes single precision in double: so does matinv, and both round once.
    for n in (2, 5, 40):
        wide = np.complex128 if dtype == np.complex64 else np.float64
        a = (orthogonal(n, wide, n) * s).astype(dtype)
        assert np.all(np.isfinite(a))
        want = numpy_svd(a, compute_uv=False)
        got = matinv.svdvals(a)
        assert got.dtype == want.dtype
        # Within one float32 rounding of numpy's (faer and LAPACK differ in the last bits
        # of the double-precision result).
        assert_allclose(got, want, rtol=1.2e-7, atol=2e-45)
        for p in (None, -2):
            c, w = matinv.cond(a, p), np.linalg.cond(a, p)
            assert c.dtype == w.dtype
            assert_allclose(c, w, rtol=1.2e-7)
        uh = matinv.svd(a, compute_uv=False, hermitian=True)
        want_h = numpy_svd(a, compute_uv=False, hermitian=True)
        assert_allclose(uh, want_h, rtol=1.2e-7, atol=2e-45)


def test_stacks_scale_each_matrix_on_its_own():
    q = orthogonal(5, np.float64, 3)
    scales = [1e-308, 1e300, 1.0, 3e-308, 1e155, 0.0]
    a = np.stack([q * s for s in scales])
    want = numpy_svd(a, compute_uv=False)
    assert_allclose(matinv.svdvals(a), want, rtol=1e-12)
    u, got, vh = matinv.svd(a)
    assert_allclose(got, want, rtol=1e-12)
    for i in range(len(scales) - 1):
        check_factors(a[i], u[i], got[i], vh[i], 1e-12)
    assert_allclose(matinv.cond(a), np.linalg.cond(a), rtol=1e-12)
    h = np.stack([np.eye(3) * s for s in (1e-308, 1e308, 2.0)])
    assert_array_equal(
        matinv.svd(h, compute_uv=False, hermitian=True),
        np.linalg.svd(h, compute_uv=False, hermitian=True),
    )


# --- Hermitian input with a nonzero imaginary diagonal ---------------------------------


def hermitian_with_imaginary_diagonal(n, dtype, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    a[np.diag_indices(n)] = rng.standard_normal(n) + 3j * rng.standard_normal(n)
    return a.astype(dtype)


def lower_hermitian(a):
    """The Hermitian matrix numpy's ``eigh`` (UPLO='L') sees in ``a``."""
    low = np.tril(a, -1)
    return low + low.conj().T + np.diag(a.diagonal().real)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("n", [2, 3, 5, 17, 40])
def test_hermitian_ignores_imaginary_diagonal(n, dtype):
    a = hermitian_with_imaginary_diagonal(n, dtype, seed=n)
    tol = 1e-12 if dtype == np.complex128 else 1e-5
    want = numpy_svd(a, compute_uv=False, hermitian=True)
    got = matinv.svd(a, compute_uv=False, hermitian=True)
    assert got.dtype == want.dtype
    assert_allclose(got, want, rtol=tol, atol=tol * want[0])
    u, s, vh = matinv.svd(a, hermitian=True)
    assert_allclose(s, want, rtol=tol, atol=tol * want[0])
    h = lower_hermitian(a.astype(np.complex128))
    check_factors(
        h, u.astype(np.complex128), s.astype(np.float64), vh.astype(np.complex128), 100 * tol
    )
    # The same as for the matrix with the imaginary part of the diagonal removed.
    assert_array_equal(s, matinv.svd(lower_hermitian(a), hermitian=True).S)


def test_hermitian_nan_in_imaginary_diagonal_is_ignored_like_numpy():
    a = hermitian_with_imaginary_diagonal(4, np.complex128, seed=1)
    a[2, 2] = complex(a[2, 2].real, np.nan)
    want = numpy_svd(a, compute_uv=False, hermitian=True)
    assert np.all(np.isfinite(want))
    assert_allclose(matinv.svd(a, compute_uv=False, hermitian=True), want, rtol=1e-12)


# --- Thread-count invariance ----------------------------------------------------------


def big_inputs():
    rng = np.random.default_rng(12)
    yield rng.standard_normal((300, 300)) + 1j * rng.standard_normal((300, 300))
    yield rng.standard_normal((2, 260, 300))
    yield rng.standard_normal((520, 400))


@pytest.mark.parametrize("k", [2, 3])
def test_svd_and_cond_do_not_depend_on_thread_count(k):
    for a in big_inputs():
        with matinv.threads(1):
            ref = (matinv.svdvals(a), matinv.svd(a, full_matrices=False), matinv.cond(a))
            k = min(a.shape[-2:])
            sq = a[..., :k, :k]
            ref_h = matinv.svd(sq, hermitian=True)
            ref_nuc = matinv.cond(sq, "nuc")
        with matinv.threads(k):
            got = (matinv.svdvals(a), matinv.svd(a, full_matrices=False), matinv.cond(a))
            got_h = matinv.svd(sq, hermitian=True)
            got_nuc = matinv.cond(sq, "nuc")
        assert_array_equal(got[0], ref[0])
        for g, r in zip(got[1], ref[1]):
            assert_array_equal(g, r)
        assert_array_equal(got[2], ref[2])
        for g, r in zip(got_h, ref_h):
            assert_array_equal(g, r)
        assert_array_equal(got_nuc, ref_nuc)
