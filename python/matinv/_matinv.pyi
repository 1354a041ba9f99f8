"""Native half of matinv (Rust, PyO3). Use the functions of ``matinv`` instead.

Every ``*_into`` function checks its outputs: exactly the dtype named (native byte order,
else TypeError), the shape named, C-contiguous, aligned and writeable (else ValueError), and
sharing no memory with the input or with each other (ValueError, judged on the bytes each
array addresses), before reading or writing anything."""

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np

_Array: TypeAlias = np.ndarray[Any, Any]

__all__ = [
    "check_stack",
    "inv_new",
    "inv_into",
    "inv_ex_into",
    "inv_in_place",
    "svd_into",
    "cond_into",
    "inv_structured_into",
    "default_num_threads",
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

def inv_new(a: object, num_threads: int = 0) -> _Array | None:
    """`inv`'s fast path: a new C-contiguous array of `a`'s dtype and shape holding the
    inverse of every matrix of `a` with `num_threads` threads (0: every core); None,
    doing nothing, unless `a` is an array of float32/64 or complex64/128 in native byte
    order, a stack of square matrices, aligned, with strides of whole elements. Raises
    numpy.linalg.LinAlgError for a singular matrix. Releases the GIL while computing
    results of more than 512 elements."""

def inv_into(a: _Array, out: _Array, num_threads: int = 0) -> bool:
    """Invert every matrix of `a` (float32/64, complex64/128, aligned, native byte order,
    any strides) into `out` (C-contiguous, same dtype and shape) with `num_threads`
    threads (0: every core). Releases the GIL while computing outputs of more than 512
    elements. Returns False, doing nothing, when `a` is unaligned or its strides are not
    whole elements."""

def inv_in_place(a: _Array, num_threads: int = 0) -> None:
    """Invert every matrix of `a` in place (scipy's `overwrite_a`): exactly float32,
    float64, complex64 or complex128 in native byte order (else TypeError), a stack of
    square matrices (else LinAlgError), C-contiguous, aligned and writeable (else
    ValueError). Releases the GIL. After a LinAlgError `a` holds unspecified values."""

def default_num_threads() -> int:
    """Threads used when none is asked for (every core, or RAYON_NUM_THREADS; 1 when those
    threads cannot be started)."""

def inv_ex_into(
    a: _Array,
    out: _Array,
    info: _Array,
    rcond: _Array,
    num_threads: int = 0,
) -> bool:
    """Like `inv_into`, but never raises for singular matrices: fills `info` (int32) and
    `rcond` (float64), C-contiguous of shape `a.shape[:-2]`, and NaN inverses for singular
    matrices."""

def inv_structured_into(
    a: _Array,
    out: _Array,
    info: _Array | None,
    rcond: _Array | None,
    assume_a: str,
    lower: bool = False,
    num_threads: int = 0,
) -> bool:
    """`inv_into` (`info` and `rcond` None) or `inv_ex_into` for matrices of the structure
    scipy calls `assume_a`, reading the lower triangle for 'pos', 'sym' and 'her' when
    `lower`. ValueError for an unknown `assume_a`; LinAlgError("Matrix is not positive
    definite") when Cholesky fails under 'pos' without `info`."""

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
