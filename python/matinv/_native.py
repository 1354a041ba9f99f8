"""The one place the package calls the native kernels (`matinv._matinv`).

The native functions read an input in place and write outputs the caller allocated (or,
for `inv`, a new array); they return False or None, doing nothing, when the input is
unaligned or its strides are not whole elements, and the caller retries on an aligned
copy. Every call passes the thread count in effect (`matinv._threads.requested`).
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
    "inv_new",
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
    return _matinv.inv(arr, requested())


def inv(
    arr: NDArray[np.generic],
    out: NDArray[np.generic] | None,
    status: tuple[NDArray[np.int32], NDArray[np.float64]] | None,
    assume_a: str,
    lower: bool,
) -> NDArray[np.generic]:
    """Every inverse request: the inverse of every matrix of `arr` (a kernel dtype in
    native byte order), of structure `assume_a`, into `out` (None: a new array; `arr`
    itself: in place), with a status per matrix into ``status = (info, rcond)`` instead
    of LinAlgError for a singular one; returns the array written."""
    info, rcond = status if status is not None else (None, None)
    # 'general' reads no triangle: `lower` is not looked at (as numpy's inv has none).
    name, low = (None, False) if assume_a == "general" else (assume_a, bool(lower))
    threads = requested()
    x = _matinv.inv(arr, threads, out, info, rcond, name, low)
    if x is None:
        # Unaligned, or strides that are not whole elements: the kernels read elements in
        # place, so they get an aligned copy.
        x = _matinv.inv(arr.copy(), threads, out, info, rcond, name, low)
    if x is None:
        raise RuntimeError("internal error in matinv: the native inv declined an aligned copy")
    return x


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
