"""matinv: ``numpy.linalg.inv`` rebuilt in Rust.

``matinv.inv(a)`` is a drop-in replacement for ``numpy.linalg.inv(a)``: same result dtypes,
shapes, subclasses, exceptions and messages, computed by a pure-Rust core that works on
strided stacks of matrices without copying them whole and releases the GIL while it runs.
"""

import contextlib
import contextvars
import os

import numpy as np
from numpy.linalg import LinAlgError

from . import _matinv

__all__ = ["inv", "LinAlgError", "set_num_threads", "get_num_threads", "threads"]
__version__ = _matinv.__version__


def _check_threads(n):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"number of threads must be a positive integer, got {n!r}")
    return int(n)


def _threads_from_env():
    value = os.environ.get("MATINV_NUM_THREADS", "").strip()
    if not value:
        return None
    try:
        return _check_threads(int(value))
    except ValueError:
        raise ValueError(
            f"MATINV_NUM_THREADS must be a positive integer, got {value!r}"
        ) from None


_default_threads = _threads_from_env()
_context_threads = contextvars.ContextVar("matinv_threads", default=None)


def set_num_threads(n):
    """Set the number of threads matinv uses from now on (default: every core, or
    the ``MATINV_NUM_THREADS`` environment variable). ``threads(n)`` blocks override it."""
    global _default_threads
    _default_threads = _check_threads(n)


def get_num_threads():
    """The number of threads the next matinv call in this context will use."""
    n = _context_threads.get() or _default_threads
    return n if n is not None else _matinv.default_num_threads()


@contextlib.contextmanager
def threads(n):
    """Use `n` threads inside the ``with`` block (this thread / async context only).

    >>> import matinv
    >>> with matinv.threads(1):
    ...     matinv.get_num_threads()
    1
    """
    token = _context_threads.set(_check_threads(n))
    try:
        yield
    finally:
        _context_threads.reset(token)

# dtypes the native kernels read directly (float32/complex64 are widened there, per matrix),
# mapped to the result dtype (themselves).
_NATIVE = {np.dtype(t): np.dtype(t) for t in (np.float32, np.float64, np.complex64, np.complex128)}


def _result_dtype(dtype):
    """numpy's ``_commonType`` for one array: the dtype ``inv`` returns."""
    if issubclass(dtype.type, np.inexact):
        if dtype.type in (np.float32, np.float64, np.complex64, np.complex128):
            return np.dtype(dtype.type)
        raise TypeError(f"array type {dtype.name} is unsupported in linalg")
    return np.dtype(np.float64)


def inv(a):
    """
    Compute the inverse of a matrix.

    Given a square matrix `a`, return the matrix `ainv` satisfying
    ``a @ ainv = ainv @ a = eye(a.shape[0])``.

    Parameters
    ----------
    a : (..., M, M) array_like
        Matrix to be inverted.

    Returns
    -------
    ainv : (..., M, M) ndarray or matrix
        Inverse of the matrix `a`.

    Raises
    ------
    LinAlgError
        If `a` is not square or inversion fails (`numpy.linalg.LinAlgError` itself).
    TypeError
        If the dtype of `a` is not supported (float16, longdouble, object, ...).

    See Also
    --------
    numpy.linalg.inv : The function this one replaces.
    numpy.linalg.cond : Compute the condition number of a matrix.
    numpy.linalg.svd : Compute the singular value decomposition of a matrix.

    Notes
    -----
    Broadcasting rules apply, see the `numpy.linalg` documentation for details.

    A matrix is singular, and `LinAlgError` is raised, when LU factorization with partial
    pivoting meets an exact zero pivot, which is LAPACK's (and so numpy's) rule. If `a` is
    ill-conditioned, `LinAlgError` may or may not be raised, and results may be inaccurate
    due to floating-point errors.

    float32 and complex64 inputs are computed in double precision and rounded, as numpy
    does. The result is always a new C-contiguous array; the input is never modified.

    Examples
    --------
    >>> import numpy as np
    >>> from matinv import inv
    >>> a = np.array([[1., 2.], [3., 4.]])
    >>> ainv = inv(a)
    >>> np.allclose(a @ ainv, np.eye(2))
    True
    >>> np.allclose(ainv @ a, np.eye(2))
    True

    If a is a matrix object, then the return value is a matrix as well:

    >>> ainv = inv(np.matrix(a))
    >>> ainv
    matrix([[-2. ,  1. ],
            [ 1.5, -0.5]])

    Inverses of several matrices can be computed at once:

    >>> a = np.array([[[1., 2.], [3., 4.]], [[1, 3], [3, 5]]])
    >>> inv(a)
    array([[[-2.  ,  1.  ],
            [ 1.5 , -0.5 ]],
    <BLANKLINE>
           [[-1.25,  0.75],
            [ 0.75, -0.25]]])

    If a matrix is close to singular, the computed inverse may not satisfy
    ``a @ ainv = ainv @ a = eye(a.shape[0])`` even if a `LinAlgError`
    is not raised:

    >>> a = np.array([[2,4,6],[2,0,2],[6,8,14]])
    >>> inv(a)  # No errors raised
    array([[-1.12589991e+15, -5.62949953e+14,  5.62949953e+14],
           [-1.12589991e+15, -5.62949953e+14,  5.62949953e+14],
           [ 1.12589991e+15,  5.62949953e+14, -5.62949953e+14]])
    >>> a @ inv(a)  # doctest: +SKIP
    array([[ 0.   , -0.5  ,  0.   ],  # may vary
           [-0.5  ,  0.625,  0.25 ],
           [ 0.   ,  0.   ,  1.   ]])

    To detect ill-conditioned matrices, you can use `numpy.linalg.cond` to compute its
    *condition number*. The larger the condition number, the more ill-conditioned the
    matrix is. As a rule of thumb, if the condition number ``cond(a) = 10**k``, then you
    may lose up to ``k`` digits of accuracy on top of what would be lost to the numerical
    method due to loss of precision from arithmetic methods.

    >>> from numpy.linalg import cond
    >>> cond(a) > 1e16
    np.True_

    It is also possible to detect ill-conditioning by inspecting the matrix's singular
    values directly. The ratio between the largest and the smallest singular value is
    the condition number:

    >>> from numpy.linalg import svd
    >>> sigma = svd(a, compute_uv=False)  # Do not compute singular vectors
    >>> sigma.max()/sigma.min() > 1e16
    np.True_

    Singular matrices raise numpy's own exception:

    >>> inv([[1., 2.], [2., 4.]])
    Traceback (most recent call last):
        ...
    numpy.linalg.LinAlgError: Singular matrix
    """
    # Fast path, for the common case and for small matrices where Python overhead counts:
    # a plain ndarray of a native dtype and square shape (numpy's checks cannot fail).
    if type(a) is np.ndarray:
        result_t = _NATIVE.get(a.dtype)
        shape = a.shape
        if result_t is not None and len(shape) >= 2 and shape[-1] == shape[-2]:
            out = np.empty(shape, dtype=result_t)
            if _matinv.inv_into(a, out, _context_threads.get() or _default_threads or 0):
                return out
    return _inv_general(a)


def _inv_general(a):
    arr = np.asarray(a)
    wrap = getattr(a, "__array_wrap__", arr.__array_wrap__)
    _matinv.check_stack(arr.shape)  # shape errors come before dtype errors, as in numpy
    result_t = _result_dtype(arr.dtype)
    if arr.dtype.type in (np.float32, np.float64, np.complex64, np.complex128):
        if arr.dtype not in _NATIVE:  # non-native byte order
            arr = arr.astype(arr.dtype.newbyteorder("="))
    else:
        compute_t = np.complex128 if result_t.kind == "c" else np.float64
        if not np.can_cast(arr.dtype, compute_t, casting="same_kind"):
            raise TypeError(
                f"Cannot cast ufunc 'inv' input from {arr.dtype!r} to "
                f"{np.dtype(compute_t)!r} with casting rule 'same_kind'"
            )
        arr = arr.astype(compute_t)
    out = np.empty(arr.shape, dtype=result_t)
    threads = _context_threads.get() or _default_threads or 0
    if not _matinv.inv_into(arr, out, threads):
        # Unaligned, or strides that are not whole elements: the kernels read elements in
        # place, so they get an aligned copy.
        _matinv.inv_into(arr.copy(), out, threads)
    return wrap(out)
