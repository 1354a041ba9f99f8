"""Native half of matinv (Rust, PyO3). Use the functions of ``matinv`` instead.

`inv` and every ``*_into`` function check their outputs: exactly the dtype named (native
byte order, else TypeError), the shape named, C-contiguous, aligned and writeable (else
ValueError), and sharing no memory with the input or with each other (ValueError, judged on
the bytes each array addresses; `inv` in place writes over its input, the one exception),
before reading or writing anything; `inv`'s `out` in numpy's words (`check_out`)."""

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np

_Array: TypeAlias = np.ndarray[Any, Any]

__all__ = [
    "check_out",
    "check_stack",
    "inv",
    "inv_pairs",
    "svd_into",
    "cond_into",
    "lu_in_place",
    "default_num_threads",
    "instruction_set",
    "patch_install",
    "patch_remove",
    "patch_active",
    "patch_counters",
    "patch_test_failure",
    "set_loop_threads",
    "__version__",
]

__version__: str

def check_stack(shape: Sequence[int]) -> None:
    """Raise numpy.linalg.LinAlgError unless `shape` is a stack of square matrices."""

def inv(
    a: object,
    num_threads: int = 0,
    out: object = None,
    status: bool = False,
    assume_a: str | None = None,
    lower: bool = False,
    precision: str | None = None,
    in_place: bool = False,
    func: str = "inv",
    source: _Array | None = None,
) -> Any:
    """Every inverse request, in one call: the inverse of every matrix of `a` (float32/64,
    complex64/128 in native byte order, any strides), of the structure scipy calls
    `assume_a` (None: 'general'; the lower triangle read for 'pos', 'sym' and 'her' when
    `lower`), in `precision` (None or 'working': numpy's; 'extended': double-double),
    with `num_threads` threads (0: every core), into a new C-contiguous array
    (`out` None), into `out`, or in place (`in_place`). `out` is checked as `check_out`
    checks it, as an output of
    `func`, against `a` and `source`. With `status`: a status per matrix and NaN inverses
    instead of LinAlgError for singular matrices, returned as ``(x, info, rcond)``, new
    int32 and float64 arrays of shape `a.shape[:-2]` made after the result.

    Returns the array written (or that tuple); None, doing nothing, when `a` is not an
    array the kernels read as it is: for a new array, not an ndarray of a kernel dtype in
    native byte order (and, without `status`, not a stack of square matrices); for any
    output, unaligned or strides that are not whole elements; in place, not C-contiguous,
    aligned and writeable (copy it first; in place, invert the copy). ValueError for `out`
    and `in_place` together, TypeError for `out` or `in_place` with a non-array `a`. Raises
    numpy.linalg.LinAlgError for a shape that is not a stack of square matrices and,
    without `status`, for a singular matrix (or "Matrix is not positive definite" under
    'pos'); ValueError for an unknown `assume_a` or `precision`; TypeError for an input
    of an unsupported dtype. Releases the GIL while computing results of more than 512
    elements."""

def check_out(
    out: object, dtype: np.dtype[Any], shape: Sequence[int], func: str, *inputs: _Array
) -> _Array:
    """`out` if `func` can write a result of `dtype` and `shape` into it: numpy's rules for
    ``out=``, in numpy's words: an ndarray (else TypeError), of exactly `dtype` in native
    byte order (TypeError: nothing is cast) and `shape`, writeable, C-contiguous and
    aligned, sharing no memory with any of `inputs` (ValueError)."""

def inv_pairs(
    hi: _Array,
    lo: _Array,
    x_hi: _Array,
    x_lo: _Array,
    info: _Array | None = None,
    rcond: _Array | None = None,
    assume_a: str | None = None,
    lower: bool = False,
    num_threads: int = 0,
) -> None:
    """The inverses of the matrices ``hi + lo`` (both float64 or both complex128 in native
    byte order, of one shape; ``|lo|`` at most half an ulp of ``hi``: an 80-bit long
    double split exactly) in double-double arithmetic, written as ``x_hi + x_lo``
    (``x_hi`` the rounded inverse; both C-contiguous, of the inputs' dtype and shape, and
    sharing no memory with them or each other); with `info` (int32) and `rcond`
    (float64), both or neither, C-contiguous of the batch shape and sharing no memory
    with the other arrays: a status per matrix instead of LinAlgError. `assume_a` and
    `lower` as for `inv`."""

def default_num_threads() -> int:
    """Threads used when none is asked for (every core, or RAYON_NUM_THREADS; 1 when those
    threads cannot be started)."""

def instruction_set() -> str:
    """The instruction set matinv's own kernels run under: "avx512", "avx2" or "baseline"
    (the widest the CPU has, capped by MATINV_ISA)."""

def svd_into(
    a: _Array,
    s: _Array,
    u: _Array | None = None,
    vh: _Array | None = None,
    full_matrices: bool = True,
    hermitian: bool = False,
    num_threads: int = 0,
) -> bool:
    """Singular values of every matrix of `a` into `s` (real dtype, shape
    `a.shape[:-2] + (k,)`), and with `u` and `vh` (both or neither) the singular vectors
    (C-contiguous, numpy's shapes). Returns False, doing nothing, when `a` must be copied first."""

def cond_into(a: _Array, out: _Array, p: str, num_threads: int = 0) -> bool:
    """numpy's `cond(a, p)` into `out` (real dtype, shape `a.shape[:-2]`); `p` is one of
    "2", "-2", "1", "-1", "inf", "-inf", "fro", "nuc". Returns False when `a` must be copied
    first."""

def lu_in_place(a: _Array, num_threads: int = 0) -> tuple[_Array, int]:
    """LU factorization with partial pivoting of the 2-D array `a` (rows >= columns;
    float64, float32, complex128 or complex64; writeable, aligned, C-contiguous), in place,
    as LAPACK's getrf: returns the row order `perm` (row r of `P A` is row `perm[r]` of the
    input, as uint64) and `info`, the 1-based column of the first exact zero pivot or 0."""

# numpy's own inv gufunc with matinv's loops (python/matinv/_patch.py)

def patch_install(ufunc: np.ufunc) -> bool:
    """Install matinv's `d->d` and `D->D` loops into numpy's `inv` gufunc
    (numpy.linalg._umath_linalg.inv), keeping numpy's; False when installed already.
    TypeError for any other object."""

def patch_remove(ufunc: np.ufunc) -> bool:
    """Put numpy's own loops back into `ufunc`; False when matinv's were not installed."""

def patch_active() -> bool:
    """Whether matinv's loops are installed in numpy's `inv`."""

def patch_counters() -> tuple[int, int, int]:
    """(calls, matrices, fallbacks) of matinv's loop: calls computed by matinv, the
    matrices in them, calls handed back to numpy's loop after an internal error."""

def set_loop_threads(n: int) -> None:
    """Threads matinv's loop uses (0: matinv's default); matinv.set_num_threads calls it."""

def patch_test_failure(mode: int) -> None:
    """Test hook: 0 normal, 1 every loop call fails internally, 2 every loop call panics
    (both fall back to numpy's own loop)."""
