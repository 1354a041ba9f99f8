"""How many threads matinv's kernels use: `set_num_threads`, `get_num_threads`, `threads`.

The setting is read by `requested` on every call: a ``threads(n)`` block of this thread or
async context first, then `set_num_threads` (or ``MATINV_NUM_THREADS`` at import), else 0,
which the native module reads as every core.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator

import numpy as np

from . import _matinv

__all__ = ["check_threads", "get_num_threads", "requested", "set_num_threads", "threads"]

MAX_THREADS = 1 << 16


def check_threads(n: object) -> int:
    """`n` as an int, or ValueError unless it is an integer in ``1..MAX_THREADS``."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_THREADS:
        raise ValueError(
            f"number of threads must be a positive integer up to {MAX_THREADS}, got {n!r}"
        )
    return int(n)


def _threads_from_env() -> int | None:
    value = os.environ.get("MATINV_NUM_THREADS", "").strip()
    if not value:
        return None
    try:
        return check_threads(int(value))
    except ValueError:
        raise ValueError(f"MATINV_NUM_THREADS must be a positive integer, got {value!r}") from None


def _sync_patched_loop(n: int | None) -> None:
    """Give numpy's patched ``inv`` loop (`_patch`) the process-wide count: it runs
    without Python objects, so it cannot read `requested` (None: every core)."""
    _matinv.set_loop_threads(0 if n is None else n)


# `set_num_threads`' value (tests save and restore it).
_default: int | None = _threads_from_env()
_sync_patched_loop(_default)
_context: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "matinv_threads", default=None
)


def requested() -> int:
    """The thread count to pass to the native module: 0 for every core."""
    return _context.get() or _default or 0


def set_num_threads(n: int) -> None:
    """Set the number of threads matinv uses from now on (default: every core, or
    the ``MATINV_NUM_THREADS`` environment variable). ``threads(n)`` blocks override it."""
    global _default
    _default = check_threads(n)
    _sync_patched_loop(_default)


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
