"""inv_ex (per-matrix info and rcond), errstate and LinAlgWarning."""

import threading
import warnings

import numpy as np
import pytest

import matinv

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]


def with_condition(n, cond, dtype, rng):
    """A = U diag(s) V^H with singular values spread geometrically from 1 to 1/cond."""

    def orth():
        z = rng.standard_normal((n, n))
        if np.dtype(dtype).kind == "c":
            z = z + 1j * rng.standard_normal((n, n))
        q, _ = np.linalg.qr(z)
        return q

    s = np.geomspace(1.0, 1.0 / cond, n)
    return ((orth() * s) @ orth().conj().T).astype(dtype)


def true_rcond(a):
    a = a.astype(np.complex128 if np.iscomplexobj(a) else np.float64)
    return 1.0 / (np.linalg.norm(a, 1) * np.linalg.norm(np.linalg.inv(a), 1))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [2, 3, 4, 7, 8, 20, 40, 100])
@pytest.mark.parametrize("cond", [1.0, 1e3, 1e6, 1e10, 1e15])
def test_rcond_within_a_factor_of_ten(dtype, n, cond):
    if np.finfo(dtype).eps > 1e-10 and cond > 1e6:
        pytest.skip("beyond single precision")
    rng = np.random.default_rng(n * 31 + int(np.log10(cond)))
    a = with_condition(n, cond, dtype, rng)
    x, info, rcond = matinv.inv_ex(a)
    assert info.shape == () and info == 0
    assert rcond.dtype == np.float64
    assert x.dtype == a.dtype
    ref = true_rcond(a)
    assert ref / 10 <= rcond <= ref * 10, (rcond, ref)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 9, 33, 70])
def test_stack_mixing_good_ill_and_singular(dtype, n):
    rng = np.random.default_rng(n)
    good = [with_condition(n, 10.0, dtype, rng) for _ in range(5)]
    ill = with_condition(n, 1e12 if np.finfo(dtype).eps < 1e-10 else 1e5, dtype, rng)
    singular = good[0].copy()
    singular[:, n // 2] = 0
    stack = np.stack([good[0], singular, good[1], ill, good[2], singular, good[3], good[4]])
    x, info, rcond = matinv.inv_ex(stack)
    assert info.dtype == np.int32 and info.shape == (8,)
    assert list(info[[1, 5]]) == [n // 2 + 1] * 2
    assert (np.delete(info, [1, 5]) == 0).all()
    assert (rcond[[1, 5]] == 0).all()
    assert np.isnan(x[[1, 5]]).all()
    for k in [0, 2, 3, 4, 6, 7]:
        # The same bits as inverting the matrix alone.
        np.testing.assert_array_equal(x[k], matinv.inv(stack[k]))
        assert 0 < rcond[k] <= 1
    if n > 1:  # a 1 x 1 matrix is perfectly conditioned
        assert rcond[3] < 1e-4


def test_shape_and_dtype_errors_still_raise():
    with pytest.raises(np.linalg.LinAlgError, match="must be square"):
        matinv.inv_ex(np.zeros((2, 3)))
    with pytest.raises(np.linalg.LinAlgError, match="1-dimensional"):
        matinv.inv_ex(np.zeros(3))
    with pytest.raises(TypeError, match="Cannot cast ufunc 'inv' input"):
        matinv.inv_ex(np.full((2, 2), "1", dtype="U3"))


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_inv_ex_keeps_subclass_and_converts_like_inv():
    m = np.matrix([[1, 2], [3, 4]])
    x, info, rcond = matinv.inv_ex(m)
    assert type(x) is np.matrix and x.dtype == np.float64
    np.testing.assert_allclose(x, np.linalg.inv(m))
    assert info.shape == () and rcond.shape == ()
    x, info, rcond = matinv.inv_ex(np.zeros((0, 3, 3), np.float32))
    assert x.shape == (0, 3, 3) and x.dtype == np.float32 and info.shape == (0,)


def test_errstate_default_is_numpy():
    with pytest.raises(np.linalg.LinAlgError, match="Singular matrix"):
        matinv.inv(np.array([[1.0, 2.0], [2.0, 4.0]]))


def stack_with_singular():
    a = np.stack([np.eye(3) * 2, np.ones((3, 3)), np.eye(3)])
    return a


def test_errstate_with_the_default_settings_keeps_overwrite_a():
    # Review: a block that sets nothing (or the defaults) is the default state itself, so
    # overwrite_a still applies inside it (it was silently dropped, as was the fast path,
    # which tests by the same identity).
    for block in (matinv.errstate(), matinv.errstate(singular="raise", ill_conditioned="ignore")):
        a = np.array([[2.0, 0.0], [0.0, 4.0]])
        with block:
            assert matinv.inv(a, overwrite_a=True) is a
        np.testing.assert_array_equal(a, [[0.5, 0.0], [0.0, 0.25]])
    a = np.array([[2.0, 0.0], [0.0, 4.0]])
    with matinv.errstate(singular="warn"):
        assert matinv.inv(a, overwrite_a=True) is not a


def test_errstate_nan_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with matinv.errstate(singular="nan"):
            x = matinv.inv(stack_with_singular())
    assert np.isnan(x[1]).all()
    np.testing.assert_array_equal(x[0], np.eye(3) / 2)


def test_errstate_warn_names_the_slice():
    with matinv.errstate(singular="warn"):
        with pytest.warns(matinv.LinAlgWarning, match=r"1 matrix at index 1 \(zero pivot"):
            x = matinv.inv(stack_with_singular())
    assert np.isnan(x[1]).all()
    assert issubclass(matinv.LinAlgWarning, RuntimeWarning)


def test_ill_conditioned_warn_and_raise_name_slices_and_rcond():
    rng = np.random.default_rng(0)
    good = np.eye(4)
    ill = with_condition(4, 1e17, np.float64, rng)
    stack = np.stack([[good, good], [good, ill]])  # the ill one is at index (1, 1)
    rc = matinv.inv_ex(stack).rcond[1, 1]
    assert rc < np.finfo(np.float64).eps
    with matinv.errstate(ill_conditioned="warn"):
        with pytest.warns(matinv.LinAlgWarning, match=r"1 matrix at index \(1, 1\) \(rcond="):
            matinv.inv(stack)
    with matinv.errstate(ill_conditioned="raise"):
        with pytest.raises(
            np.linalg.LinAlgError, match=r"Ill-conditioned matrix: 1 matrix at index \(1, 1\)"
        ):
            matinv.inv(stack)
    # Single precision has its own epsilon: cond 1e5 passes in float64, fails in float32?
    # No: 1e5 < 1/eps(float32) = 8e6, so neither warns.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with matinv.errstate(ill_conditioned="raise"):
            matinv.inv(with_condition(4, 1e5, np.float32, rng))
    with matinv.errstate(ill_conditioned="raise"):
        with pytest.raises(np.linalg.LinAlgError, match="float32"):
            matinv.inv(with_condition(4, 1e9, np.float32, rng))


def test_errstate_nests_inherits_and_validates():
    with matinv.errstate(singular="nan"):
        with matinv.errstate(ill_conditioned="warn"):
            assert matinv._trust.current() == ("nan", "warn")
        assert matinv._trust.current() == ("nan", "ignore")
    assert matinv._trust.current() == ("raise", "ignore")
    with pytest.raises(ValueError, match="singular must be one of"):
        with matinv.errstate(singular="ignore"):
            pass
    with pytest.raises(ValueError, match="ill_conditioned must be one of"):
        with matinv.errstate(ill_conditioned="nan"):
            pass


def test_errstate_is_per_thread():
    barrier = threading.Barrier(2)
    results = {}

    def quiet():
        with matinv.errstate(singular="nan"):
            barrier.wait()
            results["quiet"] = np.isnan(matinv.inv(np.ones((2, 2)))).all()

    def strict():
        barrier.wait()
        try:
            matinv.inv(np.ones((2, 2)))
            results["strict"] = "no error"
        except np.linalg.LinAlgError as e:
            results["strict"] = str(e)

    ts = [threading.Thread(target=quiet), threading.Thread(target=strict)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert results == {"quiet": True, "strict": "Singular matrix"}


def test_nan_or_overflowing_inverse_counts_as_ill_conditioned():
    # Regressions: NaN rcond slipped through 'raise'; an overflowing norm gave rcond 0 for a
    # well-conditioned matrix.
    with matinv.errstate(ill_conditioned="raise"):
        for a in (np.full((2, 2), np.nan), np.array([[1e-320]]), np.eye(2) * 1e-310):
            with pytest.raises(np.linalg.LinAlgError, match="Ill-conditioned"):
                matinv.inv(a)
    big = np.array([[1e308, 1e308], [-1e308, 1e308]])
    rc = matinv.inv_ex(big).rcond
    assert 0.4 < rc <= 1.0
    tiny = np.array([[1e-308, 1e-308], [-1e-308, 1e-308]])  # inverse ~ 5e307
    assert 0.4 < matinv.inv_ex(tiny).rcond <= 1.0


def test_warning_grammar_for_several_singular_matrices():
    a = np.stack([np.ones((2, 2)), np.eye(2), np.zeros((2, 2))])
    with matinv.errstate(singular="warn"):
        with pytest.warns(
            matinv.LinAlgWarning, match="2 matrices at index 0 .*, 2 .*their inverses are NaN"
        ):
            matinv.inv(a)


def test_wide_range_of_magnitudes_above_the_unblocked_size():
    # Regression: scaling the largest entry to 1 pushed the smallest below the normal range.
    for small in (2.0**-500, 2.0**-330):
        a = np.eye(40)
        a[0, 0], a[1, 1] = 2.0**700, small
        x = matinv.inv(a)
        assert x[0, 0] == 2.0**-700 and x[1, 1] == 1 / small
        np.testing.assert_array_equal(x, np.linalg.inv(a))
