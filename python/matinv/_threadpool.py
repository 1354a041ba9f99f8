"""threadpoolctl integration: ``threadpoolctl.threadpool_info()`` lists matinv's pool
(``user_api`` and ``internal_api`` "matinv") and ``threadpoolctl.threadpool_limits(n)``
limits the threads of matinv (``matinv.inv``, ``inv_ex``, ``cond``, ``svd`` and numpy's
patched ``inv``), as it limits BLAS and OpenMP.

threadpoolctl (>= 3.5, optional) finds libraries among the loaded shared objects by file
name and exported symbols: matinv's native module (``_matinv*.so``) exports the C function
``matinv_get_num_threads``. The controller reads and sets matinv's thread count through
``matinv.get_num_threads`` and ``matinv.set_num_threads``, so every matinv entry point obeys
it. It is registered when matinv is imported, if threadpoolctl can be imported.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any


def _controller_class(threadpoolctl: ModuleType) -> type:
    # threadpoolctl ships no type information: its base class is Any to mypy.
    base: Any = threadpoolctl.LibController

    class MatinvController(base):  # type: ignore[misc]
        """matinv's threads (its rayon pool), for threadpoolctl."""

        user_api = "matinv"
        internal_api = "matinv"
        filename_prefixes = ("_matinv",)
        check_symbols = ("matinv_get_num_threads",)

        def get_num_threads(self) -> int:
            import matinv

            return matinv.get_num_threads()

        def set_num_threads(self, num_threads: int) -> None:
            import matinv

            matinv.set_num_threads(num_threads)

        def get_version(self) -> str:
            import matinv

            return matinv.__version__

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


registered = register()
