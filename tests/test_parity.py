"""Parity of ``matinv.inv`` with ``numpy.linalg.inv``.

The contract: for every input, ``matinv.inv`` gives what ``numpy.linalg.inv`` gives --
the same result dtype, shape and type (ndarray subclass), the same values (to tolerances
scaled by the dtype's eps and the matrix's condition), or the same exception class with
the same message.  On top of that, matinv's result is always a new C-contiguous array
that shares no memory with the input, and the input is never modified.

On exception classes: for inputs numpy cannot cast (object, str, bytes, datetime64,
timedelta64) numpy raises ``numpy._core._exceptions._UFuncInputCastingError``, a private
subclass of ``TypeError`` that numpy does not export; matinv raises that very class (made
by numpy's own casting machinery), so exception types are compared exactly.
"""

import copy
import doctest
import threading

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import matinv

LinAlgError = np.linalg.LinAlgError

pytestmark = pytest.mark.filterwarnings(
    "ignore:the matrix subclass is not the recommended way:PendingDeprecationWarning"
)

# ----------------------------------------------------------------------------------------
# helpers


def _result_dtype(dtype):
    """What numpy.linalg.inv returns for a supported input dtype."""
    dtype = np.dtype(dtype)
    if dtype.kind in "fc":
        return np.dtype(dtype.char)  # native byte order, same kind and size
    return np.dtype(np.float64)


def _wide_dtype(dtype):
    """The double-precision dtype numpy computes in for a supported input dtype."""
    return np.dtype(np.complex128 if np.dtype(dtype).kind == "c" else np.float64)


def well_conditioned(shape, dtype=np.float64, seed=0):
    """A seeded stack of strictly diagonally dominant (so invertible, well-conditioned)
    matrices of `shape` and `dtype` (numeric dtypes, bool included)."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    n = shape[-1]
    eye = np.eye(n, dtype=bool)
    if dtype.kind == "b":
        # unit upper triangular 0/1 matrices: determinant 1
        a = np.triu(rng.integers(0, 2, size=shape).astype(bool), 1) | eye
        return a
    if dtype.kind in "iu":
        lo = 0 if dtype.kind == "u" else -3
        a = rng.integers(lo, 4, size=shape)
        a = a + eye * (3 * n + 1)
        info = np.iinfo(dtype)
        assert a.min() >= info.min and a.max() <= info.max
        return a.astype(dtype)
    a = rng.uniform(-1.0, 1.0, size=shape)
    if dtype.kind == "c":
        a = a + 1j * rng.uniform(-1.0, 1.0, size=shape)
    a = a + eye * (2 * n)
    return a.astype(dtype)


def _public_class(exc):
    """The most derived class of `exc` that is a builtin or a public numpy exception
    (numpy's ufunc casting errors are private subclasses of TypeError)."""
    for cls in type(exc).__mro__:
        if cls.__module__ == "builtins" or cls is LinAlgError:
            return cls
        if cls.__module__ == "numpy.exceptions":
            return cls
    raise AssertionError(f"no public class for {type(exc)!r}")  # pragma: no cover


def _call(func, a):
    try:
        return func(a), None
    except Exception as exc:
        return None, exc


def _snapshot(a):
    """Something to compare the input with after the call (bytes for arrays, so NaNs,
    byte order and -0.0 are all covered)."""
    if isinstance(a, np.ndarray):
        return (
            "ndarray",
            type(a),
            a.dtype,
            a.shape,
            a.strides,
            a.flags.writeable,
            np.asarray(a).tobytes(order="A"),
        )
    if hasattr(type(a), "__array__"):
        arr = np.asarray(a)
        return ("array-like", arr.dtype, arr.shape, arr.tobytes())
    return ("other", copy.deepcopy(a))


def _assert_unmodified(a, snap):
    if snap[0] != "other":
        assert _snapshot(a) == snap, "the input array was modified"
    else:
        assert a == snap[1], "the input object was modified"


def _tolerance(ref_input, ref_inverse):
    """rtol for comparing two inverses of `ref_input` computed in double precision:
    1e-12, or n * eps * cond_1(a) (times a small factor) where that is larger."""
    a = np.asarray(ref_input, dtype=_wide_dtype(ref_inverse.dtype))
    n = a.shape[-1]
    if a.size == 0:
        return 0.0
    cond = np.linalg.norm(a, 1, axis=(-2, -1)) * np.linalg.norm(ref_inverse, 1, axis=(-2, -1))
    eps = np.finfo(np.float64).eps
    return max(1e-12, 8 * n * eps * float(np.max(cond)))


def assert_close_inverse(got, expected, a):
    """Value comparison of matinv's result with numpy's (same dtype already checked)."""
    got = np.asarray(got)
    expected = np.asarray(expected)
    if got.size == 0:
        return
    if got.dtype in (np.float32, np.complex64):
        # Both compute in double and round: compare with numpy's rounded result, and
        # check matinv's is at least as close to the double-precision inverse.
        scale = np.abs(expected).max()
        assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * scale)
        wide = _wide_dtype(got.dtype)
        ref = np.linalg.inv(np.asarray(a).astype(wide))
        err_got = np.linalg.norm((got.astype(wide) - ref).ravel())
        err_np = np.linalg.norm((expected.astype(wide) - ref).ravel())
        assert err_got <= err_np * 1.0001 + 1e-300, (err_got, err_np)
    else:
        rtol = _tolerance(a, expected)
        scale = np.abs(expected).max()
        assert_allclose(got, expected, rtol=rtol, atol=rtol * scale)


def assert_parity(a, *, check_values=True):
    """Call numpy and matinv on `a` and check the whole contract.  Returns the pair
    (matinv result, numpy result), or (matinv exception, numpy exception)."""
    snap = _snapshot(a)
    expected, np_exc = _call(np.linalg.inv, a)
    _assert_unmodified(a, snap)
    got, mi_exc = _call(matinv.inv, a)
    _assert_unmodified(a, snap)

    if np_exc is not None:
        assert mi_exc is not None, (
            f"numpy raised {type(np_exc).__name__}({np_exc}) but matinv returned {got!r}"
        )
        assert type(mi_exc) is type(np_exc), (mi_exc, np_exc)
        assert str(mi_exc) == str(np_exc)
        return mi_exc, np_exc

    if mi_exc is not None:
        raise AssertionError(
            f"numpy returned a {expected.dtype} {type(expected).__name__} but matinv "
            f"raised {type(mi_exc).__name__}: {mi_exc}"
        ) from mi_exc
    assert type(got) is type(expected)
    assert got.dtype == expected.dtype
    assert got.shape == expected.shape
    assert got.flags.c_contiguous
    assert got.flags.writeable
    if isinstance(a, np.ndarray) or hasattr(type(a), "__array__"):
        assert not np.shares_memory(got, np.asarray(a))
    if check_values:
        assert_close_inverse(got, expected, a)
    return got, expected


# ----------------------------------------------------------------------------------------
# dtypes

SIGNED = [np.int8, np.int16, np.int32, np.int64]
UNSIGNED = [np.uint8, np.uint16, np.uint32, np.uint64]
INEXACT = [np.float32, np.float64, np.complex64, np.complex128]
GOOD_DTYPES = [np.bool_] + SIGNED + UNSIGNED + INEXACT


@pytest.mark.parametrize("shape", [(5, 5), (3, 4, 4), (1, 1)], ids=str)
@pytest.mark.parametrize("dtype", GOOD_DTYPES, ids=lambda t: np.dtype(t).name)
def test_supported_dtypes(dtype, shape):
    a = well_conditioned(shape, dtype, seed=1)
    got, expected = assert_parity(a)
    assert got.dtype == _result_dtype(dtype)


@pytest.mark.parametrize(
    "dtype", [np.float16, np.longdouble, np.clongdouble], ids=lambda t: np.dtype(t).name
)
@pytest.mark.parametrize("shape", [(2, 2), (3, 4, 4), (0, 0), (2, 0, 0)], ids=str)
def test_float_dtypes_numpy_refuses_are_inverted(dtype, shape):
    # numpy: "array type float16 is unsupported in linalg"; matinv inverts them in their
    # own dtype (issue 27; their accuracy is tests/test_precision.py's).
    a = np.zeros(shape, dtype=dtype)
    a[..., range(shape[-1]), range(shape[-1])] = 2
    with pytest.raises(TypeError, match=f"array type {np.dtype(dtype).name} is unsupported"):
        np.linalg.inv(a)
    if np.dtype(dtype) != np.float16 and np.finfo(dtype).nmant not in (52, 63):
        with pytest.raises(TypeError, match="unsupported in matinv"):
            matinv.inv(a)
        return
    x = matinv.inv(a)
    assert x.dtype == a.dtype and x.shape == a.shape
    np.testing.assert_array_equal(x, a / 4)


BAD_KIND_ARRAYS = {
    "object": lambda s: np.eye(s[-1]).astype(object) * np.ones(s, dtype=object),
    "object-ints": lambda s: np.full(s, 1, dtype=object),
    "str": lambda s: np.full(s, "1", dtype="U3"),
    "bytes": lambda s: np.full(s, b"1", dtype="S3"),
    "datetime64": lambda s: np.full(s, 1, dtype="M8[s]"),
    "timedelta64": lambda s: np.full(s, 1, dtype="m8[s]"),
    "void": lambda s: np.zeros(s, dtype="V8"),
}


@pytest.mark.parametrize("kind", sorted(BAD_KIND_ARRAYS))
@pytest.mark.parametrize("shape", [(2, 2), (3, 3, 3), (0, 0), (2, 0, 0)], ids=str)
def test_uncastable_dtypes(kind, shape):
    """numpy raises a (private) UFuncTypeError subclass of TypeError; matinv must raise
    that very class with the same message."""
    a = BAD_KIND_ARRAYS[kind](shape)
    exc, np_exc = assert_parity(a)
    assert isinstance(np_exc, TypeError) and type(np_exc) is not TypeError
    assert type(exc) is type(np_exc)


def test_object_array_of_numbers_is_still_rejected():
    a = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=object)
    exc, _ = assert_parity(a)
    assert isinstance(exc, TypeError)


# ----------------------------------------------------------------------------------------
# shapes

SHAPES = [
    (1, 1),
    (2, 2),
    (3, 3),
    (4, 4),
    (5, 5),
    (8, 8),
    (17, 17),
    (64, 64),
    (130, 130),
    (300, 300),
    (7, 3, 3),
    (2, 3, 4, 4),
    (3, 2, 9, 9),
    (4, 1, 1),
]


@pytest.mark.parametrize("dtype", INEXACT, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_shapes(shape, dtype):
    a = well_conditioned(shape, dtype, seed=len(shape) * 1000 + shape[-1])
    got, _ = assert_parity(a)
    assert got.shape == shape
    # and it is an inverse, independently of numpy
    wide = _wide_dtype(dtype)
    ident = np.broadcast_to(np.eye(shape[-1]), shape)
    tol = 1e-4 if dtype in (np.float32, np.complex64) else 1e-10
    assert_allclose(a.astype(wide) @ got.astype(wide), ident, atol=tol)


EMPTY_SHAPES = [(0, 0), (3, 0, 0), (0, 4, 4), (0, 0, 0), (2, 0, 3, 3)]


@pytest.mark.parametrize("dtype", GOOD_DTYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("shape", EMPTY_SHAPES, ids=str)
def test_empty(shape, dtype):
    a = np.zeros(shape, dtype=dtype)
    got, _ = assert_parity(a)
    assert got.shape == shape
    assert got.dtype == _result_dtype(dtype)
    assert got.size == 0


# ----------------------------------------------------------------------------------------
# layouts


class ArrayLike:
    """Not an ndarray; converts through __array__."""

    def __init__(self, arr):
        self._arr = arr

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self._arr, dtype=dtype)


def _unaligned(a):
    buf = np.zeros(a.nbytes + 1, dtype=np.uint8)
    out = np.ndarray(a.shape, dtype=a.dtype, buffer=buf, offset=1)
    out[...] = a
    if a.dtype.itemsize > 1:
        assert not out.flags.aligned
    return out


def _strided_2(a):
    big = well_conditioned(a.shape[:-2] + (2 * a.shape[-2], 2 * a.shape[-1]), a.dtype, 99)
    big[..., ::2, ::2] = a
    out = big[..., ::2, ::2]
    assert not out.flags.c_contiguous and not out.flags.f_contiguous
    return out


def _stack_stride(a):
    big = np.empty((a.shape[0], 2) + a.shape[1:], dtype=a.dtype)
    big[:, 0] = a
    big[:, 1] = a[::-1]
    return big[:, 0]  # stack stride twice the matrix size


def _readonly(a):
    a = a.copy()
    a.flags.writeable = False
    return a


def _byteswapped(a):
    out = a.astype(a.dtype.newbyteorder())
    assert not out.dtype.isnative or out.dtype.itemsize == 1
    return out


def _to_tuple(x):
    return tuple(_to_tuple(v) for v in x) if isinstance(x, list) else x


LAYOUTS = {
    "C": lambda a: a,
    "F": np.asfortranarray,
    "every-other": _strided_2,
    "rows-reversed": lambda a: a[..., ::-1, :],
    "cols-reversed": lambda a: a[..., :, ::-1],
    "stack-reversed": lambda a: a[::-1],
    "stack-strided": _stack_stride,
    "swapaxes": lambda a: np.swapaxes(np.ascontiguousarray(np.swapaxes(a, -1, -2)), -1, -2),
    "broadcast": lambda a: np.broadcast_to(a[0], (5,) + a.shape[1:]),
    "broadcast-middle": lambda a: np.broadcast_to(a[:, None], (a.shape[0], 3) + a.shape[1:]),
    "byteswapped": _byteswapped,
    "unaligned": _unaligned,
    "readonly": _readonly,
    "readonly-broadcast": lambda a: np.broadcast_to(a, a.shape),
    "list": lambda a: a.tolist(),
    "tuple": lambda a: _to_tuple(a.tolist()),
    "__array__": ArrayLike,
}


@pytest.mark.parametrize(
    "dtype",
    [np.float64, np.float32, np.complex128, np.complex64, np.int32, np.uint16, np.bool_],
    ids=lambda t: np.dtype(t).name,
)
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_layouts(layout, dtype):
    a = well_conditioned((3, 6, 6), dtype, seed=7)
    x = LAYOUTS[layout](a)
    got, expected = assert_parity(x)
    # same values as for the plain C-ordered copy of the same matrices
    plain = np.ascontiguousarray(np.asarray(x))
    assert_close_inverse(got, np.linalg.inv(plain), plain)


@pytest.mark.parametrize(
    "layout", ["C", "F", "every-other", "byteswapped", "unaligned", "list", "readonly"]
)
def test_layouts_2d(layout):
    a = well_conditioned((2, 9, 9), np.float64, seed=11)
    x = LAYOUTS[layout](a)[1]  # one matrix of the laid-out stack
    assert np.ndim(x) == 2
    assert_parity(x)


def test_nested_int_lists():
    assert_parity([[4, 1], [2, 3]])
    assert_parity([[[4, 1], [2, 3]], [[1, 0], [0, 1]]])
    assert_parity(((2, 0, 0), (0, 4, 0), (0, 0, 8)))
    got, _ = assert_parity([[True, False], [False, True]])
    assert got.dtype == np.float64


def test_complex_and_mixed_lists():
    got, _ = assert_parity([[1 + 1j, 2], [3, 4 - 2j]])
    assert got.dtype == np.complex128
    got, _ = assert_parity([[1, 2.5], [3, 4]])
    assert got.dtype == np.float64


def test_transposed_stack_via_swapaxes():
    a = well_conditioned((4, 5, 5), np.float64, seed=3)
    t = np.swapaxes(a, -1, -2)
    got, _ = assert_parity(t)
    assert_allclose(got, np.swapaxes(np.linalg.inv(a), -1, -2), rtol=1e-12, atol=1e-13)
    t2 = np.swapaxes(well_conditioned((5, 3, 4, 4), np.complex64, seed=3), 0, 2)
    assert_parity(t2)


def test_zero_stride_broadcast_is_not_written():
    base = well_conditioned((3, 3), np.float64, seed=5)
    snap = base.copy()
    b = np.broadcast_to(base, (1000, 3, 3))
    assert b.strides[0] == 0
    got, _ = assert_parity(b)
    assert_array_equal(base, snap)
    assert_array_equal(got, np.broadcast_to(got[0], got.shape))


def test_unaligned_native_types_are_really_unaligned():
    for dt in INEXACT:
        x = _unaligned(well_conditioned((2, 4, 4), dt, seed=2))
        assert not x.flags.aligned
        assert_parity(x)


def test_non_native_byte_order_all_dtypes():
    for dt in SIGNED[1:] + UNSIGNED[1:] + INEXACT:
        x = _byteswapped(well_conditioned((2, 3, 3), dt, seed=4))
        assert not x.dtype.isnative
        got, _ = assert_parity(x)
        assert got.dtype.isnative


# ----------------------------------------------------------------------------------------
# subclasses


class MyArray(np.ndarray):
    pass


class TaggedArray(np.ndarray):
    def __array_finalize__(self, obj):
        self.tag = getattr(obj, "tag", "default")


class PlainWrap(np.ndarray):
    """A subclass whose __array_wrap__ hands back a plain ndarray."""

    def __array_wrap__(self, obj, context=None, return_scalar=False):
        return np.asarray(obj)


class HasWrap:
    """Not an ndarray: __array__ plus an __array_wrap__ that boxes the result."""

    def __init__(self, arr):
        self.arr = arr

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.arr, dtype=dtype)

    def __array_wrap__(self, obj, context=None, return_scalar=False):
        return Boxed(obj)


class Boxed(np.ndarray):
    def __new__(cls, obj):
        return np.asarray(obj).view(cls)


def test_matrix_in_matrix_out():
    a = np.matrix(well_conditioned((4, 4), np.float64, seed=8))
    got, expected = assert_parity(a)
    assert type(got) is np.matrix
    assert_allclose(got, expected, rtol=1e-12)
    got, _ = assert_parity(np.matrix([[1, 2], [3, 4]]))
    assert type(got) is np.matrix and got.dtype == np.float64
    got, _ = assert_parity(np.matrix(well_conditioned((3, 3), np.complex64, seed=8)))
    assert type(got) is np.matrix
    got, _ = assert_parity(np.matrix(np.zeros((0, 0))))
    assert type(got) is np.matrix


def test_matrix_errors():
    assert_parity(np.matrix([[1, 2], [2, 4]]))  # singular
    assert_parity(np.matrix([[1, 2, 3], [4, 5, 6]]))  # not square
    assert_parity(np.matrix(np.full((2, 2), "1", dtype="U3")))  # uncastable


@pytest.mark.parametrize("cls", [MyArray, TaggedArray, PlainWrap])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (0, 2, 2)], ids=str)
def test_ndarray_subclasses(cls, shape):
    a = well_conditioned(shape, np.float64, seed=9).view(cls)
    got, expected = assert_parity(a)
    assert type(got) is type(expected)
    if cls is TaggedArray:
        assert got.tag == expected.tag


def test_subclass_of_int_array():
    a = well_conditioned((2, 3, 3), np.int16, seed=9).view(MyArray)
    got, expected = assert_parity(a)
    assert type(got) is MyArray and got.dtype == np.float64


def test_object_with_array_wrap():
    obj = HasWrap(well_conditioned((3, 3), np.float64, seed=10))
    got, expected = assert_parity(obj)
    assert type(got) is type(expected)


def test_masked_array():
    a = np.ma.array(well_conditioned((3, 3), np.float64, seed=12), mask=False)
    got, expected = assert_parity(a)
    assert type(got) is type(expected)


# ----------------------------------------------------------------------------------------
# errors

ERROR_CASES = {
    "0-d": np.array(2.0),
    "0-d-int": np.array(3),
    "python-scalar": 2.0,
    "1-d": np.ones(3),
    "1-d-empty": np.ones(0),
    "1-d-list": [1.0, 2.0],
    "2x3": np.ones((2, 3)),
    "4x2x3": np.ones((4, 2, 3)),
    "0x3": np.ones((0, 3)),
    "3x0": np.ones((3, 0)),
    "2x0x3": np.ones((2, 0, 3)),
    "1-d-float16": np.ones(3, dtype=np.float16),
    "0-d-object": np.array(None, dtype=object),
    "2x3-object": np.ones((2, 3), dtype=object),
    "2x3-float16": np.ones((2, 3), dtype=np.float16),
    "2x3-str": np.full((2, 3), "a"),
    "1-d-longdouble": np.ones(4, dtype=np.longdouble),
    "ragged-list": [[1.0, 2.0], [3.0]],
    "None": None,
    "string": "abc",
}


@pytest.mark.parametrize("name", list(ERROR_CASES))
def test_bad_inputs_raise_like_numpy(name):
    exc, np_exc = assert_parity(ERROR_CASES[name])
    assert exc is not None


@pytest.mark.parametrize(
    "a, message",
    [
        (np.array(2.0), "0-dimensional array given. Array must be at least two-dimensional"),
        (np.ones(3), "1-dimensional array given. Array must be at least two-dimensional"),
        (np.ones((2, 3)), "Last 2 dimensions of the array must be square"),
        (np.ones((4, 2, 3)), "Last 2 dimensions of the array must be square"),
        # shape errors come before dtype errors
        (
            np.ones(3, dtype=np.float16),
            "1-dimensional array given. Array must be at least two-dimensional",
        ),
        (np.ones((2, 3), dtype=object), "Last 2 dimensions of the array must be square"),
        (np.ones((2, 3), dtype=np.clongdouble), "Last 2 dimensions of the array must be square"),
    ],
    ids=["0-d", "1-d", "2x3", "4x2x3", "1-d-float16", "2x3-object", "2x3-clongdouble"],
)
def test_shape_error_messages(a, message):
    with pytest.raises(LinAlgError) as info:
        matinv.inv(a)
    assert str(info.value) == message
    assert type(info.value) is LinAlgError
    assert_parity(a)


def test_linalgerror_is_numpys():
    assert matinv.LinAlgError is np.linalg.LinAlgError
    assert issubclass(matinv.LinAlgError, ValueError)


SINGULAR = {
    "rank-1": [[1.0, 2.0], [2.0, 4.0]],
    "rank-1-int": np.array([[1, 2], [2, 4]]),
    "zeros": np.zeros((3, 3)),
    "zeros-1x1": np.zeros((1, 1)),
    "zero-row": np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [4.0, 5.0, 7.0]]),
    "zero-col-complex": np.array([[1, 0], [2j, 0]], dtype=np.complex128),
    "float32": np.array([[1, 1], [1, 1]], dtype=np.float32),
    "complex64": np.array([[1j, 2j], [2j, 4j]], dtype=np.complex64),
    "bool": np.array([[True, True], [True, True]]),
    "uint8": np.array([[2, 4], [1, 2]], dtype=np.uint8),
    "0-9": np.arange(9.0).reshape(3, 3),
    "0-15": np.arange(16.0).reshape(4, 4),
    "ones": np.ones((3, 3)),
    "zero-stride-rows": np.broadcast_to(np.arange(1.0, 4.0), (3, 3)),
    "zero-stride-stack": np.broadcast_to([[1.0, 2.0], [2.0, 4.0]], (3, 2, 2)),
}


@pytest.mark.parametrize("name", list(SINGULAR))
def test_singular(name):
    a = SINGULAR[name]
    with pytest.raises(LinAlgError, match="^Singular matrix$") as info:
        matinv.inv(a)
    assert isinstance(info.value, ValueError)
    assert type(info.value) is np.linalg.LinAlgError
    assert_parity(a)


# Integer matrices that are singular in exact arithmetic.  Whether a floating-point LU
# meets an exact zero pivot on them depends on the rounding of each update; numpy's answer
# (LinAlgError or a huge inverse) is the one to reproduce.
EXACTLY_SINGULAR = {
    "1-9": np.arange(1, 10).reshape(3, 3),  # the classic [[1,2,3],[4,5,6],[7,8,9]]
    "1-9-float32": np.arange(1, 10).reshape(3, 3).astype(np.float32),
    "1-9-complex": np.arange(1, 10).reshape(3, 3) * (1 + 1j),
    "1-16": np.arange(1, 17).reshape(4, 4),
    "1-25-complex": np.arange(1, 26).reshape(5, 5) * (1 + 1j),
    "0-35": np.arange(36).reshape(6, 6),
    "1-36": np.arange(1, 37).reshape(6, 6),
    "0-8": np.arange(9).reshape(3, 3),
    "1-9-T": np.arange(1, 10).reshape(3, 3).T,
    "magic4": np.array([[16, 2, 3, 13], [5, 11, 10, 8], [9, 7, 6, 12], [4, 14, 15, 1]]),
    "docs-seed": np.array([[2, 4, 6], [2, 0, 2], [6, 8, 14]]),
    "outer": np.outer(np.arange(1, 6), np.arange(2, 7)),
}


@pytest.mark.parametrize("name", list(EXACTLY_SINGULAR))
def test_exactly_singular_like_numpy(name):
    a = EXACTLY_SINGULAR[name]
    got, expected = assert_parity(a, check_values=False)
    if isinstance(expected, np.ndarray):
        # near-singular: the values are ~1/eps; only loose agreement is meaningful
        assert_allclose(got, expected, rtol=1e-6)
    else:
        assert isinstance(got, LinAlgError) and str(got) == "Singular matrix"


@pytest.mark.parametrize("where", [0, 5, 11], ids=lambda w: f"at{w}")
@pytest.mark.parametrize("dtype", INEXACT, ids=lambda t: np.dtype(t).name)
def test_one_singular_in_a_stack(where, dtype):
    a = well_conditioned((12, 4, 4), dtype, seed=13)
    a[where] = np.array([[1, 2, 3, 4], [2, 4, 6, 8], [0, 1, 0, 1], [1, 0, 1, 0]])
    snap = a.copy()
    with pytest.raises(LinAlgError, match="^Singular matrix$"):
        matinv.inv(a)
    assert_array_equal(a, snap)
    assert_parity(a)
    # numpy's own multiloop case: a non-contiguous view of the stack
    x = np.zeros((4, 4, 2, 2), dtype=dtype)[1::2]
    x[...] = [[1, 2], [3, 4]]
    x[0, 0] = [[1, 1], [1, 1]]
    assert_parity(x)


NONFINITE = {
    "nan": [[np.nan, 1.0], [1.0, 1.0]],
    "all-nan": np.full((3, 3), np.nan),
    "inf": [[np.inf, 1.0], [1.0, 1.0]],
    "-inf": [[1.0, -np.inf], [2.0, 1.0]],
    "inf-diag": np.diag([np.inf, np.inf, 1.0]),
    "inf-nan": [[np.inf, np.nan], [1.0, 1.0]],
    "nan-in-stack": np.stack([np.eye(3), np.full((3, 3), np.nan), np.eye(3)]),
    "nan-f32": np.array([[np.nan, 0], [0, 1]], dtype=np.float32),
    "inf-c128": np.array([[complex(np.inf, 0), 1], [1, 1j]]),
    "nan-c64": np.array([[1, np.nan * 1j], [0, 1]], dtype=np.complex64),
    "nan-64x64": np.where(np.eye(64) > 0, np.nan, 1.0),
    "inf-300x300": np.where(np.eye(300) > 0, np.inf, 1.0),
}


@pytest.mark.parametrize("name", list(NONFINITE))
def test_nonfinite_input(name):
    """No crash or hang: either a result with non-finite values, or LinAlgError."""
    a = NONFINITE[name]
    box = {}

    def run():
        try:
            box["result"] = matinv.inv(a)
        except LinAlgError as exc:
            box["exc"] = exc
        except BaseException as exc:
            box["other"] = exc

    snap = _snapshot(a)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(30)
    assert not t.is_alive(), "matinv.inv hung on non-finite input"
    assert "other" not in box, repr(box.get("other"))
    if "exc" in box:
        assert str(box["exc"]) == "Singular matrix"
    else:
        res = box["result"]
        assert res.shape == np.shape(a)
        assert res.dtype == _result_dtype(np.asarray(a).dtype)
        if np.all(np.isfinite(res)):
            # A finite inverse of a matrix with an infinity can be right (numpy gives
            # inv([[inf, 1], [1, 1]]) == [[0, 0], [0, 1]]): then it must be numpy's.
            assert_allclose(res, np.linalg.inv(a), rtol=1e-12, atol=1e-300)
    _assert_unmodified(a, snap)


@pytest.mark.parametrize(
    "dtype", [np.float64, np.complex64, np.int8], ids=lambda t: np.dtype(t).name
)
def test_too_large_to_allocate(dtype):
    base = np.eye(2, dtype=dtype)
    a = np.broadcast_to(base, (2**40, 2, 2))  # (no snapshot of this one: 32 TiB)
    with pytest.raises(MemoryError) as np_info:
        np.linalg.inv(a)
    with pytest.raises(MemoryError) as mi_info:
        matinv.inv(a)
    # numpy raises its private MemoryError subclass (_ArrayMemoryError) for both
    assert type(mi_info.value) is type(np_info.value)
    assert _public_class(mi_info.value) is MemoryError
    # The message names the buffer that failed: numpy computes float32/complex64 in a
    # double-precision buffer (so its message says complex128, 64 TiB), matinv need not.
    assert str(mi_info.value).startswith("Unable to allocate ")
    assert "with shape (1099511627776, 2, 2)" in str(mi_info.value)
    if np.dtype(dtype) not in (np.float32, np.complex64):
        assert str(mi_info.value) == str(np_info.value)
    assert_array_equal(base, np.eye(2))


# ----------------------------------------------------------------------------------------
# output and input invariants


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_output_is_new_c_contiguous(layout):
    a = well_conditioned((3, 5, 5), np.complex128, seed=14)
    x = LAYOUTS[layout](a)
    snap = _snapshot(x)
    got = matinv.inv(x)
    _assert_unmodified(x, snap)
    assert type(got) is np.ndarray
    assert got.flags.c_contiguous
    assert got.flags.writeable
    assert not np.shares_memory(got, np.asarray(x))
    assert got.strides == np.empty(got.shape, got.dtype).strides
    # writing to the result does not touch the input
    got[...] = 0
    _assert_unmodified(x, snap)


def test_result_is_fresh_each_call():
    a = well_conditioned((4, 4), np.float64, seed=15)
    r1 = matinv.inv(a)
    r2 = matinv.inv(a)
    assert not np.shares_memory(r1, r2)
    assert_array_equal(r1, r2)


def test_inverse_of_inverse():
    a = well_conditioned((6, 6), np.float64, seed=16)
    assert_allclose(matinv.inv(matinv.inv(a)), a, rtol=1e-12)


def test_identity_and_diagonal_exact():
    assert_array_equal(matinv.inv(np.eye(5)), np.eye(5))
    d = np.diag([2.0, 4.0, 0.5, -8.0])
    assert_array_equal(matinv.inv(d), np.diag([0.5, 0.25, 2.0, -0.125]))
    assert_array_equal(matinv.inv(np.array([[4.0]])), [[0.25]])


# ----------------------------------------------------------------------------------------
# threads


def test_threads_match_serial():
    stacks = [
        well_conditioned((40, 24, 24), dt, seed=100 + i)
        for i, dt in enumerate([np.float64, np.complex128, np.float32, np.complex64] * 2)
    ]
    serial = [matinv.inv(s) for s in stacks]
    results = [None] * len(stacks)
    errors = []
    barrier = threading.Barrier(len(stacks))

    def work(i):
        try:
            barrier.wait()
            for _ in range(5):
                r = matinv.inv(stacks[i])
                if results[i] is not None:
                    assert_array_equal(r, results[i])
                results[i] = r
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(stacks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors
    for got, want in zip(results, serial):
        assert got.dtype == want.dtype
        assert_array_equal(got, want)


def test_threads_with_errors():
    """Threads raising LinAlgError concurrently do not disturb the others."""
    good = well_conditioned((20, 8, 8), np.float64, seed=200)
    bad = good.copy()
    bad[7] = 0
    want = matinv.inv(good)
    outcome = [None] * 8
    barrier = threading.Barrier(8)

    def work(i):
        barrier.wait()
        try:
            outcome[i] = matinv.inv(bad if i % 2 else good)
        except LinAlgError as exc:
            outcome[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for i, out in enumerate(outcome):
        if i % 2:
            assert isinstance(out, LinAlgError) and str(out) == "Singular matrix"
        else:
            assert_array_equal(out, want)


# ----------------------------------------------------------------------------------------
# numpy's documentation examples


def test_near_singular_docs_example():
    a = np.array([[2, 4, 6], [2, 0, 2], [6, 8, 14]])
    got, expected = assert_parity(a, check_values=False)
    assert np.all(np.abs(got) > 1e14)
    assert_allclose(got, expected, rtol=1e-6)


def test_docs_examples_values():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert_allclose(matinv.inv(a), [[-2.0, 1.0], [1.5, -0.5]], rtol=1e-14)
    b = np.array([[[1.0, 2.0], [3.0, 4.0]], [[1, 3], [3, 5]]])
    assert_allclose(
        matinv.inv(b), [[[-2.0, 1.0], [1.5, -0.5]], [[-1.25, 0.75], [0.75, -0.25]]], rtol=1e-14
    )


def test_docstring_examples_pass():
    finder = doctest.DocTestFinder()
    tests = finder.find(matinv.inv, "matinv.inv", globs={})
    assert tests and tests[0].examples
    runner = doctest.DocTestRunner(
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS, verbose=False
    )
    failures = []
    for t in tests:
        runner.run(t, out=failures.append)
    result = runner.summarize(verbose=False)
    assert result.attempted > 5
    assert result.failed == 0, "".join(failures)


def test_workspace_allocation_failure_is_a_memory_error_not_an_abort():
    # Regression: a failed allocation of the LU workspace aborted the whole process.
    # float64 is inverted in place in its output; float32 needs a double-precision copy.
    import subprocess
    import sys

    code = """
import resource
resource.setrlimit(resource.RLIMIT_AS, (9 << 30, 9 << 30))
import numpy as np, matinv
from numpy.lib.stride_tricks import as_strided
# output 3.6 GB fits, 7.2 GB copy not
a = as_strided(np.ones(1, np.float32), (30000, 30000), (0, 0))
try:
    matinv.inv(a)
except MemoryError:
    print("MemoryError")
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    assert r.stdout.strip() == "MemoryError"
