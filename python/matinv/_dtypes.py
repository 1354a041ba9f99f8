"""numpy's dtype rules for linalg: the result dtype of an input, and the array in the dtype
and byte order the native kernels read."""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np
from numpy.linalg import _umath_linalg
from numpy.typing import NDArray

__all__ = ["KERNEL_TYPES", "NATIVE", "kernel_array", "real_dtype", "result_dtype"]

# dtypes the native kernels read directly (float32/complex64 are widened there, per matrix),
# mapped to the result dtype (themselves).
KERNEL_TYPES: tuple[type[Any], ...] = (
    np.float32,
    np.float64,
    np.complex64,
    np.complex128,
)
NATIVE: dict[np.dtype[Any], np.dtype[Any]] = {np.dtype(t): np.dtype(t) for t in KERNEL_TYPES}


def result_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """numpy's ``_commonType`` for one array: the dtype ``inv`` returns."""
    if issubclass(dtype.type, np.inexact):
        if dtype.type in KERNEL_TYPES:
            return np.dtype(dtype.type)
        raise TypeError(f"array type {dtype.name} is unsupported in linalg")
    return np.dtype(np.float64)


def real_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """The real dtype of the same precision (float32 for complex64)."""
    real: np.dtype[Any] = np.finfo(dtype).dtype
    return real


def kernel_array(arr: NDArray[Any], result_t: np.dtype[Any], ufunc: str) -> NDArray[Any]:
    """`arr` in a dtype and byte order the native kernels read (numpy's casting rules);
    for an uncastable dtype, the error numpy's gufunc `ufunc` raises."""
    if arr.dtype.type in KERNEL_TYPES:
        if arr.dtype not in NATIVE:  # non-native byte order
            arr = arr.astype(arr.dtype.newbyteorder("="))
    else:
        compute_t = np.complex128 if result_t.kind == "c" else np.float64
        if not np.can_cast(arr.dtype, compute_t, casting="same_kind"):
            _raise_numpy_cast_error(arr.dtype, ufunc)
        arr = arr.astype(compute_t)
    return arr


def _raise_numpy_cast_error(dtype: np.dtype[Any], ufunc: str) -> NoReturn:
    """Raise the error numpy's gufunc `ufunc` raises for input of `dtype` (object, str,
    datetime...): numpy's own private ``UFuncTypeError`` subclass, made by numpy's own
    casting machinery on a 1x1 array, so ``type(e)`` and the message are numpy's."""
    gufunc = getattr(_umath_linalg, ufunc, None)  # (numpy 1.x names some differently)
    if gufunc is not None:
        # Only real signatures reach here: every uncastable dtype's result type is float64.
        gufunc(np.zeros((1, 1), dtype=dtype), signature="d->" + "d" * gufunc.nout)
    raise TypeError(
        f"Cannot cast ufunc '{ufunc}' input from {dtype!r} to dtype('float64') with "
        "casting rule 'same_kind'"
    )
