"""Exceptions identical to numpy's (class included), in numpy's order, and arrays whose
type overrides numpy's functions (``__array_function__``) answered as numpy's dispatch
answers them."""

import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import matinv

UNCASTABLE = {
    "object": np.array([[1.0, 2.0], [3.0, 4.0]], dtype=object),
    "str": np.array([["1", "2"], ["3", "4"]]),
    "bytes": np.array([[b"1", b"2"], [b"3", b"4"]]),
    "datetime64": np.array([[1, 2], [3, 4]], dtype="M8[s]"),
    "timedelta64": np.array([[1, 2], [3, 4]], dtype="m8[s]"),
}


def _outcome(func, *args, **kwargs):
    try:
        func(*args, **kwargs)
    except Exception as e:
        return type(e), str(e)
    return "ok", None


CALLS = [
    ("inv", lambda m, a: m.linalg.inv(a) if m is np else m.inv(a)),
    ("svd", lambda m, a: (m.linalg if m is np else m).svd(a)),
    ("svd thin", lambda m, a: (m.linalg if m is np else m).svd(a, full_matrices=False)),
    ("svd values", lambda m, a: (m.linalg if m is np else m).svd(a, compute_uv=False)),
    ("svd hermitian", lambda m, a: (m.linalg if m is np else m).svd(a, hermitian=True)),
    ("svdvals", lambda m, a: (m.linalg if m is np else m).svdvals(a)),
]


@pytest.mark.parametrize("kind", sorted(UNCASTABLE))
@pytest.mark.parametrize("name,call", CALLS, ids=[c[0] for c in CALLS])
def test_uncastable_input_raises_numpys_own_class(kind, name, call):
    a = UNCASTABLE[kind]
    want = _outcome(call, np, a)
    assert want[0] is not TypeError and issubclass(want[0], TypeError)  # numpy's private one
    assert _outcome(call, matinv, a) == want


@pytest.mark.parametrize("kind", sorted(UNCASTABLE))
@pytest.mark.parametrize("p", [None, 2, -2, 1, -1, np.inf, -np.inf, "fro", "f", "nuc"])
def test_cond_uncastable_input_raises_numpys_own_class(kind, p):
    a = UNCASTABLE[kind]
    assert _outcome(matinv.cond, a, p) == _outcome(np.linalg.cond, a, p)


def test_cond_accepts_f_for_frobenius():
    a = np.array([[4.0, 1.0], [2.0, 3.0]])
    assert matinv.cond(a, "f") == matinv.cond(a, "fro")
    assert_allclose(matinv.cond(a, "f"), np.linalg.cond(a, "f"), rtol=1e-14)


BAD_P = [3, "abc", 0.5, "2", "F"]
BAD_INPUT = [
    np.ones((2, 3)),  # not square
    np.ones((2, 2), dtype=np.float16),  # unsupported float
    np.ones((2, 2), dtype=object),  # uncastable
    np.ones((2, 2), dtype="M8[s]"),
    np.ones(3),  # 1-d
    np.zeros((0, 0)),  # empty
    np.eye(2),  # fine: the norm order is the only error
]


@pytest.mark.parametrize("p", BAD_P)
@pytest.mark.parametrize("a", BAD_INPUT, ids=lambda a: f"{a.dtype}{a.shape}")
def test_cond_errors_come_in_numpys_order(a, p):
    assert _outcome(matinv.cond, a, p) == _outcome(np.linalg.cond, a, p)


# --------------------------------------------------------------------------------------
# __array_function__


class Wrapped:
    """A minimal duck array that overrides numpy's functions, as NEP 18 describes: it
    answers `numpy.linalg.inv`, `svd` and `cond` with results tagged by the call, and
    refuses every other function."""

    def __init__(self, data):
        self.data = np.asarray(data)

    def __array_function__(self, func, types, args, kwargs):
        handled = {np.linalg.inv, np.linalg.svd, np.linalg.cond}
        if hasattr(np.linalg, "svdvals"):
            handled.add(np.linalg.svdvals)
        if func not in handled:
            return NotImplemented
        unwrapped = [x.data if isinstance(x, Wrapped) else x for x in args]
        return ("handled", func.__name__, func(*unwrapped, **kwargs), sorted(kwargs))


class Refusing:
    """Overrides numpy's functions and implements none of them."""

    def __array_function__(self, func, types, args, kwargs):
        return NotImplemented


def test_array_function_types_get_numpys_dispatch_for_inv():
    a = Wrapped([[1.0, 2.0], [3.0, 4.0]])
    got, want = matinv.inv(a), np.linalg.inv(a)
    assert got[:2] == want[:2] == ("handled", "inv")
    assert_array_equal(got[2], want[2])


def test_array_function_types_get_numpys_dispatch_for_svd_and_cond():
    a = Wrapped([[1.0, 2.0], [3.0, 4.0]])
    for mi, nu, kwargs in [
        (matinv.svd, np.linalg.svd, {}),
        (matinv.svd, np.linalg.svd, {"full_matrices": False}),
        (matinv.svd, np.linalg.svd, {"compute_uv": False}),
        (matinv.svd, np.linalg.svd, {"hermitian": True}),
        (matinv.cond, np.linalg.cond, {}),
        (matinv.cond, np.linalg.cond, {"p": 1}),
        (matinv.svdvals, np.linalg.svdvals, {}),
    ]:
        got, want = mi(a, **kwargs), nu(a, **kwargs)
        # The type's implementation sees the very call numpy's dispatch makes.
        assert got[:2] == want[:2] and got[3] == want[3], kwargs
        results = (got[2], want[2]) if isinstance(got[2], tuple) else ((got[2],), (want[2],))
        for g, w in zip(*results):
            assert_array_equal(g, w)


def test_array_function_type_that_refuses_raises_numpys_type_error():
    a = Refusing()
    for mi, nu in [
        (matinv.inv, np.linalg.inv),
        (matinv.svd, np.linalg.svd),
        (matinv.cond, np.linalg.cond),
    ]:
        got, want = _outcome(mi, a), _outcome(nu, a)
        assert got == want and got[0] is TypeError


class NoneFunction:
    """Sets ``__array_function__`` to None: numpy raises TypeError for it."""

    __array_function__ = None

    def __array__(self, dtype=None, copy=None):
        return np.eye(2)


def test_array_function_none_raises_numpys_type_error():
    a = NoneFunction()
    for mi, nu in [
        (matinv.inv, np.linalg.inv),
        (matinv.svd, np.linalg.svd),
        (matinv.cond, np.linalg.cond),
        (matinv.svdvals, np.linalg.svdvals),
    ]:
        got, want = _outcome(mi, a), _outcome(nu, a)
        assert got == want and got[0] is TypeError, (got, want)


@pytest.mark.parametrize(
    "call",
    [
        lambda a: matinv.inv_ex(a),
        lambda a: matinv.inv(a, assume_a="pos"),
    ],
    ids=["inv_ex", "assume_a"],
)
def test_options_numpy_cannot_pass_on_are_refused(call):
    with pytest.raises(TypeError, match="overrides numpy's functions"):
        call(Wrapped(np.eye(2)))


def test_errstate_numpy_cannot_pass_on_is_refused():
    with matinv.errstate(singular="nan"), pytest.raises(TypeError, match="errstate"):
        matinv.inv(Wrapped(np.eye(2)))


def test_invalid_assume_a_is_still_checked_first():
    with pytest.raises(ValueError, match="assume_a must be one of"):
        matinv.inv(Wrapped(np.eye(2)), assume_a="nope")


class Sub(np.ndarray):
    """An ndarray subclass that inherits ndarray's ``__array_function__``."""


def test_ndarray_subclasses_that_inherit_array_function_are_not_dispatched(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("numpy.linalg.inv was called")

    m = np.array([[1.0, 2.0], [3.0, 4.0]]).view(Sub)
    monkeypatch.setattr(np.linalg, "inv", fail)
    got = matinv.inv(m)
    assert type(got) is Sub
    assert_allclose(got, [[-2.0, 1.0], [1.5, -0.5]], rtol=1e-15)


# --------------------------------------------------------------------------------------
# Dask arrays: lazy, through matinv.dask


da = pytest.importorskip("dask.array")


def _spd_stack(count, n, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((count, n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


@pytest.mark.parametrize("chunks", [(2, 3, 3), (5, 3, 3)])
def test_dask_arrays_stay_lazy_and_use_matinv(chunks):
    a = _spd_stack(5, 3, seed=1)
    x = da.from_array(a, chunks=chunks)
    got = matinv.inv(x)
    assert isinstance(got, da.Array)  # lazy, as np.linalg.inv(x) is
    assert any("matinv-inv" in str(k) for k in got.__dask_graph__().keys())
    assert_allclose(got.compute(), np.linalg.inv(a), rtol=1e-13)


def test_dask_blocked_matrix_stays_lazy():
    a = _spd_stack(1, 12, seed=2)[0]
    x = da.from_array(a, chunks=4)
    got = matinv.inv(x)
    assert isinstance(got, da.Array)
    assert_allclose(got.compute(), np.linalg.inv(a), rtol=1e-12)


def test_dask_inv_ex_and_assume_a_stay_lazy():
    a = _spd_stack(4, 5, seed=3)
    a[2] = 0.0  # singular
    x = da.from_array(a, chunks=(2, 5, 5))
    out, info, rcond = matinv.inv_ex(x)
    assert all(isinstance(r, da.Array) for r in (out, info, rcond))
    want = matinv.inv_ex(a)
    for g, w in zip(da.compute(out, info, rcond), want):
        assert_array_equal(g, w)
    for name, lower in itertools.product(["pos", "sym", "upper triangular"], [False, True]):
        got = matinv.inv(x[[0, 1, 3]], assume_a=name, lower=lower)
        assert isinstance(got, da.Array)
        assert_array_equal(got.compute(), matinv.inv(a[[0, 1, 3]], assume_a=name, lower=lower))


def test_dask_singular_raises_when_computed():
    x = da.from_array(np.zeros((2, 2, 2)), chunks=(1, 2, 2))
    got = matinv.inv(x)
    with pytest.raises(np.linalg.LinAlgError, match="Singular matrix"):
        got.compute()


def test_general_inverses_never_look_at_lower():
    # Review: `lower` reads a triangle for 'pos', 'sym' and 'her' only; for 'general' an
    # object whose truth value raises is not looked at, on any path.
    class NoTruth:
        def __bool__(self):
            raise ValueError("looked at")

    a = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]])
    want = np.linalg.inv(a)
    np.testing.assert_allclose(matinv.inv(a.tolist(), lower=NoTruth()), want)
    np.testing.assert_allclose(matinv.inv(a, lower=NoTruth(), out=np.empty_like(a)), want)
    np.testing.assert_allclose(matinv.inv(a.copy(), lower=NoTruth(), overwrite_a=True), want)
    np.testing.assert_allclose(matinv.inv_ex(a, lower=NoTruth()).inv, want)
    with matinv.errstate(singular="warn"):
        np.testing.assert_allclose(matinv.inv(a, lower=NoTruth()), want)


def test_memory_errors_name_the_result_as_numpy_does():
    # Review: with a status per matrix, the result is allocated before info and rcond, so
    # the MemoryError names the result's shape and dtype, as numpy's inv does.
    huge = np.broadcast_to(np.eye(2), (2**45, 2, 2))
    with pytest.raises(MemoryError) as numpy_error:
        np.linalg.inv(huge)
    assert "(35184372088832, 2, 2)" in str(numpy_error.value)
    for call in (
        lambda: matinv.inv_ex(huge),
        lambda: matinv.inv(huge),
    ):
        with pytest.raises(MemoryError, match=r"\(35184372088832, 2, 2\)"):
            call()
    with (
        matinv.errstate(singular="warn"),
        pytest.raises(MemoryError, match=r"\(35184372088832, 2, 2\)"),
    ):
        matinv.inv(huge)
