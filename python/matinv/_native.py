"""The one place the package calls the native kernels (`matinv._matinv`).

The native ``*_into`` functions read an input in place and write outputs the caller
allocated; they return False, doing nothing, when the input is unaligned or its strides
are not whole elements, and `run` then retries on an aligned copy. Every call passes the
thread count in effect (`matinv._threads.requested`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from . import _matinv
from ._threads import requested

__all__ = [
    "check_stack",
    "cond",
    "inv",
    "inv_ex",
    "inv_in_place",
    "inv_new",
    "inv_structured",
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
    return _matinv.inv_new(arr, requested())


def inv(arr: NDArray[np.generic], out: NDArray[np.generic]) -> None:
    """The general inverse of every matrix of `arr` into `out`; LinAlgError if one is
    singular."""
    run(_matinv.inv_into, arr, out)


def inv_ex(
    arr: NDArray[np.generic],
    out: NDArray[np.generic],
    info: NDArray[np.int32],
    rcond: NDArray[np.float64],
) -> None:
    """`inv` that never raises for singular matrices: their status into `info`, `rcond`."""
    run(_matinv.inv_ex_into, arr, out, info, rcond)


def inv_structured(
    arr: NDArray[np.generic],
    out: NDArray[np.generic],
    info: NDArray[np.int32] | None,
    rcond: NDArray[np.float64] | None,
    assume_a: str,
    lower: bool,
) -> None:
    """`inv` (`info`, `rcond` None) or `inv_ex` of matrices of structure `assume_a`."""
    run(_matinv.inv_structured_into, arr, out, info, rcond, assume_a, lower)


def inv_in_place(arr: NDArray[np.generic]) -> None:
    """Invert every matrix of the C-contiguous, aligned, writeable `arr` (exactly a kernel
    dtype) in its own memory; LinAlgError if one is singular (`arr` then holds unspecified
    values)."""
    _matinv.inv_in_place(arr, requested())


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
