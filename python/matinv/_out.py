"""``out=`` of `inv` and `inv_ex`: an existing array the result is written into.

The native kernels write C-contiguous arrays of exactly the result dtype, so `out` must be
one (no casting, no strided writes); it is refused, with numpy's words where numpy has
them, before anything is computed.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["check_out"]


def check_out(
    out: object,
    a: NDArray[np.generic],
    shape: tuple[int, ...],
    dtype: np.dtype[np.generic],
    func: str,
) -> NDArray[np.generic]:
    """`out` if `func` can write a result of `shape` and `dtype` into it, else TypeError
    (not an ndarray, another dtype) or ValueError (shape, layout, read-only, sharing
    memory with the input `a`)."""
    if not isinstance(out, np.ndarray):
        raise TypeError("return arrays must be of ArrayType")
    if out.dtype != dtype or not out.dtype.isnative:
        # numpy's words for a cast it refuses; matinv casts nothing ('no').
        raise TypeError(
            f"Cannot cast ufunc '{func}' output from {dtype!r} to {out.dtype!r} with "
            "casting rule 'no'"
        )
    if out.shape != shape:
        raise ValueError(
            f"output operand with shape {out.shape} doesn't match the result shape {shape}"
        )
    if not out.flags.writeable:
        raise ValueError("output array is read-only")
    if not (out.flags.c_contiguous and out.flags.aligned):
        raise ValueError(
            f"{func}: out must be C-contiguous and aligned (the result is written in C "
            "order, without a temporary)"
        )
    # Judged on the bytes each array spans (numpy's bounds check, as the native module
    # judges it), so interleaved views of one buffer count as sharing memory too.
    if np.may_share_memory(a, out):
        raise ValueError(f"{func}: out shares memory with the input")
    return out
