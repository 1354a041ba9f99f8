"""`inv` and `inv_ex`: numpy's ``inv`` contract, with ``assume_a``, `errstate`,
``out=`` and ``overwrite_a``."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple, TypeVar, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _dispatch, _extra_dtypes, _native, _trust
from ._assume_a import GENERAL, AssumeA, canonical
from ._dtypes import NATIVE
from ._extra_dtypes import EXTRA_DTYPES
from ._input import kernel_input

__all__ = ["InvExResult", "Precision", "check_precision", "inv", "inv_ex"]

_ArrayT = TypeVar("_ArrayT", bound="np.ndarray[Any, Any]")
_KernelT = TypeVar("_KernelT", np.float32, np.float64, np.complex64, np.complex128)
_Wrap = Any  # the input's ``__array_wrap__`` (ndarray's or a subclass's)

Precision = Literal["working", "extended"]
WORKING: Precision = "working"


def check_precision(precision: object) -> Precision:
    """`precision` if it names one, else ValueError (checked before anything else)."""
    if isinstance(precision, str):
        if precision == "working":
            return "working"
        if precision == "extended":
            return "extended"
    raise ValueError(f"precision must be one of 'working', 'extended'; got {precision!r}")


class InvExResult(NamedTuple):
    """What `inv_ex` returns."""

    inv: NDArray[Any]
    """The inverses; all NaN for singular matrices."""
    info: NDArray[np.int32]
    """int32, one per matrix: 0, or the 1-based column of the first zero pivot (LAPACK)."""
    rcond: NDArray[np.float64]
    """float64, one per matrix: 1 / (||A||_1 ||inv(A)||_1); 0 for singular matrices."""


@overload
def inv(
    a: ArrayLike,
    *,
    assume_a: AssumeA = ...,
    lower: bool = ...,
    out: _ArrayT,
    overwrite_a: bool = ...,
    precision: Precision = ...,
) -> _ArrayT: ...
@overload
def inv(
    a: NDArray[_KernelT],
    *,
    assume_a: AssumeA = ...,
    lower: bool = ...,
    out: None = ...,
    overwrite_a: bool = ...,
    precision: Precision = ...,
) -> NDArray[_KernelT]: ...
@overload
def inv(
    a: ArrayLike,
    *,
    assume_a: AssumeA = ...,
    lower: bool = ...,
    out: None = ...,
    overwrite_a: bool = ...,
    precision: Precision = ...,
) -> NDArray[Any]: ...
def inv(
    a: ArrayLike,
    *,
    assume_a: AssumeA = GENERAL,
    lower: bool = False,
    out: NDArray[Any] | None = None,
    overwrite_a: bool = False,
    precision: Precision = WORKING,
) -> NDArray[Any]:
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
    out : ndarray, optional
        Where to write the result: an existing C-contiguous, aligned, writeable ndarray
        of exactly the result dtype (native byte order) and shape ``a.shape``, sharing no
        memory with `a`; refused (`TypeError`, `ValueError`) before anything is computed
        otherwise. `out` itself is returned (of its own class, as numpy's ufuncs return
        it). After a `LinAlgError` its contents are unspecified.
    overwrite_a : bool, optional
        scipy's hint: the result may be written over `a` (and `a` returned), saving the
        memory of a second array. Taken when `a` is an ndarray (or subclass) of exactly
        the result dtype (float32, float64, complex64 or complex128, native byte order),
        C-contiguous, aligned and writeable, with ``assume_a='general'``, the default
        `errstate` and no `out`; otherwise ignored, and a new array returned. After a
        `LinAlgError`, `a` then holds unspecified values.
    precision : {'working', 'extended'}, optional
        ``'working'`` (default): numpy's arithmetic (double precision; float32 and
        complex64 computed in double and rounded). ``'extended'``: double-double
        arithmetic (about 106 significant bits), rounded once to the result dtype: the
        inverse of the matrix as stored, correct to about a unit in the last place while
        ``cond(a)`` is below about 1e15, and with at least about ``30 - log10(cond(a))``
        correct digits beyond (numpy's has about ``16 - log10(cond(a))``). Gauss-Jordan
        elimination with partial pivoting (without exchanges, Cholesky's test, for
        ``'pos'``, and ``'sym'``/``'her'`` when it applies), many times slower than
        ``'working'`` (see the documentation's precision page). A matrix is singular
        when a pivot is an exact zero in double-double arithmetic.

    Returns
    -------
    ainv : (..., M, M) ndarray or matrix
        Inverse of the matrix `a`.

    Raises
    ------
    LinAlgError
        If `a` is not square or inversion fails (`numpy.linalg.LinAlgError` itself).
    TypeError
        If the dtype of `a` is not supported (object, str, IEEE binary128 longdouble, ...).
    ValueError
        If `assume_a` or `precision` is not one of the values above (checked before
        anything else).

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
    does; float16 (which numpy refuses) too. longdouble and clongdouble (which numpy
    refuses too) are computed in double-double arithmetic, whatever `precision` says,
    where they are x86's 80-bit format (Linux, macOS on x86-64); as float64 where they
    are double; binary128 is refused. The result is a new C-contiguous array (or `out`,
    or `a` with `overwrite_a`); the input is modified only with `overwrite_a`.

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
    state = _trust.current()
    # Fast path, for the common case and for small matrices where Python overhead counts:
    # a plain ndarray the kernels read as it is (a square stack of a kernel dtype, native
    # byte order, aligned), checked, allocated and inverted in one native call; None for
    # anything else, which the general path below handles.
    if (
        type(a) is np.ndarray
        and state is _trust.DEFAULT
        and assume_a is GENERAL
        and out is None
        and not overwrite_a
        and precision is WORKING
    ):
        fresh = _native.inv_new(a)
        if fresh is not None:
            return fresh
    if _dispatch.overrides_numpy(a):
        return _dispatched_inv(a, state, assume_a, lower, ex=False, out=out, precision=precision)  # type: ignore[no-any-return]
    name = canonical(assume_a)
    precision = check_precision(precision)
    arr, wrap, result_t = _prepare(a)
    if result_t.type in EXTRA_DTYPES:
        x, _ = _extra(arr, a, result_t, state, name, lower, out, precision, "inv")
        return x if out is not None else wrap(x)
    # scipy's overwrite_a, taken where `arr` is `a`'s own memory: a kernel dtype, so not
    # converted (the native inverse declines memory it cannot write as it is, and the
    # result is then a copy's).
    in_place = (
        overwrite_a
        and out is None
        and state is _trust.DEFAULT
        and name == GENERAL
        and isinstance(a, np.ndarray)
        and a.dtype in NATIVE
    )
    source = _source(a, arr)
    if state is _trust.DEFAULT:
        x = _native.inv(arr, out, name, lower, precision, in_place, "inv", source)
    else:
        x, info, rcond = _native.inv_ex(arr, out, name, lower, precision, "inv", source)
        extended = precision == "extended"
        _trust.apply(state, info, rcond, result_t, cholesky=name == "pos", extended=extended)
    if in_place and x is arr:
        return a  # type: ignore[return-value]
    return x if out is not None else wrap(x)


def _extra(
    arr: NDArray[Any],
    a: object,
    result_t: np.dtype[Any],
    state: _trust.State | None,
    name: str,
    lower: bool,
    out: object,
    precision: str,
    func: str,
) -> tuple[NDArray[Any], tuple[NDArray[np.int32], NDArray[np.float64]]]:
    """`inv` (`state` given: raise or warn as it says) and `inv_ex` (`state` None) of a
    float16, longdouble or clongdouble stack (`_extra_dtypes`): the inverses (in `out`
    when given) and the status arrays (empty unless asked for)."""
    # numpy writes these results (`dst[...] = x`), under the rules the native kernels'
    # outputs follow, checked before anything is computed.
    dst = None if out is None else _native.check_out(out, result_t, arr.shape, func, arr, a)
    batch = arr.shape[:-2]
    status = None
    if state is None or state is not _trust.DEFAULT:
        status = (np.empty(batch, dtype=np.int32), np.empty(batch, dtype=np.float64))
    x = _extra_dtypes.invert(arr, status, name, lower, precision)
    if status is not None and state is not None:
        extended = _extra_dtypes.double_double(result_t, precision)
        _trust.apply(
            state, *status, result_t, cholesky=name == "pos", extended=extended, stacklevel=4
        )
    if dst is not None:
        dst[...] = x
        x = dst
    empty = (np.empty(batch, dtype=np.int32), np.empty(batch, dtype=np.float64))
    return x, status if status is not None else empty


def _source(a: object, arr: NDArray[Any]) -> NDArray[Any] | None:
    """The caller's `a` when the kernels read another array `arr` made from it (a
    converted copy, or a base-class view): `out` must not share memory with it either."""
    return a if a is not arr and isinstance(a, np.ndarray) else None


def _dispatched_inv(
    a: Any,
    state: _trust.State,
    assume_a: object,
    lower: bool,
    ex: bool,
    out: object,
    precision: object,
) -> Any:
    """`inv` / `inv_ex` of an array whose type overrides numpy's functions: what numpy's
    dispatch gives (see `_dispatch`)."""
    name = canonical(assume_a)
    precision = check_precision(precision)
    if out is not None:
        _dispatch.refuse(a, "out=")
    if _dispatch.is_dask_array(a):
        from . import dask as matinv_dask

        func = matinv_dask.inv_ex if ex else matinv_dask.inv
        return func(a, assume_a=name, lower=lower, precision=precision)  # type: ignore[arg-type]
    if ex:
        _dispatch.refuse(a, "matinv.inv_ex")
    if name != GENERAL:
        _dispatch.refuse(a, f"assume_a={assume_a!r}")
    if precision != WORKING:
        _dispatch.refuse(a, f"precision={precision!r}")
    if state != _trust.DEFAULT:
        _dispatch.refuse(a, "matinv.errstate other than its default")
    return np.linalg.inv(a)


def inv_ex(
    a: ArrayLike,
    *,
    assume_a: AssumeA = GENERAL,
    lower: bool = False,
    out: NDArray[Any] | None = None,
    precision: Precision = WORKING,
) -> InvExResult:
    """
    Invert every matrix of a stack, never raising for singular or ill-conditioned ones.

    Parameters
    ----------
    a : (..., M, M) array_like
        Matrices to be inverted (the dtypes `inv` accepts).
    assume_a, lower, precision
        As in `inv`: the structure of the matrices, the triangle read, the arithmetic.
    out : ndarray, optional
        Where to write the inverses, as `inv`'s `out` (``info`` and ``rcond`` are new
        arrays); the result's ``inv`` is `out` itself.

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
        matrices; below the dtype's machine epsilon (double-double's, 2^-104, for inverses
        computed in it: ``precision='extended'``, longdouble), the inverse cannot be
        trusted. With
        `assume_a`, ``A`` is the matrix the structure implies (one triangle, and zeros or
        its mirror image).

    Raises
    ------
    LinAlgError
        If `a` is not a stack of square matrices.
    TypeError
        If the dtype of `a` is not supported.
    ValueError
        If `assume_a` or `precision` is not one of the values `inv` accepts.

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
        result: InvExResult = _dispatched_inv(
            a, _trust.current(), assume_a, lower, ex=True, out=out, precision=precision
        )
        return result
    name = canonical(assume_a)
    precision = check_precision(precision)
    arr, wrap, result_t = _prepare(a)
    if result_t.type in EXTRA_DTYPES:
        x, (info, rcond) = _extra(arr, a, result_t, None, name, lower, out, precision, "inv_ex")
        return InvExResult(x if out is not None else wrap(x), info, rcond)
    x, info, rcond = _native.inv_ex(arr, out, name, lower, precision, "inv_ex", _source(a, arr))
    return InvExResult(x if out is not None else wrap(x), info, rcond)


def _prepare(a: ArrayLike) -> tuple[NDArray[Any], _Wrap, np.dtype[Any]]:
    """numpy's checks and conversions: an ndarray the kernels read, the wrapper for the
    result's subclass, and the result dtype."""
    arr = np.asarray(a)
    wrap = getattr(a, "__array_wrap__", arr.__array_wrap__)
    if arr.dtype.type in EXTRA_DTYPES:
        # The dtypes numpy refuses, which matinv inverts (`_extra_dtypes`).
        _native.check_stack(arr.shape)
        return arr, wrap, arr.dtype.newbyteorder("=")
    arr, result_t = kernel_input(arr, "inv", square=True)
    return arr, wrap, result_t
