"""The dtypes numpy's linalg refuses, inverted: float16 (computed in double and rounded
once, as numpy computes float32), and longdouble and clongdouble where they are x86's
80-bit extended format (64-bit significand), computed in double-double arithmetic.

An 80-bit number splits exactly into two doubles, ``hi + lo``, once its exponent is in
double's range: each matrix is first scaled by powers of two (exact), ``R A C`` with its
rows, then its columns, brought to largest magnitudes near 1 (``D A D`` from the
diagonal for 'pos', 'sym' and 'her', which keeps them symmetric), so that entries far
beyond double's range are no obstacle; the pairs ``(hi, lo)`` are inverted by the native
double-double kernels, and the result ``x_hi + x_lo`` is summed in longdouble (one
rounding) and scaled back, ``inv(A) = C inv(R A C) R``.
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
        wide = arr.astype(np.float64)
        if precision == "extended":
            # Rounded once from the double-double value, through rounding to odd.
            x_hi, x_lo = _native.inv_pairs(wide, np.zeros_like(wide), status, assume_a, lower)
            x = _round_to_odd(x_hi, x_lo)
        else:
            x = _in_double(wide, status, assume_a, lower, precision)
        with np.errstate(over="ignore"):  # beyond float16's range: inf, as numpy casts
            return x.astype(np.float16)
    nmant = np.finfo(arr.dtype).nmant
    if nmant == np.finfo(np.float64).nmant:  # longdouble is double here
        wide = arr.astype(np.complex128 if t is np.clongdouble else np.float64)
        return _in_double(wide, status, assume_a, lower, precision).astype(t)
    if nmant != 63:
        raise TypeError(
            f"array type {arr.dtype.name} (a {nmant + 1}-bit significand) is unsupported "
            "in matinv: its double-double inverse (106 bits) would not fill it"
        )
    return _x87(arr, status, assume_a, lower)


def _in_double(
    wide: NDArray[Any], status: Status | None, assume_a: str, lower: bool, precision: str
) -> NDArray[Any]:
    """The native inverse of the float64 or complex128 stack `wide`, with its status
    copied into `status` when given (else LinAlgError for a singular matrix)."""
    if status is None:
        return _native.inv(wide, None, assume_a, lower, precision)
    x, info, rcond = _native.inv_ex(wide, None, assume_a, lower, precision, "inv", None)
    status[0][...] = info
    status[1][...] = rcond
    return x


def _round_to_odd(hi: NDArray[Any], lo: NDArray[Any]) -> NDArray[Any]:
    """``hi + lo`` rounded to odd: `hi` where exact or odd, else its neighbour towards `lo`;
    a narrower type then rounds it as it would round the exact sum."""
    bits = hi.view(np.int64)
    step = (lo != 0) & ((bits & 1) == 0) & np.isfinite(hi)
    away = np.signbit(lo) == np.signbit(hi)  # the magnitude goes up
    odd: NDArray[Any] = np.where(step, np.where(away, bits + 1, bits - 1), bits).view(np.float64)
    return odd


def _exponent(x: NDArray[Any]) -> NDArray[np.int64]:
    """The binary exponent of each entry (``x = m 2^e``, ``0.5 <= m < 1``); 0 where `x` is
    zero or not finite."""
    ok = np.isfinite(x) & (x > 0)
    return np.where(ok, np.frexp(np.where(ok, x, 1))[1], 0).astype(np.int64)


def _magnitudes(arr: NDArray[Any], assume_a: str, lower: bool) -> NDArray[Any]:
    """``max(|re|, |im|)`` of each entry that `assume_a` reads, 0 elsewhere (the imaginary
    part of the diagonal is not read by 'pos' and 'her')."""
    n = arr.shape[-1]
    mag = np.maximum(np.abs(arr.real), np.abs(arr.imag)) if arr.dtype.kind == "c" else np.abs(arr)
    rows, cols = np.indices((n, n))
    read = {
        "diagonal": rows == cols,
        "upper triangular": rows <= cols,
        "lower triangular": rows >= cols,
        "pos": (rows >= cols) if lower else (rows <= cols),
        "sym": (rows >= cols) if lower else (rows <= cols),
        "her": (rows >= cols) if lower else (rows <= cols),
    }.get(assume_a, np.ones((n, n), dtype=bool))
    mag = np.where(read, mag, 0)
    if assume_a in ("pos", "her") and arr.dtype.kind == "c":
        diag = np.abs(arr.real[..., range(n), range(n)])
        mag[..., range(n), range(n)] = diag
    return mag


def _x87(arr: NDArray[Any], status: Status | None, assume_a: str, lower: bool) -> NDArray[Any]:
    """x86's 80-bit longdouble or clongdouble, in double-double arithmetic."""
    complex_ = arr.dtype.kind == "c"
    n = arr.shape[-1]
    mag = _magnitudes(arr, assume_a, lower)
    if n == 0:
        r = c = np.zeros(arr.shape[:-1], dtype=np.int64)
    elif assume_a in ("pos", "sym", "her"):
        # D A D, d_i = 2^-(e_i / 2) from the diagonal (LAPACK's poequ, in powers of two):
        # a positive definite matrix's entries are then at most 1; a zero diagonal entry
        # leaves its row and column as they are.
        r = c = -(_exponent(mag[..., range(n), range(n)]) // 2)
    else:
        r = -_exponent(mag.max(axis=-1))
        c = -_exponent(np.ldexp(mag, r[..., :, None]).max(axis=-2))
    scale = r[..., :, None] + c[..., None, :]
    back = c[..., :, None] + r[..., None, :]  # inv(A) = C inv(R A C) R
    parts = [arr.real, arr.imag] if complex_ else [arr]
    his, los = [], []
    # Entries the structure does not read may overflow here; they are not read.
    with np.errstate(over="ignore", invalid="ignore"):
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
        with np.errstate(over="ignore"):
            x.real, x.imag = np.ldexp(re, back), np.ldexp(im, back)
        return x
    x_hi, x_lo = _native.inv_pairs(his[0], los[0], status, assume_a, lower)
    with np.errstate(over="ignore"):
        inverse: NDArray[Any] = np.ldexp(
            x_hi.astype(np.longdouble) + x_lo.astype(np.longdouble), back
        )
    return inverse
