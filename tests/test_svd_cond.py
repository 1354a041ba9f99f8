"""Parity of ``matinv.svd``, ``matinv.svdvals`` and ``matinv.cond`` with numpy's.

Same result dtypes, shapes, subclasses, values (to tolerances of the dtype), and the same
exceptions with the same messages; every dtype, rectangular and stacked shapes, strided,
byte-swapped and unaligned layouts, np.matrix, empty input. The documented differences
(NaN passed through by ``cond``; ``cond(p='nuc')`` of a singular matrix is inf) have
their own tests.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import matinv

LinAlgError = np.linalg.LinAlgError

pytestmark = pytest.mark.filterwarnings(
    "ignore:the matrix subclass is not the recommended way:PendingDeprecationWarning"
)

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
INPUT_DTYPES = DTYPES + [np.int8, np.int64, np.uint16, np.bool_, ">f8", ">c8"]
PS = [None, 2, -2, 1, -1, np.inf, -np.inf, "fro", "nuc"]
SHAPES = [(1, 1), (3, 3), (2, 5), (5, 2), (4, 3, 3), (2, 3, 4, 2), (2, 1, 6, 6), (40, 40)]


def rand(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype.kind in "iu":
        return rng.integers(0, 5, size=shape).astype(dtype)
    a = rng.standard_normal(shape)
    if dtype.kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


def rtol(dtype):
    return 1e-4 if np.dtype(dtype).char in "fF" else 1e-11


def check_svd(a, u, s, vh, full):
    """``u``, ``vh`` unitary and ``a = u diag(s) vh``; ``s`` nonincreasing."""
    m, n = a.shape[-2:]
    k = min(m, n)
    tol = 50 * np.finfo(s.dtype).eps * max(m, n, 1)
    eye = lambda r: np.broadcast_to(np.eye(r), u.shape[:-2] + (r, r))  # noqa: E731
    assert_allclose(u.conj().swapaxes(-1, -2) @ u, eye(u.shape[-1]), atol=tol)
    assert_allclose(vh @ vh.conj().swapaxes(-1, -2), eye(vh.shape[-2]), atol=tol)
    rebuilt = (u[..., :, :k] * s[..., None, :]) @ vh[..., :k, :]
    scale = s[..., :1, None] if k else 1
    assert_allclose(rebuilt / scale, np.asarray(a) / scale, atol=tol)
    assert np.all(np.diff(s, axis=-1) <= 0)


@pytest.mark.parametrize("dtype", INPUT_DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("full", [True, False])
def test_svd_matches_numpy(dtype, shape, full):
    a = rand(shape, dtype)
    got = matinv.svd(a, full_matrices=full)
    want = np.linalg.svd(a, full_matrices=full)
    assert type(got) is type(want)
    for g, w in zip(got, want):
        assert type(g) is type(w)
        assert g.dtype == w.dtype and g.shape == w.shape
        assert g.flags.c_contiguous
    assert_allclose(got.S, want.S, rtol=rtol(dtype), atol=rtol(dtype) * want.S.max(initial=0))
    check_svd(np.asarray(a, dtype=got.U.dtype), *got, full)


@pytest.mark.parametrize("dtype", INPUT_DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_svdvals_and_compute_uv_false_match_numpy(dtype, shape):
    a = rand(shape, dtype, seed=1)
    want = np.linalg.svd(a, compute_uv=False)
    for got in (matinv.svd(a, compute_uv=False), matinv.svdvals(a)):
        assert type(got) is np.ndarray and got.dtype == want.dtype and got.shape == want.shape
        assert_allclose(got, want, rtol=rtol(dtype), atol=rtol(dtype) * want.max(initial=0))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (4, 5, 5), (2, 2, 8, 8), (60, 60)])
@pytest.mark.parametrize("compute_uv", [True, False])
def test_hermitian_svd_matches_numpy(dtype, shape, compute_uv):
    a = rand(shape, dtype, seed=2)
    a = a + a.conj().swapaxes(-1, -2)  # Hermitian, eigenvalues of both signs
    got = matinv.svd(a, compute_uv=compute_uv, hermitian=True)
    want = np.linalg.svd(a, compute_uv=compute_uv, hermitian=True)
    s_got, s_want = (got.S, want.S) if compute_uv else (got, want)
    assert s_got.dtype == s_want.dtype and s_got.shape == s_want.shape
    assert_allclose(s_got, s_want, rtol=rtol(dtype), atol=rtol(dtype) * s_want.max())
    if compute_uv:
        assert got.U.dtype == want.U.dtype and got.Vh.shape == want.Vh.shape
        check_svd(a, *got, True)


def test_hermitian_reads_the_lower_triangle_only():
    a = np.array([[2.0, 99.0], [1.0, 2.0]])
    lower = np.tril(a) + np.tril(a, -1).T
    assert_allclose(matinv.svd(a, hermitian=True).S, np.linalg.svd(lower).S)
    assert_allclose(matinv.svd(a, hermitian=True).S, np.linalg.svd(a, hermitian=True).S)


def test_hermitian_ties_are_ordered_as_numpy_orders_them():
    a = np.diag([1.0, -1.0, 2.0, -2.0, 1.0])
    got, want = matinv.svd(a, hermitian=True), np.linalg.svd(a, hermitian=True)
    assert_array_equal(got.S, want.S)
    assert_array_equal(got.U, want.U)
    assert_array_equal(got.Vh, want.Vh)


@pytest.mark.parametrize(
    "layout",
    ["F", "sliced", "negative", "broadcast", "unaligned", "readonly"],
)
def test_svd_and_cond_on_every_layout(layout):
    base = rand((3, 8, 10), np.float64, seed=3)
    if layout == "F":
        a = np.asfortranarray(base)
    elif layout == "sliced":
        a = base[:, ::2, 1::2]
    elif layout == "negative":
        a = base[::-1, ::-1, ::-2]
    elif layout == "broadcast":
        a = np.broadcast_to(base[0, :4, :4], (5, 4, 4))
    elif layout == "unaligned":
        raw = np.zeros(base.nbytes + 1, dtype=np.uint8)
        a = raw[1:].view(np.float64).reshape(base.shape)
        a[...] = base
        assert not a.flags.aligned
    else:
        a = base.copy()
        a.flags.writeable = False
    before = a.copy()
    got, want = matinv.svd(a), np.linalg.svd(a)
    assert_allclose(got.S, want.S, rtol=1e-12)
    check_svd(a, *got, True)
    sq = a[..., :4, :4]
    for p in PS:
        assert_allclose(matinv.cond(sq, p), np.linalg.cond(sq, p), rtol=1e-10)
    assert_array_equal(a, before)


@pytest.mark.parametrize("dtype", INPUT_DTYPES)
@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("shape", [(3, 3), (4, 5, 5), (2, 3, 2, 2)])
def test_cond_matches_numpy(dtype, p, shape):
    a = rand(shape, dtype, seed=4) + 3 * np.eye(shape[-1], dtype=np.dtype(dtype))
    got, want = matinv.cond(a, p), np.linalg.cond(a, p)
    assert type(got) is type(want)
    assert got.dtype == want.dtype and np.shape(got) == np.shape(want)
    assert_allclose(got, want, rtol=10 * rtol(dtype))


@pytest.mark.parametrize("p", [None, 2, -2])
def test_cond_two_norms_take_rectangular_input(p):
    a = rand((3, 4, 7), np.float64, seed=5)
    assert_allclose(matinv.cond(a, p), np.linalg.cond(a, p), rtol=1e-12)


def test_cond_of_singular_matrices_is_inf_in_every_positive_norm():
    a = np.zeros((4, 3, 3))
    a[1] = np.eye(3)
    a[2] = np.ones((3, 3))
    a[3] = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    for p in [None, 1, np.inf, "fro", 2]:
        got, want = matinv.cond(a, p), np.linalg.cond(a, p)
        assert got[0] == np.inf and got[1] == want[1]
        assert got[2] > 1e15 and want[2] > 1e15
    # numpy raises "SVD did not converge" for p='nuc' of a singular matrix (its inverse
    # is NaN); matinv says inf, like every other positive norm.
    assert matinv.cond(a, "nuc")[0] == np.inf


def test_cond_passes_nan_through():
    a = np.ones((3, 2, 2))
    a[1, 0, 1] = np.nan
    for p in PS:
        c = matinv.cond(a, p)
        assert np.isnan(c[1]) and not np.isnan(c[0])
    assert isinstance(matinv.cond(a[1]), np.float64) and np.isnan(matinv.cond(a[1]))
    with pytest.raises(LinAlgError, match="SVD did not converge"):
        np.linalg.cond(a)  # numpy's LAPACK, for the record


def test_matrix_subclass():
    m = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    got, want = matinv.svd(m), np.linalg.svd(m)
    assert type(got.U) is np.matrix and type(got.Vh) is np.matrix
    assert type(got.S) is type(want.S) is np.ndarray
    assert type(matinv.svdvals(m)) is np.ndarray
    assert type(matinv.cond(m)) is type(np.linalg.cond(m)) is np.float64


def _outcome(f, *args, **kwargs):
    try:
        f(*args, **kwargs)
    except Exception as e:
        return type(e), str(e)
    return "ok", None


@pytest.mark.parametrize(
    "a",
    [
        np.ones(3),
        np.ones(()),
        np.ones((2, 3)),
        np.zeros((0, 0)),
        np.zeros((3, 0)),
        np.zeros((0, 2, 2)),
        np.zeros((2, 0, 3)),
        np.ones((2, 2), dtype=np.float16),
        np.ones((2, 2), dtype=object),
        np.array([["a", "b"], ["c", "d"]]),
        np.array([[1.0, np.nan], [1.0, 1.0]]),
        np.array([[1.0, np.inf], [1.0, 1.0]]),
        np.array([[1.0, 2.0], [np.nan, 1.0]]),
    ],
    ids=lambda a: f"{a.dtype}{a.shape}",
)
def test_errors_match_numpy(a):
    for kwargs in [
        {},
        {"full_matrices": False},
        {"compute_uv": False},
        {"hermitian": True},
        {"hermitian": True, "compute_uv": False},
    ]:
        assert _outcome(matinv.svd, a, **kwargs) == _outcome(np.linalg.svd, a, **kwargs), kwargs
    assert _outcome(matinv.svdvals, a) == _outcome(np.linalg.svdvals, a)
    finite = a.dtype.kind not in "fc" or np.isfinite(a).all()
    for p in PS:
        if finite or p not in (None, 2, -2, "nuc"):  # NaN: documented difference
            assert _outcome(matinv.cond, a, p) == _outcome(np.linalg.cond, a, p), p


def test_invalid_norm_order():
    a = np.eye(3)
    for p in [3, "abc", 0.5, "2"]:
        assert (
            _outcome(matinv.cond, a, p)
            == _outcome(np.linalg.cond, a, p)
            == (ValueError, "Invalid norm order for matrices.")
        )
    # squareness is checked first, as in numpy
    assert _outcome(matinv.cond, np.ones((2, 3)), 3) == _outcome(np.linalg.cond, np.ones((2, 3)), 3)


def test_empty_shapes_match_numpy():
    for shape in [(4, 0), (0, 4), (2, 4, 0), (0, 3, 3), (0, 2, 5)]:
        a = np.zeros(shape)
        for full in (True, False):
            got, want = matinv.svd(a, full_matrices=full), np.linalg.svd(a, full_matrices=full)
            for g, w in zip(got, want):
                assert g.shape == w.shape and g.dtype == w.dtype
                assert_array_equal(g, w)


def test_threads_give_the_same_results():
    a = rand((300, 9, 7), np.complex128, seed=6)
    with matinv.threads(1):
        one = matinv.svd(a)
        c1 = matinv.cond(a[..., :7, :], 1)
    many = matinv.svd(a)
    for x, y in zip(one, many):
        assert_array_equal(x, y)
    assert_array_equal(c1, matinv.cond(a[..., :7, :], 1))


def test_large_single_matrix_is_right():
    a = rand((300, 280), np.float64, seed=7)
    got = matinv.svd(a, full_matrices=False)
    assert_allclose(got.S, np.linalg.svd(a, compute_uv=False), rtol=1e-12)
    check_svd(a, *got, False)
