"""Arrays that override numpy's functions (NEP 18, ``__array_function__``).

``numpy.linalg.inv(x)`` hands such an ``x`` (a Dask array, an astropy ``Quantity``...) to
its own type, which may answer lazily or with units. matinv does what numpy's dispatch
does, instead of converting ``x`` into an ndarray: Dask arrays go to `matinv.dask` (lazy,
matinv's kernels in the tasks), any other such type gets numpy's function, so it answers
exactly as it answers numpy. Options numpy has no words for (``assume_a``, `errstate`,
``inv_ex``) cannot be passed on to those other types: they raise `TypeError`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np

__all__ = ["is_dask_array", "numpy_call", "overrides_numpy", "refuse"]

_NDARRAY_ARRAY_FUNCTION = np.ndarray.__array_function__


_MISSING = object()


def overrides_numpy(a: object) -> bool:
    """Whether numpy's functions would dispatch on `a` (its type overrides
    ``__array_function__``; ndarray and subclasses that inherit it do not). A type that
    sets it to None is dispatched too: numpy then raises its TypeError for it."""
    method = getattr(type(a), "__array_function__", _MISSING)
    return method is not _MISSING and method is not _NDARRAY_ARRAY_FUNCTION


def is_dask_array(a: object) -> bool:
    """Whether `a` is a Dask array (without importing Dask: an array can only exist once
    its module is loaded)."""
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(a, da.Array)


def refuse(a: object, what: str) -> NoReturn:
    """TypeError for an option numpy's dispatch cannot carry to `a`'s type."""
    name = f"{type(a).__module__}.{type(a).__qualname__}"
    raise TypeError(
        f"{what} is not supported for {name}: that type overrides numpy's functions "
        "(__array_function__), and numpy's function has no such option; pass "
        "numpy.asarray(a) to compute it with matinv as an ndarray"
    )


def numpy_call(func: Callable[..., Any], a: object, **options: tuple[object, object]) -> Any:
    """numpy's `func` on `a` with the options that differ from their defaults only, as a
    caller of numpy would have written them (so the type's implementation sees the same
    call)."""
    return func(a, **{k: v for k, (v, default) in options.items() if v != default})
