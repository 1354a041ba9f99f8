"""matinv: ``numpy.linalg.inv`` rebuilt in Rust.

``matinv.inv(a)`` is a drop-in replacement for ``numpy.linalg.inv(a)``: same result dtypes,
shapes, subclasses, exceptions and messages, computed by a pure-Rust core that works on
strided stacks of matrices without copying them whole and releases the GIL while it runs.
"""

import contextlib
import contextvars
import os
import warnings
from typing import NamedTuple

import numpy as np
from numpy.linalg import LinAlgError
from numpy.linalg import _umath_linalg

from . import _dispatch, _matinv

__all__ = [
    "inv",
    "inv_ex",
    "cond",
    "svd",
    "svdvals",
    "SVDResult",
    "InvExResult",
    "errstate",
    "LinAlgError",
    "LinAlgWarning",
    "set_num_threads",
    "get_num_threads",
    "threads",
    "patch_numpy",
    "unpatch_numpy",
    "is_patched",
    "patched_numpy",
]
__version__ = _matinv.__version__


_MAX_THREADS = 1 << 16


def _check_threads(n):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= _MAX_THREADS:
        raise ValueError(
            f"number of threads must be a positive integer up to {_MAX_THREADS}, got {n!r}"
        )
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
    _patch._sync_threads(_default_threads)


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
_KERNEL_TYPES = (np.float32, np.float64, np.complex64, np.complex128)
_NATIVE = {np.dtype(t): np.dtype(t) for t in _KERNEL_TYPES}


class LinAlgWarning(RuntimeWarning):
    """An inverse was computed but cannot be trusted: a singular matrix replaced by NaN
    (``errstate(singular='warn')``), or an ill-conditioned one
    (``errstate(ill_conditioned='warn')``)."""


class InvExResult(NamedTuple):
    """What `inv_ex` returns."""

    inv: np.ndarray
    """The inverses; all NaN for singular matrices."""
    info: np.ndarray
    """int32, one per matrix: 0, or the 1-based column of the first zero pivot (LAPACK)."""
    rcond: np.ndarray
    """float64, one per matrix: 1 / (||A||_1 ||inv(A)||_1); 0 for singular matrices."""


_SINGULAR = ("raise", "nan", "warn")
_ILL_CONDITIONED = ("ignore", "warn", "raise")
_DEFAULT_ERRSTATE = ("raise", "ignore")
_errstate = contextvars.ContextVar("matinv_errstate", default=_DEFAULT_ERRSTATE)


@contextlib.contextmanager
def errstate(*, singular=None, ill_conditioned=None):
    """How `inv` treats singular and ill-conditioned matrices inside the ``with`` block.

    singular : {'raise', 'nan', 'warn'}
        'raise' (numpy's behaviour, the default): `LinAlgError`. 'nan': the singular
        matrices' inverses are NaN, the others are computed. 'warn': as 'nan', and a
        `LinAlgWarning` names the singular matrices.
    ill_conditioned : {'ignore', 'warn', 'raise'}
        What to do when a matrix's reciprocal condition number (1-norm) is below the
        machine epsilon of the result dtype, or NaN (NaN in the input or the inverse):
        nothing (the default, numpy's behaviour), a `LinAlgWarning` naming the matrices
        and their rcond, or `LinAlgError`.

    Settings not given are inherited from the enclosing block. The state is per thread and
    per async context (contextvars).

    >>> import numpy as np, matinv
    >>> with matinv.errstate(singular="nan"):
    ...     matinv.inv(np.array([[[1., 2.], [2., 4.]], [[2., 0.], [0., 2.]]]))
    array([[[nan, nan],
            [nan, nan]],
    <BLANKLINE>
           [[0.5, 0. ],
            [0. , 0.5]]])
    """
    old_singular, old_ill = _errstate.get()
    if singular is None:
        singular = old_singular
    if ill_conditioned is None:
        ill_conditioned = old_ill
    if singular not in _SINGULAR:
        raise ValueError(f"singular must be one of {_SINGULAR}, got {singular!r}")
    if ill_conditioned not in _ILL_CONDITIONED:
        raise ValueError(
            f"ill_conditioned must be one of {_ILL_CONDITIONED}, got {ill_conditioned!r}"
        )
    token = _errstate.set((singular, ill_conditioned))
    try:
        yield
    finally:
        _errstate.reset(token)


def _result_dtype(dtype):
    """numpy's ``_commonType`` for one array: the dtype ``inv`` returns."""
    if issubclass(dtype.type, np.inexact):
        if dtype.type in _KERNEL_TYPES:
            return np.dtype(dtype.type)
        raise TypeError(f"array type {dtype.name} is unsupported in linalg")
    return np.dtype(np.float64)


# scipy 1.17's names for `assume_a` (and its alias 'gen'); the default is compared by
# identity on the fast path, so it is one object.
_GENERAL = "general"
_ASSUME_A = (
    "general",
    "diagonal",
    "upper triangular",
    "lower triangular",
    "pos",
    "sym",
    "her",
    "auto",
)
_ASSUME_A_ALIASES = {"gen": "general"}


def _check_assume_a(assume_a):
    """The canonical name of `assume_a`, or ValueError listing the valid ones."""
    if isinstance(assume_a, str):
        name = _ASSUME_A_ALIASES.get(assume_a, assume_a)
        if name in _ASSUME_A:
            return name
    valid = ", ".join(repr(v) for v in _ASSUME_A)
    raise ValueError(f"assume_a must be one of {valid}; got {assume_a!r}")


def inv(a, *, assume_a=_GENERAL, lower=False):
    """
    Compute the inverse of a matrix.

    Given a square matrix `a`, return the matrix `ainv` satisfying
    ``a @ ainv = ainv @ a = eye(a.shape[0])``.

    Parameters
    ----------
    a : (..., M, M) array_like
        Matrix to be inverted.
    assume_a : str, optional
        What is known about every matrix of `a`, in scipy's vocabulary; the structured
        paths read less of `a` and do less work:

        - ``'general'`` (default; alias ``'gen'``): numpy's behaviour, LU with partial
          pivoting.
        - ``'diagonal'``: only the diagonal is read; the result is diagonal.
        - ``'upper triangular'`` / ``'lower triangular'``: only that triangle is read (the
          other one is taken as zero); the result is triangular, with exact zeros in the
          other triangle. About a third of the general path's work.
        - ``'pos'``: Hermitian (real: symmetric) positive definite, read from one triangle
          (see `lower`; the imaginary part of the diagonal is ignored). Cholesky: about
          half the work. Raises ``LinAlgError("Matrix is not positive definite")`` when
          the matrix is not.
        - ``'sym'`` / ``'her'``: symmetric / Hermitian, read from one triangle. Cholesky is
          tried when the diagonal is positive (real ``'sym'`` and ``'her'`` only), else
          and when it fails, LU of the full matrix; so these are faster than
          ``'general'`` only for positive definite matrices, and LU's inverse is
          symmetric up to rounding only.
        - ``'auto'``: per matrix, diagonal if every off-diagonal entry is zero, else
          triangular if one strict triangle is zero, else Cholesky if the matrix is exactly
          Hermitian with a positive diagonal (LU if Cholesky fails; real matrices take the
          general path, as fast or faster there), else the general path (bit for bit the
          ``'general'`` result).

        Cholesky's results (``'pos'``, and ``'sym'``/``'her'`` when it succeeds) are
        exactly Hermitian (``x == x.conj().T`` bit for bit).
    lower : bool, optional
        For ``'pos'``, ``'sym'`` and ``'her'``: read the lower triangle instead of the upper
        one (scipy's convention). Ignored for the other values of `assume_a`.

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
    ValueError
        If `assume_a` is not one of the values above (checked before anything else).

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

    What is known about the matrix can be used (here Cholesky, from the upper triangle):

    >>> inv(np.array([[4., 2.], [99., 3.]]), assume_a="pos")
    array([[ 0.375, -0.25 ],
           [-0.25 ,  0.5  ]])

    Singular matrices raise numpy's own exception:

    >>> inv([[1., 2.], [2., 4.]])
    Traceback (most recent call last):
        ...
    numpy.linalg.LinAlgError: Singular matrix
    """
    state = _errstate.get()
    # Fast path, for the common case and for small matrices where Python overhead counts:
    # a plain ndarray of a native dtype and square shape (numpy's checks cannot fail).
    if type(a) is np.ndarray and state is _DEFAULT_ERRSTATE and assume_a is _GENERAL:
        result_t = _NATIVE.get(a.dtype)
        shape = a.shape
        if result_t is not None and len(shape) >= 2 and shape[-1] == shape[-2]:
            out = np.empty(shape, dtype=result_t)
            if _matinv.inv_into(a, out, _context_threads.get() or _default_threads or 0):
                return out
    if _dispatch.overrides_numpy(a):
        return _dispatched_inv(a, state, assume_a, lower, ex=False)
    if assume_a is not _GENERAL and _check_assume_a(assume_a) != _GENERAL:
        return _inv_structured(a, state, assume_a, lower)
    arr, wrap, result_t = _prepare(a)
    if state is _DEFAULT_ERRSTATE:
        out = np.empty(arr.shape, dtype=result_t)
        _run(_matinv.inv_into, arr, out)
        return wrap(out)
    out, info, rcond = _inv_ex(arr, result_t)
    _apply_errstate(state, out, info, rcond, result_t)
    return wrap(out)


def _dispatched_inv(a, state, assume_a, lower, ex):
    """`inv` / `inv_ex` of an array whose type overrides numpy's functions: what numpy's
    dispatch gives (see `_dispatch`)."""
    name = _check_assume_a(assume_a)
    if _dispatch.is_dask_array(a):
        from . import dask as matinv_dask

        func = matinv_dask.inv_ex if ex else matinv_dask.inv
        return func(a, assume_a=name, lower=lower)
    if ex:
        _dispatch.refuse(a, "matinv.inv_ex")
    if name != _GENERAL:
        _dispatch.refuse(a, f"assume_a={assume_a!r}")
    if state != _DEFAULT_ERRSTATE:
        _dispatch.refuse(a, "matinv.errstate other than its default")
    return np.linalg.inv(a)


def _inv_structured(a, state, assume_a, lower):
    """`inv` for every `assume_a` but 'general' (already checked)."""
    name = _check_assume_a(assume_a)
    arr, wrap, result_t = _prepare(a)
    out = np.empty(arr.shape, dtype=result_t)
    if state is _DEFAULT_ERRSTATE:
        _run_structured(arr, out, None, None, name, lower)
        return wrap(out)
    info = np.empty(arr.shape[:-2], dtype=np.int32)
    rcond = np.empty(arr.shape[:-2], dtype=np.float64)
    _run_structured(arr, out, info, rcond, name, lower)
    _apply_errstate(state, out, info, rcond, result_t, cholesky=name == "pos", stacklevel=4)
    return wrap(out)


def _run_structured(arr, out, info, rcond, name, lower):
    threads = _context_threads.get() or _default_threads or 0
    lower = bool(lower)
    if not _matinv.inv_structured_into(arr, out, info, rcond, name, lower, threads):
        _matinv.inv_structured_into(arr.copy(), out, info, rcond, name, lower, threads)


def inv_ex(a, *, assume_a=_GENERAL, lower=False):
    """
    Invert every matrix of a stack, never raising for singular or ill-conditioned ones.

    Parameters
    ----------
    a : (..., M, M) array_like
        Matrices to be inverted (the dtypes `inv` accepts).
    assume_a, lower
        As in `inv`: the structure of the matrices and the triangle read.

    Returns
    -------
    InvExResult
        A named tuple ``(inv, info, rcond)``. ``inv`` is what `inv` returns, except that the
        inverses of singular matrices are all NaN. ``info`` (int32, shape ``a.shape[:-2]``)
        is 0 for an inverted matrix, else the 1-based column of the first exact zero pivot
        of LU with partial pivoting, as LAPACK and ``torch.linalg.inv_ex`` report it. For
        ``assume_a='diagonal'`` and the triangular ones it is the 1-based index of the
        first zero on the diagonal (LAPACK ``trtri``); for ``'pos'``, the order of the
        first leading minor that is not positive definite (LAPACK ``potrf``).
        ``rcond`` (float64, same shape) is the reciprocal condition number in the 1-norm,
        ``1 / (||A||_1 ||inv(A)||_1)``, computed in O(M^2) from the inverse: 0 for singular
        matrices; below the dtype's machine epsilon, the inverse cannot be trusted. With
        `assume_a`, ``A`` is the matrix the structure implies (one triangle, and zeros or
        its mirror image).

    Raises
    ------
    LinAlgError
        If `a` is not a stack of square matrices.
    TypeError
        If the dtype of `a` is not supported.
    ValueError
        If `assume_a` is not one of the values `inv` accepts.

    Examples
    --------
    >>> import numpy as np, matinv
    >>> a = np.array([[[2., 0.], [0., 4.]], [[1., 2.], [2., 4.]]])
    >>> x, info, rcond = matinv.inv_ex(a)
    >>> info
    array([0, 2], dtype=int32)
    >>> rcond
    array([0.5, 0. ])
    >>> x[1]
    array([[nan, nan],
           [nan, nan]])
    """
    if _dispatch.overrides_numpy(a):
        return _dispatched_inv(a, _errstate.get(), assume_a, lower, ex=True)
    name = _check_assume_a(assume_a)
    arr, wrap, result_t = _prepare(a)
    if name == _GENERAL:
        out, info, rcond = _inv_ex(arr, result_t)
    else:
        out = np.empty(arr.shape, dtype=result_t)
        info = np.empty(arr.shape[:-2], dtype=np.int32)
        rcond = np.empty(arr.shape[:-2], dtype=np.float64)
        _run_structured(arr, out, info, rcond, name, lower)
    return InvExResult(wrap(out), info, rcond)


def _prepare(a):
    """numpy's checks and conversions: an ndarray the kernels read, the wrapper for the
    result's subclass, and the result dtype."""
    arr = np.asarray(a)
    wrap = getattr(a, "__array_wrap__", arr.__array_wrap__)
    _matinv.check_stack(arr.shape)  # shape errors come before dtype errors, as in numpy
    result_t = _result_dtype(arr.dtype)
    return _kernel_array(arr, result_t, "inv"), wrap, result_t


def _kernel_array(arr, result_t, ufunc):
    """`arr` in a dtype and byte order the native kernels read (numpy's casting rules)."""
    if arr.dtype.type in _KERNEL_TYPES:
        if arr.dtype not in _NATIVE:  # non-native byte order
            arr = arr.astype(arr.dtype.newbyteorder("="))
    else:
        compute_t = np.complex128 if result_t.kind == "c" else np.float64
        if not np.can_cast(arr.dtype, compute_t, casting="same_kind"):
            _raise_numpy_cast_error(arr.dtype, ufunc)
        arr = arr.astype(compute_t)
    return arr


def _raise_numpy_cast_error(dtype, ufunc):
    """Raise the error numpy's gufunc `ufunc` raises for input of `dtype` (object, str,
    datetime...): numpy's own private ``UFuncTypeError`` subclass, made by numpy's own
    casting machinery on a 1x1 array, so ``type(e)`` and the message are numpy's."""
    gufunc = getattr(_umath_linalg, ufunc, None)  # (numpy 1.x names some differently)
    if gufunc is not None:
        # Only real signatures reach here: every uncastable dtype's result type is float64.
        gufunc(np.zeros((1, 1), dtype=dtype), signature="d->" + "d" * gufunc.nout)
    raise TypeError(
        f"Cannot cast ufunc '{ufunc}' input from {dtype!r} to dtype('float64') with "
        "casting rule 'same_kind'"
    )


def _run(native, arr, *outputs):
    threads = _context_threads.get() or _default_threads or 0
    if not native(arr, *outputs, threads):
        # Unaligned, or strides that are not whole elements: the kernels read elements in
        # place, so they get an aligned copy.
        native(arr.copy(), *outputs, threads)


def _inv_ex(arr, result_t):
    out = np.empty(arr.shape, dtype=result_t)
    info = np.empty(arr.shape[:-2], dtype=np.int32)
    rcond = np.empty(arr.shape[:-2], dtype=np.float64)
    _run(_matinv.inv_ex_into, arr, out, info, rcond)
    return out, info, rcond


def _describe(mask, info_or_rcond, what):
    """'matrix' for a single matrix, else the indices (and values) of the first few."""
    if mask.ndim == 0:
        return f"the matrix{what(info_or_rcond[()])}"
    idx = [tuple(int(i) for i in t) for t in np.argwhere(mask)]
    shown = ", ".join(
        f"{t[0] if len(t) == 1 else t}{what(info_or_rcond[t])}" for t in idx[:10]
    )
    more = f" and {len(idx) - 10} more" if len(idx) > 10 else ""
    count = "1 matrix" if len(idx) == 1 else f"{len(idx)} matrices"
    return f"{count} at index {shown}{more}"


def _apply_errstate(state, out, info, rcond, result_t, cholesky=False, stacklevel=3):
    """`cholesky`: `info` counts failed Cholesky factorisations (``assume_a='pos'``),
    which `errstate(singular=...)` treats like singular matrices. `stacklevel`: that of
    the warnings, pointing at the caller of `inv`."""
    singular, ill_conditioned = state
    bad = info > 0
    if bad.any():
        what = "Matrix is not positive definite" if cholesky else "Singular matrix"
        if singular == "raise":
            raise LinAlgError(what)
        if singular == "warn":
            if cholesky:
                where = _describe(bad, info, lambda k: f" (leading minor of order {k})")
            else:
                where = _describe(bad, info, lambda k: f" (zero pivot in column {k})")
            inverse = "its inverse is" if bad.sum() == 1 else "their inverses are"
            warnings.warn(
                f"{what}: {where}; {inverse} NaN", LinAlgWarning, stacklevel=stacklevel
            )
    if ill_conditioned == "ignore":
        return
    eps = float(np.finfo(result_t).eps)
    # NaN rcond (NaN in the input or the inverse) is as untrustworthy as a tiny one.
    ill = (info == 0) & ~(rcond >= eps)
    if ill.any():
        where = _describe(ill, rcond, lambda r: f" (rcond={r:.3g})")
        message = (
            f"Ill-conditioned matrix: {where}, below eps={eps:.3g} of {result_t.name}; "
            "the inverse may be inaccurate"
        )
        if ill_conditioned == "raise":
            raise LinAlgError(message)
        warnings.warn(message, LinAlgWarning, stacklevel=stacklevel)


# Last: these modules use the helpers above.
from ._svd import SVDResult, cond, svd, svdvals  # noqa: E402
from . import _patch, _threadpool  # noqa: E402,F401
from ._patch import is_patched, patch_numpy, patched_numpy, unpatch_numpy  # noqa: E402

_patch._sync_threads(_default_threads)  # MATINV_NUM_THREADS
