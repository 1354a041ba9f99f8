"""How many threads matinv's kernels use: `set_num_threads`, `get_num_threads`, `threads`.

The setting is read by `requested` on every call: a ``threads(n)`` block of this thread or
async context first, then `set_num_threads` (or ``MATINV_NUM_THREADS`` at import), else 0,
which the native module reads as every core; then capped by threadpoolctl's limit while
one is open (`set_cap`, used by `_threadpool` only).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import warnings
from collections.abc import Iterator

import numpy as np

from . import _matinv
from ._fork import ForkSafeLock

__all__ = [
    "check_threads",
    "get_cap",
    "get_num_threads",
    "requested",
    "set_cap",
    "set_default",
    "set_num_threads",
    "threads",
]

MAX_THREADS = 1 << 16


def check_threads(n: object) -> int:
    """`n` as an int, or ValueError unless it is an integer in ``1..MAX_THREADS``."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_THREADS:
        raise ValueError(
            f"number of threads must be a positive integer up to {MAX_THREADS}, got {n!r}"
        )
    return int(n)


def _threads_from_env() -> int | None:
    """``MATINV_NUM_THREADS``, or None when unset or invalid. Invalid values are ignored
    with a warning, as OpenBLAS ignores a bad ``OPENBLAS_NUM_THREADS``: an import that
    fails would leave a half-imported matinv behind (and programs that treat matinv as
    optional would lose it for a typo)."""
    value = os.environ.get("MATINV_NUM_THREADS", "").strip()
    if not value:
        return None
    try:
        return check_threads(int(value))
    except ValueError:
        warnings.warn(
            f"MATINV_NUM_THREADS must be a positive integer up to {MAX_THREADS}, got "
            f"{value!r}: ignored, matinv uses every core",
            RuntimeWarning,
            stacklevel=2,
        )
        return None


# `set_num_threads`' value (tests save and restore it).
_default: int | None = _threads_from_env()
# threadpoolctl's limit while one of its blocks is open (`set_cap`), else None.
_cap: int | None = None
# Held from a change of `_default` or `_cap` to the patched loop's copy of the result: two
# threads changing them at once could otherwise leave the loop the older count.
_settings = ForkSafeLock()
_context: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "matinv_threads", default=None
)


def _capped(n: int) -> int:
    """`n` (0: every core) under threadpoolctl's limit; 0 when there is none."""
    cap = _cap
    if cap is None:
        return n
    return min(n or _matinv.default_num_threads(), cap)


def _sync_patched_loop() -> None:
    """Give numpy's patched ``inv`` loop (`_patch`) the process-wide count: it runs
    without Python objects, so it cannot read `requested` (0: every core)."""
    _matinv.set_loop_threads(_capped(_default or 0))


_sync_patched_loop()


def requested() -> int:
    """The thread count to pass to the native module: 0 for every core."""
    n = _context.get() or _default or 0
    return n if _cap is None else _capped(n)  # no second call on every inversion


def get_cap() -> int | None:
    """threadpoolctl's limit on matinv's threads, None when none is in force."""
    return _cap


def set_cap(cap: int | None) -> None:
    """Cap every thread count (``threads`` blocks and `set_num_threads` included) at
    `cap`, or lift the cap (None); for `_threadpool`, whose blocks set and restore it."""
    global _cap
    cap = None if cap is None else check_threads(cap)
    with _settings:
        _cap = cap
        _sync_patched_loop()


def set_num_threads(n: int) -> None:
    """Set the number of threads matinv uses from now on (default: every core, or
    the ``MATINV_NUM_THREADS`` environment variable). ``threads(n)`` blocks override it."""
    set_default(check_threads(n))


def set_default(n: int | None) -> None:
    """`set_num_threads` without the check, None back to the default (every core or
    ``MATINV_NUM_THREADS``' absence); for `_threadpool`."""
    global _default
    with _settings:
        _default = n
        _sync_patched_loop()


def get_num_threads() -> int:
    """The number of threads the next matinv call in this context will use."""
    n = requested()
    return n if n else _matinv.default_num_threads()


@contextlib.contextmanager
def threads(n: int) -> Iterator[None]:
    """Use `n` threads inside the ``with`` block (this thread / async context only).

    >>> import matinv
    >>> with matinv.threads(1):
    ...     matinv.get_num_threads()
    1
    """
    token = _context.set(check_threads(n))
    try:
        yield
    finally:
        _context.reset(token)
