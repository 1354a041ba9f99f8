"""matinv inside numpy: ``patch_numpy()`` replaces the inner loops of numpy's own ``inv``
gufunc (``numpy.linalg._umath_linalg.inv``, signatures ``d->d`` and ``D->D``) by matinv's,
through numpy's C API (``PyUFunc_ReplaceLoopBySignature``), so every path into numpy's
inverse reaches matinv: ``np.linalg.inv`` (and names bound to it early, ``from numpy.linalg
import inv``), ``np.matrix.I``, ``np.linalg.matrix_power`` with a negative exponent,
``np.linalg.tensorinv``, and the libraries that call them. numpy keeps its own argument
handling, dtype rules, broadcasting, subclass wrapping and errors; only the arithmetic
changes. ``unpatch_numpy()`` puts numpy's loops back.

The patch is process-wide (every thread sees it). State changes are serialised by a lock
(a new one in a child made by ``fork``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from numpy.linalg import _umath_linalg

from . import _matinv
from ._fork import ForkSafeLock

__all__ = ["patch_numpy", "unpatch_numpy", "is_patched", "patched_numpy"]

_lock = ForkSafeLock(threading.RLock)
_explicit = False  # patch_numpy() was called (and unpatch_numpy() not since)
_depth = 0  # patched_numpy() blocks open, in every thread


def _apply() -> None:
    """Installs or removes the loops to match the state (call with `_lock` held)."""
    if _explicit or _depth > 0:
        _matinv.patch_install(_umath_linalg.inv)
    else:
        _matinv.patch_remove(_umath_linalg.inv)


def patch_numpy() -> None:
    """Make numpy's own ``inv`` compute with matinv, process-wide, until `unpatch_numpy`.

    Idempotent: patching twice is patching once. Reaches every caller of numpy's ``inv``
    gufunc: ``np.linalg.inv`` (early-bound names included), ``np.matrix.I``,
    ``np.linalg.matrix_power`` with negative exponents, ``np.linalg.tensorinv``. numpy
    still checks the arguments, casts (float32 and complex64 are computed as float64 and
    complex128, as numpy does), broadcasts, wraps subclasses and raises
    ``LinAlgError("Singular matrix")``.

    >>> import numpy as np, matinv
    >>> matinv.patch_numpy()
    >>> matinv.is_patched()
    True
    >>> np.linalg.inv(np.array([[2., 0.], [0., 4.]]))
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    >>> matinv.unpatch_numpy()
    >>> matinv.is_patched()
    False
    """
    global _explicit
    with _lock:
        _explicit = True
        _apply()


def unpatch_numpy() -> None:
    """Undo `patch_numpy`: numpy's own loops again (bit for bit numpy's results).

    Idempotent. Inside a `patched_numpy` block numpy stays patched until the outermost
    block ends."""
    global _explicit
    with _lock:
        _explicit = False
        _apply()


def is_patched() -> bool:
    """Whether numpy's ``inv`` computes with matinv now (the loops are installed)."""
    return _matinv.patch_active()


@contextlib.contextmanager
def patched_numpy() -> Iterator[None]:
    """numpy patched inside the ``with`` block; after it, patched only if `patch_numpy`
    was called (and `unpatch_numpy` not since) or another block is still open.

    Nestable: a depth count, shared by every thread, as the patch is process-wide.

    >>> import numpy as np, matinv
    >>> with matinv.patched_numpy():
    ...     matinv.is_patched()
    True
    >>> matinv.is_patched()
    False
    """
    global _depth
    with _lock:
        _depth += 1
        try:
            _apply()
        except BaseException:
            _depth -= 1
            raise
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            _apply()


def loop_counters() -> tuple[int, int, int]:
    """``(calls, matrices, fallbacks)`` of matinv's loop since the process started: calls
    computed by matinv, the matrices in them, calls handed back to numpy's own loop after
    an internal error. A way to check that the patch is active and used."""
    return _matinv.patch_counters()
