"""matinv on Dask: lazy inverses of ``dask.array`` stacks and of single large matrices.

``import matinv.dask`` needs Dask (``pip install matinv[dask]``); ``import matinv`` alone
never imports it.

* ``inv(x)`` / ``inv_ex(x)`` on a ``(..., n, n)`` Dask array return Dask arrays with the
  contract of `matinv.inv` / `matinv.inv_ex` (dtypes, shape and dtype errors raised here,
  eagerly; singular matrices raise `LinAlgError` when the result is computed).
* A stack (or a 2-D array in one chunk) is rechunked so that every chunk holds whole
  matrices, and each chunk is inverted by matinv's batched kernels on the workers.
* A 2-D array chunked along its last axes is inverted blockwise: block LU with partial
  pivoting (each panel, one block column below the diagonal, factored in one task with row
  pivoting across all its block rows), then ``inv(A) = inv(U) inv(L) P`` by block
  triangular inversions and block products, each a Dask task. See docs/dask.md for why
  this algorithm and what it costs.

Inside tasks matinv runs on ``threads`` threads (default 1): Dask already runs one task per
worker thread, and its workers pin BLAS to one thread for the same reason.
"""

from __future__ import annotations

import contextlib
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import dask.array as da
import numpy as np
from dask.base import tokenize
from dask.highlevelgraph import HighLevelGraph
from dask.typing import Key
from numpy.linalg import LinAlgError
from numpy.typing import ArrayLike, DTypeLike, NDArray

import matinv
from matinv import InvExResult
from matinv._assume_a import AssumeA, canonical
from matinv._extra_dtypes import EXTRA_DTYPES
from matinv._inv import Precision, check_precision
from matinv._native import lu_in_place
from matinv._threads import check_threads
from matinv._trust import DEFAULT, State, apply, current

__all__ = ["inv", "inv_ex", "InvExResult"]

_DEFAULT_THREADS = 1

_Block = NDArray[Any]
"""A block of a matrix on a worker: float64 or complex128 (the compute types), or the
result dtype once permuted back."""
_Perm = NDArray[np.intp]
"""A row order: new row r is old row perm[r]."""
_T = TypeVar("_T")


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def inv(
    x: ArrayLike,
    *,
    assume_a: AssumeA = "general",
    lower: bool = False,
    threads: int | None = None,
    precision: Precision = "working",
) -> da.Array:
    """Lazy `matinv.inv` of a Dask array of shape ``(..., n, n)``.

    ``matinv.inv(x)`` of a Dask array ``x`` calls this (``numpy.linalg.inv(x)`` would
    call Dask's own ``inv``).

    Parameters
    ----------
    x : dask.array.Array or array_like
        The matrices. A 2-D array in more than one chunk is inverted blockwise (one large
        matrix); anything else is treated as a stack whose chunks get whole matrices.
    assume_a, lower, precision
        As in `matinv.inv`. A structure other than ``'general'``, and
        ``precision='extended'``, are inverted a whole matrix per task (a 2-D array
        chunked along its last axes is rechunked).
    threads : int, optional
        matinv threads per task (default 1, one per Dask worker thread).

    Returns
    -------
    dask.array.Array
        The inverses, dtype as `matinv.inv` gives it. Computing it raises `LinAlgError`
        ("Singular matrix") if a matrix is singular. `matinv.errstate` in effect at this
        call applies in the tasks (warnings are then emitted on the workers).

    Raises
    ------
    LinAlgError, TypeError
        At once, for what `matinv.inv` rejects without looking at the values.
    """
    name = canonical(assume_a)
    precision = check_precision(precision)
    arr, result_t = _prepare(x)
    threads = _threads(threads)
    state = current()
    if _is_blocked(arr) and name == "general" and precision == "working" and _plain(result_t):
        if state == DEFAULT:
            out, _ = _blocked_inv(arr, result_t, threads, raise_singular=True)
            return out
        out, info = _blocked_inv(arr, result_t, threads, raise_singular=False)
        rcond = _blocked_rcond(arr, out, info)
        return da.map_blocks(
            _check_state, out, info, rcond, state, result_t, dtype=result_t, meta=_meta(2, result_t)
        )
    arr = _whole_matrices(arr)
    return da.map_blocks(
        _inv_chunk,
        arr,
        threads,
        state,
        name,
        bool(lower),
        precision,
        dtype=result_t,
        meta=_meta(arr.ndim, result_t),
        token="matinv-inv",
    )


def inv_ex(
    x: ArrayLike,
    *,
    assume_a: AssumeA = "general",
    lower: bool = False,
    threads: int | None = None,
    precision: Precision = "working",
) -> InvExResult:
    """Lazy `matinv.inv_ex` of a Dask array of shape ``(..., n, n)``: never raises for
    singular matrices. ``matinv.inv_ex(x)`` of a Dask array calls this; `assume_a`,
    `lower` and `precision` as in `inv`.

    Returns
    -------
    InvExResult
        ``(inv, info, rcond)``, three Dask arrays shaped and typed as `matinv.inv_ex`
        returns them (``info`` int32 and ``rcond`` float64 of shape ``x.shape[:-2]``).
        Each chunk is inverted once however many of the three are computed, as long as
        they are computed together (``dask.compute(*result)``).
    """
    name = canonical(assume_a)
    precision = check_precision(precision)
    arr, result_t = _prepare(x)
    threads = _threads(threads)
    if _is_blocked(arr) and name == "general" and precision == "working" and _plain(result_t):
        out, info = _blocked_inv(arr, result_t, threads, raise_singular=False)
        # (InvExResult's fields are annotated as ndarrays; here they hold Dask arrays.)
        return InvExResult(out, info, _blocked_rcond(arr, out, info))  # type: ignore[arg-type]
    arr = _whole_matrices(arr)
    out, info, rcond = da.apply_gufunc(
        _inv_ex_chunk,
        "(i,j)->(i,j),(),()",
        arr,
        threads=threads,
        assume_a=name,
        lower=bool(lower),
        precision=precision,
        meta=(
            _meta(arr.ndim, result_t),
            _meta(arr.ndim - 2, np.int32),
            _meta(arr.ndim - 2, np.float64),
        ),
    )
    return InvExResult(out, info, rcond)


# --------------------------------------------------------------------------------------
# Checks and dispatch
# --------------------------------------------------------------------------------------


def _prepare(x: ArrayLike | da.Array) -> tuple[da.Array, np.dtype[Any]]:
    """The Dask array and the result dtype; numpy's shape and dtype errors, in its order,
    learnt from matinv itself on an empty array of the same dtype."""
    x = x if isinstance(x, da.Array) else da.asarray(x)
    shape = x.shape
    if any(isinstance(s, float) and math.isnan(s) for s in shape[-2:]):
        raise ValueError(
            "the last two axes of the array have unknown sizes; call x.compute_chunk_sizes()"
        )
    probe_shape: tuple[int, ...]
    if x.ndim < 2:
        probe_shape = (0,) * x.ndim
    elif shape[-1] != shape[-2]:
        probe_shape = (1, 2)
    else:
        probe_shape = (0, 0)
    probe = np.empty(probe_shape, dtype=x.dtype)
    result_t = matinv.inv(probe).dtype
    return x, result_t


def _plain(result_t: np.dtype[Any]) -> bool:
    """Whether the blocked path (numpy's float64/complex128 arithmetic between blocks)
    gives what `matinv.inv` gives for this dtype: not for those of `_extra_dtypes`, which
    are inverted a whole matrix per task."""
    return result_t.type not in EXTRA_DTYPES


def _threads(threads: int | None) -> int:
    return _DEFAULT_THREADS if threads is None else check_threads(threads)


def _meta(ndim: int, dtype: DTypeLike) -> NDArray[Any]:
    return np.empty((0,) * ndim, dtype=dtype)


def _is_blocked(x: da.Array) -> bool:
    return x.ndim == 2 and x.numblocks != (1, 1)


def _whole_matrices(x: da.Array) -> da.Array:
    """Rechunk so that every chunk holds whole matrices (no-op if they already do)."""
    return x.rechunk({x.ndim - 2: -1, x.ndim - 1: -1})


def _inv_chunk(
    block: NDArray[Any],
    threads: int,
    state: State,
    assume_a: AssumeA,
    lower: bool,
    precision: Precision,
) -> NDArray[Any]:
    singular, ill_conditioned = state
    with (
        matinv.threads(threads),
        matinv.errstate(singular=singular, ill_conditioned=ill_conditioned),
    ):
        return matinv.inv(block, assume_a=assume_a, lower=lower, precision=precision)


def _inv_ex_chunk(
    block: NDArray[Any], threads: int, assume_a: AssumeA, lower: bool, precision: Precision
) -> tuple[NDArray[Any], NDArray[np.int32], NDArray[np.float64]]:
    with matinv.threads(threads):
        x, info, rcond = matinv.inv_ex(block, assume_a=assume_a, lower=lower, precision=precision)
        return x, info, rcond


def _check_state(
    block: NDArray[Any],
    info: ArrayLike,
    rcond: ArrayLike,
    state: State,
    result_t: np.dtype[Any],
) -> NDArray[Any]:
    apply(state, np.asarray(info), np.asarray(rcond), result_t)
    return block


# --------------------------------------------------------------------------------------
# One large matrix: block LU with partial pivoting, then inv(U) inv(L) P
# --------------------------------------------------------------------------------------


def _blocked_inv(
    x: da.Array, result_t: np.dtype[Any], threads: int, raise_singular: bool
) -> tuple[da.Array, da.Array]:
    """The inverse of a 2-D Dask array chunked in both axes, and its ``info`` (0-d int32
    Dask array). The task graph is built from the chunk grid alone: the data-dependent row
    pivoting stays inside the panel tasks, and the tasks after a panel take its
    permutation as data. Every task but the panel's holds at most five blocks of inputs
    and output (and one product or copy while it runs), so that workers can spill."""
    rows = x.chunks[0] if len(x.chunks[0]) > 1 else x.chunks[1]
    x = x.rechunk((rows, rows))  # diagonal blocks must be square
    sizes = list(rows)
    nb = len(sizes)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    compute_t = np.complex128 if result_t.kind == "c" else np.float64
    token = tokenize(x.name, threads, raise_singular, result_t)
    g = _Graph(token, threads)

    a = [[g.task(_to_compute, (x.name, i, j), compute_t) for j in range(nb)] for i in range(nb)]

    # Factorization, right-looking: after step k, a[k][k] holds U_kk and L_kk packed,
    # a[k][j > k] holds U_kj, a[i > k][k] holds L_ik (later row swaps applied to them).
    perms, infos, linv = [], [], []
    for k in range(nb):
        m = nb - k
        factored = g.task(
            _factor_panel, [a[i][k] for i in range(k, nb)], offsets[k], raise_singular
        )
        for i in range(k, nb):
            a[i][k] = g.item(factored, i - k)
        perm = g.item(factored, m)
        perms.append(perm)
        infos.append(g.item(factored, m + 1))
        linv.append(g.task(_inv_unit_lower, a[k][k]))
        starts = [offsets[i] - offsets[k] for i in range(k, nb)]  # within the panel
        for j in range(nb):
            if j == k:
                continue
            column = [a[i][j] for i in range(k, nb)]  # rows swapped by the panel's pivoting
            pieces = g.leaving(column, perm, starts, axis=0)
            if j < k:  # L's columns: rows swapped, nothing else
                a[k][j] = g.task(_assembled, column[0], pieces, perm, starts, 0)
                for i in range(k + 1, nb):
                    a[i][j] = g.task(_swapped, column[i - k], column[0], perm, starts[i - k], 0)
                continue
            # U_kj = inv(L_kk) A_kj, then the Schur updates A_ij -= L_ik U_kj, each fused
            # into the task that swaps the block's rows.
            a[k][j] = g.task(
                _assembled, column[0], pieces, perm, starts, 0, _lower_left_product, linv[k]
            )
            for i in range(k + 1, nb):
                a[i][j] = g.task(
                    _swapped, column[i - k], column[0], perm, starts[i - k], 0,
                    _schur_update, a[i][k], a[k][j],
                )  # fmt: skip

    # inv(U): column by column, upwards. Y_ij = -inv(U_ii) sum_m U_im Y_mj, m = i+1..j.
    # Diagonal blocks of inv(U) and inv(L) are triangular: products with them skip the
    # zero half (`_product`'s `triangular`, named as "<upper|lower> <left|right>").
    y: dict[tuple[int, int], Key] = {}
    for j in range(nb):
        y[j, j] = g.task(_inv_upper, a[j][j])
        for i in range(j - 1, -1, -1):
            terms = [(a[i][m], y[m, j], None) for m in range(i + 1, j)]
            total = g.sum_of_products([*terms, (a[i][j], y[j, j], "upper right")])
            y[i, j] = g.task(_negated_product, y[i, i], total, "upper left")
    # inv(L), L unit lower: column by column, downwards. Z_ij = -inv(L_ii) sum_m L_im Z_mj,
    # m = j..i-1: every L_im there is a full below-diagonal block (the packed diagonal
    # block, holding U above its diagonal, is never read).
    z: dict[tuple[int, int], Key] = {(j, j): linv[j] for j in range(nb)}
    for j in range(nb):
        for i in range(j + 1, nb):
            terms = [(a[i][m], z[m, j], None) for m in range(j + 1, i)]
            total = g.sum_of_products([(a[i][j], z[j, j], "lower right"), *terms])
            z[i, j] = g.task(_negated_product, z[i, i], total, "lower left")
    # inv(U) inv(L): W_ij = sum over m >= max(i, j) of Y_im Z_mj; the first term has
    # Y_ii (m = i) or Z_jj (m = j) triangular (both when i = j: the left one is used).
    w = [
        [
            g.sum_of_products(
                [
                    (
                        y[i, m],
                        z[m, j],
                        ("upper left" if m == i else "lower right") if m == max(i, j) else None,
                    )
                    for m in range(max(i, j), nb)
                ]
            )
            for j in range(nb)
        ]
        for i in range(nb)
    ]

    # inv(A) = W P with P = P_{nb-1} ... P_0 (step k's row order, P_0 applied first):
    # W P_{nb-1} first, each a column exchange among block columns k..nb-1; the last one
    # (over all block columns) also makes the result's blocks.
    info = g.task(_first_zero_pivot, infos)
    name = "matinv-blocked-inv-" + token
    for k in range(nb - 1, -1, -1):
        order = g.task(_inverse_permutation, perms[k])
        starts = [offsets[j] - offsets[k] for j in range(k, nb)]
        then = (_finish, info, result_t) if k == 0 else ()
        for i in range(nb):
            row = w[i][k:]
            pieces = g.leaving(row, order, starts, axis=1)
            key = (name, i, k) if k == 0 else None
            w[i][k] = g.task(_assembled, row[0], pieces, order, starts, 1, *then, key=key)
            for j in range(k + 1, nb):
                key = (name, i, j) if k == 0 else None
                w[i][j] = g.task(
                    _swapped, row[j - k], row[0], order, starts[j - k], 1, *then, key=key
                )
    graph = HighLevelGraph.from_collections(name, g.dsk, dependencies=[x])  # type: ignore[list-item]
    out = da.Array(graph, name, chunks=(rows, rows), meta=_meta(2, result_t))
    info_name = "matinv-blocked-info-" + token
    info_layer: dict[Key, object] = {(info_name,): (operator.getitem, [info], 0)}  # same value
    graph = HighLevelGraph.from_collections(
        info_name,
        info_layer,
        dependencies=[out],  # type: ignore[list-item]
    )
    return out, da.Array(graph, info_name, chunks=(), meta=_meta(0, np.int32))


def _blocked_rcond(x: da.Array, out: da.Array, info: da.Array) -> da.Array:
    """1 / (||A||_1 ||inv(A)||_1), capped at 1; 0 when singular (as `matinv.inv_ex`)."""
    norm_a = abs(x.astype(out.dtype)).sum(axis=0, dtype=np.float64).max()
    norm_x = abs(out).sum(axis=0, dtype=np.float64).max()
    return da.map_blocks(
        _rcond_from_norms, norm_a, norm_x, info, dtype=np.float64, meta=_meta(0, np.float64)
    )


def _rcond_from_norms(norm_a: np.float64, norm_x: np.float64, info: np.int32) -> np.float64:
    if info != 0:
        return np.float64(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.minimum(np.float64(1.0), 1.0 / (norm_a * norm_x))


class _Graph:
    """A task graph under construction: ``task`` adds a call of a block operation (with
    matinv on `threads` threads) and returns its key; arguments may be keys and lists of
    keys. Keys are named after the operation, so the dashboard shows what runs."""

    def __init__(self, token: str, threads: int) -> None:
        self.token = token
        self.threads = threads
        self.dsk: dict[Key, object] = {}

    def task(self, func: Callable[..., object], *args: object, key: Key | None = None) -> Key:
        key = key or (f"matinv{func.__name__}-{self.token}", len(self.dsk))
        self.dsk[key] = (_with_threads, self.threads, func, *args)
        return key

    def item(self, key: Key, i: int) -> Key:
        return self.task(operator.getitem, key, i)

    def sum_of_products(self, terms: Sequence[tuple[Key, Key, str | None]]) -> Key:
        """The sum of `_product(left, right, triangular)` over `terms`, summed in their
        order by a chain of tasks of one product each (one task taking them all would
        hold two block rows; two products per task ran within noise, 15.4 s against
        16.3 s, and would hold six blocks)."""
        total = None
        for left, right, triangular in terms:
            total = self.task(_add_product, total, left, right, triangular)
        assert total is not None
        return total

    def leaving(
        self, blocks: Sequence[Key], order: Key, starts: Sequence[int], axis: int
    ) -> list[Key]:
        """For a reordering `order` of consecutive `blocks` (along `axis`, counted from the
        first block's start, the pivot block: new index r is old index order[r]), the
        slices of each other block that move into the pivot block, one task each."""
        return [
            self.task(_leaving, block, order, start, starts[1], axis)
            for block, start in zip(blocks[1:], starts[1:])
        ]


def _with_threads(threads: int, func: Callable[..., _T], *args: object) -> _T:
    with matinv.threads(threads):
        return func(*args)


# Block operations, run on the workers. None modifies its inputs: Dask may hand the same
# block to several tasks.


def _to_compute(block: NDArray[Any], compute_t: DTypeLike) -> _Block:
    # No copy when it is one already: no task writes into its inputs.
    return np.ascontiguousarray(block, dtype=compute_t)


def _lower_left_product(b: _Block, lower: _Block) -> _Block:
    return _product(lower, b, "lower left")


def _schur_update(a_ij: _Block, l_ik: _Block, u_kj: _Block) -> _Block:
    product = l_ik @ u_kj
    return np.subtract(a_ij, product, out=product)  # (no second temporary)


def _add_product(
    total: _Block | None, left: _Block, right: _Block, triangular: str | None
) -> _Block:
    """total + left @ right (the first term of a sum when total is None)."""
    product = _product(left, right, triangular)
    if total is not None:
        np.add(total, product, out=product)  # (total first: NaN bits as total + product)
    return product


def _negated_product(a: _Block, b: _Block, triangular: str | None) -> _Block:
    product = _product(a, b, triangular)
    return np.negative(product, out=product)


# Triangular factors are split in halves down to blocks of this order: at 2000 x 2000 on
# one thread (AMD EPYC Zen 4) an upper-left product took 0.17 s in 250-row leaves, 0.19 s
# in 500, 0.29 s as one product.
_TRIANGLE_LEAF = 256


def _product(left: _Block, right: _Block, triangular: str | None = None) -> _Block:
    """left @ right. `triangular` ("upper left", "lower left", "upper right" or "lower
    right") says which factor is triangular and which half of it is zero: its zero
    blocks are skipped, down to `_TRIANGLE_LEAF` rows (numpy has no trmm). Beside the
    result, the task holds at most half a block more while it runs."""
    out = np.empty((left.shape[0], right.shape[1]), dtype=np.result_type(left, right))
    if triangular is None:
        return np.matmul(left, right, out=out)
    side, at_left = triangular.split()
    if at_left == "left":
        _triangular_left(left, right, out, side == "upper")
    else:
        _triangular_right(left, right, out, side == "upper")
    return out


def _triangular_left(t: _Block, b: _Block, out: _Block, upper: bool) -> None:
    """out = t @ b for t triangular, by halves: [[T11, T12], [0, T22]] (upper) or
    [[T11, 0], [T21, T22]] (lower)."""
    n = t.shape[0]
    if n <= _TRIANGLE_LEAF:
        np.matmul(t, b, out=out)
        return
    h = n // 2
    _triangular_left(t[:h, :h], b[:h], out[:h], upper)
    _triangular_left(t[h:, h:], b[h:], out[h:], upper)
    if upper:
        out[:h] += t[:h, h:] @ b[h:]
    else:
        out[h:] += t[h:, :h] @ b[:h]


def _triangular_right(b: _Block, t: _Block, out: _Block, upper: bool) -> None:
    """out = b @ t for t triangular, by halves as `_triangular_left`."""
    n = t.shape[0]
    if n <= _TRIANGLE_LEAF:
        np.matmul(b, t, out=out)
        return
    h = n // 2
    _triangular_right(b[:, :h], t[:h, :h], out[:, :h], upper)
    _triangular_right(b[:, h:], t[h:, h:], out[:, h:], upper)
    if upper:
        out[:, h:] += b[:, :h] @ t[:h, h:]
    else:
        out[:, :h] += b[:, h:] @ t[h:, :h]


def _factor_panel(
    blocks: Sequence[_Block], column: int, raise_singular: bool
) -> tuple[_Block | _Perm | int, ...]:
    """LU with partial pivoting of one block column (the diagonal block and everything
    below it), gathered into one task so that pivots are chosen among all its rows, as
    LAPACK's getrf does. Returns the factored blocks, then the row order (new row r is old
    row perm[r]) and the global 1-based column of the first exact zero pivot, or 0."""
    panel = np.concatenate(blocks, axis=0)
    perm, zero_pivot = lu_in_place(panel)  # (matinv's, without the GIL)
    info = column + zero_pivot if zero_pivot else 0
    if info and raise_singular:
        raise LinAlgError("Singular matrix")
    # Each block its own array (views of the panel would keep all of it alive until the
    # last one is released, so spilling one would free nothing), copied from the bottom
    # while the panel shrinks: beside its inputs (which Dask holds until it returns), the
    # task holds the panel and one block at most.
    # A resize numpy refuses (another reference to the panel: Dask's profiler may hold
    # this frame) only leaves the panel whole a little longer.
    factored: list[_Block] = []
    end = panel.shape[0]
    for block in reversed(blocks):
        start = end - block.shape[0]
        factored.append(panel[start:end].copy())
        end = start
        with contextlib.suppress(ValueError):
            panel.resize((end, panel.shape[1]))
    return (*reversed(factored), perm, info)


def _inv_unit_lower(lu: _Block) -> _Block:
    lower = np.tril(lu, -1)
    lower += 0.0  # (-0.0 to +0.0, as adding the identity did)
    np.fill_diagonal(lower, 1.0)
    # inv_ex, not inv: a diagonal block of L may be ill-conditioned where A is not, and
    # the caller's errstate (in force when the task runs in its context) is about A.
    return matinv.inv_ex(lower, assume_a="lower triangular").inv


def _inv_upper(lu: _Block) -> _Block:
    # Reads the upper triangle only. inv_ex: a zero pivot (recorded by its panel) gives
    # NaN here instead of an error.
    return matinv.inv_ex(lu, assume_a="upper triangular").inv


def _inverse_permutation(perm: _Perm) -> _Perm:
    inverse = np.empty_like(perm)
    inverse[perm] = np.arange(len(perm))
    return inverse


def _leaving(block: _Block, order: _Perm, start: int, pivot_size: int, axis: int) -> _Block:
    """The slices of `block` (from `start` along `axis`) that `order` moves into the pivot
    block (its first `pivot_size` indices), in their new order."""
    wanted = order[:pivot_size] - start
    return block.take(wanted[(wanted >= 0) & (wanted < block.shape[axis])], axis=axis)


def _swapped(
    block: _Block, pivot: _Block, order: _Perm, start: int, axis: int, *then: Any
) -> _Block:
    """A non-pivot block (from `start` along `axis`) after the reordering `order`, then
    ``then[0](new, *then[1:])`` if given (which must not modify `new`: it may be `block`
    itself). Partial pivoting only exchanges slices between the pivot block and another,
    so a slice either stays where it is or comes from the pivot block; anything else is a
    bug, raised."""
    size = block.shape[axis]
    source = order[start : start + size]
    moved = source != np.arange(start, start + size)
    if np.any(source[moved] >= pivot.shape[axis]):
        raise RuntimeError("matinv.dask: a pivot exchange between two non-pivot blocks")
    new = block
    if moved.any():  # (a copy, then the few new slices: faster than gathering all)
        new = block.copy()
        _put(new, moved, pivot.take(source[moved], axis=axis), axis)
    return then[0](new, *then[1:]) if then else new


def _assembled(
    pivot: _Block, pieces: Sequence[_Block], order: _Perm, starts: Sequence[int], axis: int,
    *then: Any,
) -> _Block:  # fmt: skip
    """The pivot block after the reordering `order`: its own slices and the `pieces` that
    `_leaving` took from the blocks from starts[1:], then ``then[0](new, *then[1:])``."""
    size = pivot.shape[axis]
    wanted = order[:size]
    new = np.empty_like(pivot)
    own = wanted < size
    _put(new, own, pivot.take(wanted[own], axis=axis), axis)
    ends = [*starts[2:], np.inf]
    for piece, start, end in zip(pieces, starts[1:], ends):
        _put(new, (wanted >= start) & (wanted < end), piece, axis)
    return then[0](new, *then[1:]) if then else new


def _put(target: _Block, where: NDArray[np.bool_], values: _Block, axis: int) -> None:
    if axis == 0:
        target[where] = values
    else:
        target[:, where] = values


def _first_zero_pivot(infos: Sequence[int]) -> np.int32:
    found = [i for i in infos if i]
    return np.int32(min(found) if found else 0)


def _finish(block: _Block, info: int, result_t: np.dtype[Any]) -> _Block:
    """A block of inv(A) in the result dtype; NaN if A is singular, as inv_ex gives."""
    if info:
        return np.full(block.shape, np.nan, dtype=result_t)
    return block.astype(result_t, copy=False)
