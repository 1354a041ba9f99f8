"""The dtypes numpy's linalg refuses, inverted: float16 (computed in double and rounded
once, as numpy computes float32), and longdouble and clongdouble where they are x86's
80-bit extended format (64-bit significand), computed in double-double arithmetic.

An 80-bit number splits exactly into two doubles, ``hi + lo``, once its exponent is in
double's range: each matrix is first scaled by a power of two (exact) so that its largest
entry is near 1, the pair ``(hi, lo)`` is inverted by the native double-double kernels,
and the result ``x_hi + x_lo`` is summed in longdouble (one rounding) and scaled back.
Where longdouble is plain double (64-bit Windows, macOS on arm64), it is computed as
float64; where it is IEEE binary128 (Linux on aarch64, ppc64le, s390x), whose 113-bit
significand double-double cannot hold, it is refused with a TypeError.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import _native

__all__ = ["EXTRA_DTYPES", "double_double", "invert"]

EXTRA_DTYPES: frozenset[type[Any]] = frozenset({np.float16, np.longdouble, np.clongdouble})

Status = tuple[NDArray[np.int32], NDArray[np.float64]]


def double_double(dtype: np.dtype[Any], precision: str) -> bool:
    """Whether an inverse of `dtype` in `precision` is computed in double-double."""
    x87 = dtype.type in (np.longdouble, np.clongdouble) and np.finfo(dtype).nmant == 63
    return precision == "extended" or x87


def invert(
    arr: NDArray[Any],
    status: Status | None,
    assume_a: str,
    lower: bool,
    precision: str,
) -> NDArray[Any]:
    """The inverses of the stack `arr` (float16, longdouble or clongdouble, checked to be a
    stack of square matrices) in a new array of its dtype, with a status per matrix into
    `status` (else LinAlgError for a singular matrix)."""
    arr = arr.astype(arr.dtype.newbyteorder("="), copy=False)
    t = arr.dtype.type
    if t is np.float16:
        x = _native.inv(arr.astype(np.float64), None, status, assume_a, lower, precision)
        return x.astype(np.float16)
    nmant = np.finfo(arr.dtype).nmant
    if nmant == np.finfo(np.float64).nmant:  # longdouble is double here
        wide = arr.astype(np.complex128 if t is np.clongdouble else np.float64)
        return _native.inv(wide, None, status, assume_a, lower, precision).astype(t)
    if nmant != 63:
        raise TypeError(
            f"array type {arr.dtype.name} (a {nmant + 1}-bit significand) is unsupported "
            "in matinv: its double-double inverse (106 bits) would not fill it"
        )
    return _x87(arr, status, assume_a, lower)


def _x87(arr: NDArray[Any], status: Status | None, assume_a: str, lower: bool) -> NDArray[Any]:
    """x86's 80-bit longdouble or clongdouble, in double-double arithmetic."""
    complex_ = arr.dtype.kind == "c"
    parts = [arr.real, arr.imag] if complex_ else [arr]
    # The exponent of each matrix's largest component: scaling by 2^-e is exact, and puts
    # every entry within double's range (entries below 2^-1022 of the largest keep fewer
    # bits, or none).
    big = np.zeros(arr.shape[:-2], dtype=np.longdouble)
    for p in parts:
        if arr.size:
            big = np.maximum(big, np.abs(p).max(axis=(-2, -1)))
    finite = np.isfinite(big) & (big > 0)
    e = np.where(finite, np.frexp(np.where(finite, big, 1))[1], 0)
    scale = -e[..., None, None]
    his, los = [], []
    for p in parts:
        scaled = np.ldexp(p, scale)
        hi = scaled.astype(np.float64)
        his.append(hi)
        los.append((scaled - hi).astype(np.float64))
    if complex_:
        hi_c, lo_c = np.empty(arr.shape, np.complex128), np.empty(arr.shape, np.complex128)
        hi_c.real, hi_c.imag = his
        lo_c.real, lo_c.imag = los
        x_hi, x_lo = _native.inv_pairs(hi_c, lo_c, status, assume_a, lower)
        re = x_hi.real.astype(np.longdouble) + x_lo.real.astype(np.longdouble)
        im = x_hi.imag.astype(np.longdouble) + x_lo.imag.astype(np.longdouble)
        x = np.empty(arr.shape, np.clongdouble)
        # inv(A) = s inv(s A), s = 2^-e.
        x.real, x.imag = np.ldexp(re, scale), np.ldexp(im, scale)
        return x
    x_hi, x_lo = _native.inv_pairs(his[0], los[0], status, assume_a, lower)
    return np.ldexp(x_hi.astype(np.longdouble) + x_lo.astype(np.longdouble), scale)
