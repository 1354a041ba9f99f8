"""``svd``, ``svdvals`` and ``cond`` with numpy's contracts, computed by matinv's core.

numpy's ``inv`` page sends users to ``cond`` and the singular values to judge whether an
inverse can be trusted; these are the same functions, with the same dtypes, shapes,
subclasses and errors, on matinv's threads.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.linalg import LinAlgError
from numpy.typing import ArrayLike, NDArray

from . import _dispatch, _native
from ._dtypes import real_dtype
from ._input import kernel_input

__all__ = ["SVDResult", "cond", "svd", "svdvals"]


class _SVDResult(NamedTuple):
    """``U, S, Vh`` of ``svd`` (numpy < 2 has no class of its own)."""

    U: NDArray[Any]
    S: NDArray[Any]
    Vh: NDArray[Any]


try:  # numpy's own class, so that isinstance checks and pickles agree with numpy's
    from numpy.linalg._linalg import SVDResult
except ImportError:  # pragma: no cover - numpy < 2 has no SVDResult
    SVDResult = _SVDResult  # type: ignore[misc,assignment]


def svd(
    a: ArrayLike,
    full_matrices: bool = True,
    compute_uv: bool = True,
    hermitian: bool = False,
) -> Any:
    """
    Singular Value Decomposition, as ``numpy.linalg.svd``.

    ``a`` of shape ``(..., M, N)`` is factored as ``U @ (S[..., None] * Vh)`` with ``S``
    nonincreasing. ``full_matrices`` chooses ``U`` ``(..., M, M)`` and ``Vh``
    ``(..., N, N)`` (True) or ``(..., M, K)`` and ``(..., K, N)``, ``K = min(M, N)``
    (False). Without ``compute_uv`` only ``S`` is returned. ``hermitian=True`` takes ``a``
    as Hermitian (reads its lower triangle) and uses its eigendecomposition.

    Returns ``SVDResult(U, S, Vh)`` (numpy's named tuple), ``U`` and ``Vh`` of ``a``'s
    subclass; float32/complex64 input gives float32/complex64 results (computed in double
    precision, as numpy does).

    Raises ``LinAlgError`` for fewer than two dimensions, non-square input with
    ``hermitian=True``, and NaN input ("SVD did not converge"), as numpy's LAPACK does;
    infinite input (and NaN with ``hermitian=True``) gives NaN results, as there.

    Arrays whose type overrides numpy's functions (``__array_function__``: Dask arrays and
    others) get what ``numpy.linalg.svd`` gives them.
    """
    if _dispatch.overrides_numpy(a):
        return _dispatch.numpy_call(
            np.linalg.svd,
            a,
            full_matrices=(full_matrices, True),
            compute_uv=(compute_uv, True),
            hermitian=(hermitian, False),
        )
    arr = np.asarray(a)
    wrap = getattr(a, "__array_wrap__", arr.__array_wrap__)
    if hermitian:
        ufunc = "eigh_lo" if compute_uv else "eigvalsh_lo"
    else:
        ufunc = ("svd_f" if full_matrices else "svd_s") if compute_uv else "svd"
    arr, result_t = kernel_input(arr, ufunc, square=hermitian)
    batch, (m, n) = arr.shape[:-2], arr.shape[-2:]
    s = np.empty(batch + (min(m, n),), dtype=real_dtype(result_t))
    if not compute_uv:
        _native.svd(arr, s, None, None, full_matrices, hermitian)
        return s
    if hermitian or full_matrices:
        u_shape, vh_shape = (m, m), (n, n)
    else:
        u_shape, vh_shape = (m, min(m, n)), (min(m, n), n)
    u = np.empty(batch + u_shape, dtype=result_t)
    vh = np.empty(batch + vh_shape, dtype=result_t)
    _native.svd(arr, s, u, vh, full_matrices, hermitian)
    return SVDResult(wrap(u), s, wrap(vh))


def svdvals(x: ArrayLike, /) -> Any:
    """The singular values of ``x`` ``(..., M, N)``, nonincreasing: ``(..., min(M, N))``.

    The same as ``svd(x, compute_uv=False, hermitian=False)``, as in numpy.
    """
    if _dispatch.overrides_numpy(x) and hasattr(np.linalg, "svdvals"):  # numpy >= 2
        return np.linalg.svdvals(x)  # type: ignore[arg-type]
    return svd(x, compute_uv=False, hermitian=False)


# numpy's `norm` takes 'f' for 'fro' too.
_NORMS: dict[object, str] = {
    1: "1",
    -1: "-1",
    np.inf: "inf",
    -np.inf: "-inf",
    "fro": "fro",
    "f": "fro",
    "nuc": "nuc",
}


def cond(x: ArrayLike, p: float | Literal["fro", "f", "nuc"] | None = None) -> Any:
    """
    The condition number of ``x`` ``(..., M, N)`` in norm ``p``, as ``numpy.linalg.cond``.

    ``p``: None or 2 (``s_max / s_min`` from the singular values; any shape), -2
    (``s_min / s_max``), 1, -1, inf, -inf, 'fro' (or 'f'), 'nuc' (``||x|| * ||inv(x)||``; square
    only). Singular matrices give ``inf``; the result is real, in ``x``'s precision, a
    scalar for a single matrix.

    Differences from numpy (where numpy's LAPACK raises "SVD did not converge"): a matrix
    holding NaN gives NaN for every ``p`` (numpy's documented intent), and ``p='nuc'`` of a
    singular matrix gives ``inf``.

    Arrays whose type overrides numpy's functions (``__array_function__``) get what
    ``numpy.linalg.cond`` gives them.
    """
    if _dispatch.overrides_numpy(x):
        return _dispatch.numpy_call(np.linalg.cond, x, p=(p, None))
    arr = np.asarray(x)
    if arr.size == 0 and np.prod(arr.shape[-2:]) == 0:
        raise LinAlgError("cond is not defined on empty arrays")
    if p is None or p in {2, -2}:
        code = "-2" if p is not None and p == -2 else "2"
        ufunc = "svd"
    else:
        ufunc = "inv"
    # numpy's order: shape, dtype, casting, then the norm order (its `norm` comes last).
    arr, result_t = kernel_input(arr, ufunc, square=ufunc == "inv")
    if ufunc == "inv":
        code = _norm_code(p)
    out = np.empty(arr.shape[:-2], dtype=real_dtype(result_t))
    _native.cond(arr, out, code)
    return out[()] if out.ndim == 0 else out


def _norm_code(p: object) -> str:
    """The native spelling of norm order ``p``, compared as numpy's ``norm`` compares it."""
    for order, code in _NORMS.items():
        if isinstance(order, str) != isinstance(p, str):
            continue
        try:
            if bool(p == order):
                return code
        except (TypeError, ValueError):
            break
    raise ValueError("Invalid norm order for matrices.")
