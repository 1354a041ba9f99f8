"""threadpoolctl integration: ``threadpoolctl.threadpool_info()`` lists matinv's pool
(``user_api`` and ``internal_api`` "matinv") and ``threadpoolctl.threadpool_limits(n)``
limits the threads of matinv (``matinv.inv``, ``inv_ex``, ``cond``, ``svd`` and numpy's
patched ``inv``), as it limits BLAS and OpenMP.

threadpoolctl (>= 3.5, optional) finds libraries among the loaded shared objects by file
name and exported symbols: matinv's native module (``_matinv*.so``) exports the C function
``matinv_get_num_threads``. It is registered at the end of ``import matinv`` (this module
is imported last), if threadpoolctl can be imported: an import that fails registers
nothing.

A limit is a cap (`_threads.set_cap`) over every other setting, ``matinv.threads`` blocks
included, in force while its block is open; nested and overlapping blocks: the one opened
last applies, and when a block ends, exactly the limits still open apply. threadpoolctl
ends a block by setting every library back to the count it read at the start, which for
matinv would turn a scoped or default count into the process-wide one, and it calls every
library, also those it did not limit. So the controller asks which threadpoolctl limiter
is calling (its frame on the stack, ``_set_threadpool_limits`` or
``restore_original_limits``) and opens or closes that limiter's cap; the probe of
``threadpool_info(debugging_info=True)`` changes nothing; a set from anywhere else is
``matinv.set_num_threads``. Counts below 1 mean no cap (every core) and counts
above ``MAX_THREADS`` are clamped, as OpenBLAS clamps its own.
"""

from __future__ import annotations

import sys
from types import FrameType, ModuleType
from typing import Any

from . import _threads
from ._fork import ForkSafeLock

# The caps of the threadpoolctl limiters whose blocks are open, by limiter, in the order
# they were opened (None: a limit below 1, no cap).
_open: dict[object, int | None] = {}
_lock = ForkSafeLock()


def _as_cap(num_threads: int) -> int | None:
    """threadpoolctl's count as a cap: None (every core) below 1, clamped above."""
    n = int(num_threads)
    return None if n < 1 else min(n, _threads.MAX_THREADS)


# threadpoolctl's functions that call `set_num_threads`: a limiter opening and closing its
# block, and `threadpool_info(debugging_info=True)` probing whether the setting is per thread.
_OPENING, _CLOSING = "_set_threadpool_limits", "restore_original_limits"
_PROBING = ("_determine_thread_limit_scope", "get_and_set")


def _threadpoolctl_caller() -> FrameType | None:
    """The threadpoolctl frame that called the controller's `set_num_threads`, or None."""
    # _threadpoolctl_caller <- _set <- set_num_threads <- the caller.
    frame: FrameType | None = sys._getframe(3)
    for _ in range(3):
        if frame is None:
            return None
        name = frame.f_code.co_name
        if name in (_OPENING, _CLOSING, *_PROBING):
            return frame if frame.f_globals.get("__name__") == "threadpoolctl" else None
        frame = frame.f_back
    return None


def _set(num_threads: int) -> None:
    caller = _threadpoolctl_caller()
    if caller is None:
        # Not a threadpoolctl block: the library's own setting, as OpenBLAS's would be.
        _threads.set_default(_as_cap(num_threads))
        return
    if caller.f_code.co_name in _PROBING:
        return  # a probe that sets and resets: matinv's settings stay as they are
    limiter = caller.f_locals.get("self")
    with _lock:
        _open.pop(limiter, None)  # closing one that did not limit matinv: nothing open
        if caller.f_code.co_name == _OPENING:
            _open[limiter] = _as_cap(num_threads)
        _threads.set_cap(next(reversed(_open.values())) if _open else None)


def _controller_class(threadpoolctl: ModuleType) -> type:
    # threadpoolctl ships no type information: its base class is Any to mypy.
    base: Any = threadpoolctl.LibController

    class MatinvController(base):  # type: ignore[misc]
        """matinv's threads (its rayon pool), for threadpoolctl."""

        user_api = "matinv"
        internal_api = "matinv"
        filename_prefixes = ("_matinv",)
        check_symbols = ("matinv_get_num_threads",)

        def set_additional_attributes(self) -> None:
            # threadpoolctl's info shows it, as it shows OpenBLAS's kernel.
            from ._isa import instruction_set

            self.architecture = instruction_set()

        def get_num_threads(self) -> int:
            return _threads.get_num_threads()

        def set_num_threads(self, num_threads: int) -> None:
            _set(num_threads)

        def get_version(self) -> str:
            from . import _matinv

            return str(_matinv.__version__)

    return MatinvController


def register() -> bool:
    """Register matinv's controller with threadpoolctl; False when threadpoolctl is not
    installed or too old (no ``threadpoolctl.register``)."""
    try:
        import threadpoolctl  # type: ignore[import-untyped]
    except ImportError:
        return False
    if not hasattr(threadpoolctl, "register") or not hasattr(threadpoolctl, "LibController"):
        return False
    register_controller: Any = threadpoolctl.register
    register_controller(_controller_class(threadpoolctl))
    return True


# `matinv/__init__.py` imports this module last.
registered = register()
