"""numpy's checks and conversions of a `numpy.linalg` input, in numpy's order: the shape
(a stack of matrices, or of square ones), then the dtype, converted to one the native
kernels read."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.linalg import LinAlgError
from numpy.typing import NDArray

from . import _native
from ._dtypes import kernel_array, result_dtype

__all__ = ["kernel_input"]


def kernel_input(
    arr: NDArray[Any], ufunc: str, *, square: bool
) -> tuple[NDArray[Any], np.dtype[Any]]:
    """`arr` checked as numpy's gufunc `ufunc` checks it (a stack of square matrices when
    `square`, else of matrices; numpy's `LinAlgError` otherwise) and converted to a dtype
    and byte order the kernels read (numpy's casting error otherwise); and the result
    dtype."""
    if square:
        _native.check_stack(arr.shape)
    elif arr.ndim < 2:
        raise LinAlgError(
            f"{arr.ndim}-dimensional array given. Array must be at least two-dimensional"
        )
    result_t = result_dtype(arr.dtype)
    return kernel_array(arr, result_t, ufunc), result_t
