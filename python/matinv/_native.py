"""The one place the package calls the native kernels (`matinv._matinv`).

The native functions read an input in place and write outputs the caller allocated (or,
for `inv`, new arrays: the result and the status of `inv_ex`); they return False or None,
doing nothing, when the input is unaligned or its strides are not whole elements (or, in
place, memory they cannot write as it is), and the caller retries on an aligned copy.
Every call passes the thread count in effect (`matinv._threads.requested`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import _matinv
from ._threads import requested

__all__ = [
    "check_out",
    "check_stack",
    "cond",
    "inv",
    "inv_ex",
    "inv_new",
    "inv_pairs",
    "lu_in_place",
    "run",
    "svd",
]

check_stack: Callable[[Sequence[int]], None] = _matinv.check_stack


def run(native: Callable[..., bool], arr: NDArray[np.generic], *args: object) -> None:
    """``native(arr, *args, threads)``, on an aligned copy of `arr` if the native function
    cannot read `arr` in place."""
    threads = requested()
    if not native(arr, *args, threads):
        # Unaligned, or strides that are not whole elements: the kernels read elements in
        # place, so they get an aligned copy.
        native(arr.copy(), *args, threads)


def inv_new(arr: NDArray[np.generic]) -> NDArray[np.generic] | None:
    """`inv`'s fast path: the general inverse of every matrix of `arr` in a new array of
    its dtype and shape; None, doing nothing, when the kernels cannot read `arr` as it is
    (not a square stack of a kernel dtype in native byte order, unaligned, odd strides)."""
    x: NDArray[np.generic] | None = _matinv.inv(arr, requested())
    return x


def inv(
    arr: NDArray[np.generic],
    out: object,
    assume_a: str,
    lower: bool,
    precision: str,
    in_place: bool = False,
    func: str = "inv",
    source: NDArray[np.generic] | None = None,
) -> NDArray[np.generic]:
    """Every inverse request without a status: the inverse of every matrix of `arr` (a
    kernel dtype in native byte order), of structure `assume_a`, in `precision`
    ('working' or 'extended'), into `out` (None: a new array, or `arr` itself when
    `in_place`, if the kernels can write it as it is, else a copy of it); LinAlgError for
    a singular matrix. Returns the array written. `out` is checked by numpy's rules in
    the native module, as an output of `func`, and must not share memory with `arr` or
    the ndarray `source` (the caller's input, when `arr` is a converted copy of it)."""
    x: NDArray[np.generic] = _call(
        arr, out, False, assume_a, lower, precision, in_place, func, source
    )
    return x


def inv_ex(
    arr: NDArray[np.generic],
    out: object,
    assume_a: str,
    lower: bool,
    precision: str,
    func: str,
    source: NDArray[np.generic] | None,
) -> tuple[NDArray[np.generic], NDArray[np.int32], NDArray[np.float64]]:
    """`inv` with a status per matrix instead of LinAlgError: ``(x, info, rcond)``, the
    status arrays new, of shape ``arr.shape[:-2]`` (made after the result, so that a
    MemoryError names the result, as numpy's would)."""
    x, info, rcond = _call(arr, out, True, assume_a, lower, precision, False, func, source)
    return x, info, rcond


def _call(
    arr: NDArray[np.generic],
    out: object,
    status: bool,
    assume_a: str,
    lower: bool,
    precision: str,
    in_place: bool,
    func: str,
    source: NDArray[np.generic] | None,
) -> Any:
    """The native `inv`, retried on an aligned copy of `arr` if it declines `arr`."""
    # 'general' reads no triangle: `lower` is not looked at (as numpy's inv has none).
    name, low = (None, False) if assume_a == "general" else (assume_a, bool(lower))
    threads = requested()
    prec = None if precision == "working" else precision
    x = _matinv.inv(arr, threads, out, status, name, low, prec, in_place, func, source)
    if x is None:
        # Unaligned, strides that are not whole elements, or (in place) memory the kernels
        # cannot write as it is: they get an aligned C-contiguous copy (in place: the
        # result); `out` was checked against `arr` already.
        copy = arr.copy()
        x = _matinv.inv(copy, threads, out, status, name, low, prec, in_place, func, source)
    if x is None:
        raise RuntimeError("internal error in matinv: the native inv declined an aligned copy")
    return x


def check_out(
    out: object, dtype: np.dtype[np.generic], shape: tuple[int, ...], func: str, *inputs: object
) -> NDArray[np.generic]:
    """`out` if `func` can write a result of `dtype` and `shape` into it without sharing
    memory with any of `inputs` (the ndarrays among them), else numpy's TypeError or
    ValueError: the rules the native `inv` applies to its own `out`."""
    arrays = [x for x in inputs if isinstance(x, np.ndarray)]
    return _matinv.check_out(out, dtype, shape, func, *arrays)


def inv_pairs(
    hi: NDArray[np.generic],
    lo: NDArray[np.generic],
    status: tuple[NDArray[np.int32], NDArray[np.float64]] | None,
    assume_a: str,
    lower: bool,
) -> tuple[NDArray[np.generic], NDArray[np.generic]]:
    """The inverses of the matrices ``hi + lo`` (float64 or complex128 arrays of one shape,
    ``|lo|`` at most half an ulp of ``hi``), in double-double arithmetic, as new arrays
    ``(x_hi, x_lo)`` (``x_hi`` the rounded inverse, ``x_lo`` the rest); with `status`
    (new int32 ``info`` and float64 ``rcond`` arrays of the batch shape), a status per
    matrix written into it instead of LinAlgError for a singular one."""
    info, rcond = status if status is not None else (None, None)
    name, low = (None, False) if assume_a == "general" else (assume_a, bool(lower))
    hi, lo = np.ascontiguousarray(hi), np.ascontiguousarray(lo)
    x_hi, x_lo = np.empty_like(hi), np.empty_like(lo)
    _matinv.inv_pairs(hi, lo, x_hi, x_lo, info, rcond, name, low, requested())
    return x_hi, x_lo


def svd(
    arr: NDArray[np.generic],
    s: NDArray[np.generic],
    u: NDArray[np.generic] | None,
    vh: NDArray[np.generic] | None,
    full_matrices: bool,
    hermitian: bool,
) -> None:
    """Singular values into `s` (and vectors into `u`, `vh`) of every matrix of `arr`."""
    run(_matinv.svd_into, arr, s, u, vh, full_matrices, hermitian)


def cond(arr: NDArray[np.generic], out: NDArray[np.generic], p: str) -> None:
    """numpy's ``cond(arr, p)`` into `out`; `p` in the native spelling."""
    run(_matinv.cond_into, arr, out, p)


def lu_in_place(a: NDArray[np.generic]) -> tuple[NDArray[np.intp], int]:
    """LU factorization with partial pivoting of the 2-D array `a` (rows >= columns, a
    kernel dtype, writeable and C-contiguous) in place, as LAPACK's getrf: the row order
    (row r of ``P a`` is row ``perm[r]`` of the input) and the 1-based column of the first
    exact zero pivot, or 0."""
    perm, info = _matinv.lu_in_place(a, requested())
    return perm.astype(np.intp), info
