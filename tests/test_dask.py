"""``matinv.dask`` on a real ``dask.distributed`` cluster: two worker processes on this
machine, started once for the module.

Stacks must equal ``matinv.inv`` bit for bit (the same kernels run on the workers); the
blocked inverse of one large matrix must pass LAPACK's criterion (as in test_accuracy.py)
for condition numbers up to 1e8, whatever the chunking.
"""

import os
import signal
import warnings

import numpy as np
import pytest

import matinv

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
import dask  # noqa: E402
from dask.callbacks import Callback  # noqa: E402
from dask.sizeof import sizeof  # noqa: E402

import matinv.dask as mdask  # noqa: E402

THRESHOLD = 30.0  # LAPACK's criterion, as in test_accuracy.py


@pytest.fixture(scope="module")
def client():
    # One thread per worker process, as the README recommends; no dashboard (needs bokeh).
    # The tests put their input matrices into the graph on purpose (up to 128 MiB for
    # 4096 x 4096), which distributed warns about above 10 MB; pytest makes warnings errors.
    config = {"distributed.admin.large-graph-warning-threshold": "1GiB"}
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with dask.config.set(config), cluster, distributed.Client(cluster) as client:
        yield client


def lapack_ratio(a, x):
    """||I - X A||_1 / (n ||A||_1 ||X||_1 eps), computed in double precision, with the
    eps of the result's dtype (X is rounded to it)."""
    eps = np.finfo(x.dtype).eps
    a = a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)
    x = x.astype(a.dtype)
    n = a.shape[0]
    r = np.eye(n) - x @ a
    return np.linalg.norm(r, 1) / (n * np.linalg.norm(a, 1) * np.linalg.norm(x, 1) * eps)


def reflect(rng, a, side):
    """a times a random Householder reflector (an O(n^2) way to mix rows or columns
    without changing singular values)."""
    n = a.shape[0]
    v = rng.standard_normal(n)
    v /= np.linalg.norm(v)
    if side == "left":
        return a - 2 * np.outer(v, v @ a)
    return a - 2 * np.outer(a @ v, v)


def with_condition(rng, n, cond):
    """A dense matrix with singular values geometric from 1 to 1/cond: U diag(s) V^T with
    U, V products of reflectors and a random row permutation (so that LU has to pivot)."""
    s = cond ** (-np.arange(n) / (n - 1))
    a = np.diag(s)[rng.permutation(n)]
    for side in ("left", "right", "left", "right", "left", "right"):
        a = reflect(rng, a, side)
    return a


# ---- dispatch, laziness, packaging ---------------------------------------------------


def test_results_are_lazy_dask_arrays():
    x = da.ones((10, 3, 3), chunks=(5, 3, 3)) + da.eye(3)
    assert isinstance(mdask.inv(x), da.Array)
    big = da.eye(8, chunks=4)
    assert isinstance(mdask.inv(big), da.Array)
    assert mdask.inv(big).chunks == ((4, 4), (4, 4))
    res = mdask.inv_ex(x)
    assert isinstance(res, matinv.InvExResult)
    assert [r.dtype for r in res] == [np.float64, np.int32, np.float64]
    assert [r.shape for r in res] == [(10, 3, 3), (10,), (10,)]


def test_extended_precision_per_task():
    # A stack and one matrix chunked along its last axes (inverted whole, not blockwise):
    # matinv.inv's extended bits; inv_ex too; and an unknown precision refused at once.
    rng = np.random.default_rng(9)
    h = np.array([[1 / (i + j + 1) for j in range(10)] for i in range(10)])
    stack = np.stack([h, with_condition(rng, 10, 1e12), np.eye(10)])
    x = mdask.inv(da.from_array(stack, chunks=(2, 10, 10)), precision="extended").compute()
    np.testing.assert_array_equal(x, matinv.inv(stack, precision="extended"))
    one = mdask.inv(da.from_array(h, chunks=5), precision="extended")
    np.testing.assert_array_equal(one.compute(), matinv.inv(h, precision="extended"))
    xe, info, _ = mdask.inv_ex(da.from_array(stack, chunks=(1, 10, 10)), precision="extended")
    np.testing.assert_array_equal(xe.compute(), x)
    assert info.compute().tolist() == [0, 0, 0]
    np.testing.assert_array_equal(
        matinv.inv(da.from_array(stack), precision="extended").compute(), x
    )
    with pytest.raises(ValueError, match="precision must be one of"):
        mdask.inv(da.from_array(h), precision="quad")  # type: ignore[arg-type]
    # longdouble, computed in double-double whatever precision says: a chunked matrix is
    # inverted whole (the blocked path's arithmetic is numpy's float64).
    ld = h.astype(np.longdouble) + np.longdouble(1) / 3
    got = mdask.inv(da.from_array(ld, chunks=5)).compute()
    np.testing.assert_array_equal(got, matinv.inv(ld))


@pytest.mark.parametrize(
    "shape, dtype, exc, message",
    [
        (
            (3,),
            np.float64,
            np.linalg.LinAlgError,
            "1-dimensional array given. Array must be at least two-dimensional",
        ),
        (
            (),
            np.float64,
            np.linalg.LinAlgError,
            "0-dimensional array given. Array must be at least two-dimensional",
        ),
        (
            (4, 3, 2),
            np.float64,
            np.linalg.LinAlgError,
            "Last 2 dimensions of the array must be square",
        ),
        (
            (8, 6),
            np.float64,
            np.linalg.LinAlgError,
            "Last 2 dimensions of the array must be square",
        ),
        (
            (3, 3),
            np.dtype("U3"),
            TypeError,
            "Cannot cast ufunc 'inv' input from dtype('<U3') to dtype('float64') with casting "
            "rule 'same_kind'",
        ),
        (
            (2, 3),
            np.float16,
            np.linalg.LinAlgError,  # shape before dtype, as numpy
            "Last 2 dimensions of the array must be square",
        ),
    ],
)
@pytest.mark.parametrize("func", [mdask.inv, mdask.inv_ex], ids=["inv", "inv_ex"])
def test_errors_are_raised_eagerly_with_numpy_messages(func, shape, dtype, exc, message):
    x = da.zeros(shape, dtype=dtype, chunks=2)
    with pytest.raises(exc) as numpy_error:
        np.linalg.inv(np.zeros(shape, dtype=dtype))
    assert str(numpy_error.value) == message
    with pytest.raises(exc) as ours:
        func(x)
    assert type(ours.value) is type(numpy_error.value)
    assert str(ours.value) == message


def test_array_likes_are_accepted():
    assert np.array_equal(mdask.inv([[2.0, 0.0], [0.0, 4.0]]).compute(), [[0.5, 0], [0, 0.25]])


# ---- stacks --------------------------------------------------------------------------


def test_million_3x3_in_chunks_equals_matinv(client):
    rng = da.random.default_rng(42)
    x = rng.standard_normal((10**6, 3, 3), chunks=(125_000, 3, 3))
    x, y = dask.compute(x, mdask.inv(x))
    assert y.dtype == np.float64 and y.shape == x.shape
    assert np.array_equal(y, matinv.inv(x))  # same kernels: bit for bit
    ref = np.linalg.inv(x[::97])
    assert np.allclose(y[::97], ref, rtol=1e-8, atol=1e-8 * np.abs(ref).max())


@pytest.mark.parametrize(
    "dtype", [np.float32, np.float64, np.complex64, np.complex128, np.int64, np.bool_]
)
def test_stack_dtypes(client, dtype):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((1000, 5, 5)) * 4
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(a.shape)
    if dtype is np.bool_:
        a = np.broadcast_to(np.eye(5), a.shape) + 0 * a
    a = (a + 10 * np.eye(5)).astype(dtype)
    # chunked across the matrices too: rechunked to whole matrices
    y = mdask.inv(da.from_array(a, chunks=(300, 2, 3)))
    assert y.dtype == np.linalg.inv(a[:1]).dtype
    out = y.compute()
    assert out.dtype == y.dtype
    assert np.array_equal(out, matinv.inv(a))


def test_stack_of_larger_matrices_chunked_in_the_last_axes(client):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((6, 4, 70, 70))
    x = da.from_array(a, chunks=(2, 4, 30, 40))
    y = mdask.inv(x)
    assert y.chunks[2:] == ((70,), (70,))
    assert np.array_equal(y.compute(), matinv.inv(a))


def test_stack_singular_raises_at_compute(client):
    a = np.tile(np.eye(3), (100, 1, 1))
    a[57] = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]
    y = mdask.inv(da.from_array(a, chunks=(10, 3, 3)))  # no error yet: lazy
    with pytest.raises(np.linalg.LinAlgError, match="^Singular matrix$"):
        y.compute()


def test_stack_inv_ex(client):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((400, 4, 4))
    a[[5, 123, 399], :, 2] = 0.0  # singular: zero column 3
    x = da.from_array(a, chunks=(100, 4, 4))
    res = mdask.inv_ex(x)
    out, info, rcond = dask.compute(*res)
    ref = matinv.inv_ex(a)
    assert np.array_equal(out, ref.inv, equal_nan=True)
    assert np.array_equal(info, ref.info) and info.dtype == np.int32
    assert np.array_equal(rcond, ref.rcond) and rcond.dtype == np.float64
    assert list(np.flatnonzero(info)) == [5, 123, 399]
    assert np.isnan(out[123]).all()


def test_stack_inv_ex_runs_each_chunk_once(monkeypatch):
    calls = []
    kernel = mdask._inv_ex_chunk

    def counted(block, threads, **structure):
        calls.append(block.shape)
        return kernel(block, threads, **structure)

    monkeypatch.setattr(mdask, "_inv_ex_chunk", counted)
    x = da.from_array(np.tile(np.eye(3), (40, 1, 1)), chunks=(10, 3, 3))
    out, info, rcond = dask.compute(*mdask.inv_ex(x), scheduler="sync")
    assert calls == [(10, 3, 3)] * 4
    assert np.array_equal(out, np.tile(np.eye(3), (40, 1, 1))) and not info.any()


def test_errstate_is_carried_to_the_workers(client):
    a = np.array([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 0.0], [0.0, 2.0]]])
    with matinv.errstate(singular="nan"):
        y = mdask.inv(da.from_array(a, chunks=(1, 2, 2)))
    out = y.compute()  # computed outside the block: the state of the call counts
    assert np.isnan(out[0]).all() and np.array_equal(out[1], [[0.5, 0], [0, 0.5]])


# ---- one large matrix ----------------------------------------------------------------


def check_blocked(a, chunks, bound=THRESHOLD):
    x = da.from_array(a, chunks=chunks)
    y = mdask.inv(x)
    out = y.compute()
    assert out.dtype == np.linalg.inv(np.eye(1, dtype=a.dtype)).dtype
    ratio = lapack_ratio(a, out)
    assert ratio < bound, ratio
    return out, ratio


def test_4096_in_1024_blocks(client):
    x = da.random.default_rng(4).standard_normal((4096, 4096), chunks=1024)
    a, out = dask.compute(x, mdask.inv(x))  # the input made on the workers
    assert lapack_ratio(a, out) < THRESHOLD
    ref = matinv.inv(a)
    assert np.allclose(out, ref, rtol=1e-6, atol=1e-9 * np.abs(ref).max())


def test_4096_in_1024_blocks_condition_1e8(client):
    a = with_condition(np.random.default_rng(5), 4096, 1e8)
    check_blocked(a, 1024)


@pytest.mark.parametrize("cond", [1e2, 1e5, 1e8])
@pytest.mark.parametrize("n, chunks", [(512, 128), (1000, 300), (300, (100, 70))])
def test_blocked_accuracy(client, n, chunks, cond):
    a = with_condition(np.random.default_rng(int(cond) % 1000 + n), n, cond)
    check_blocked(a, chunks)


def test_blocked_needs_pivoting_across_blocks(client):
    # The leading block is zero: no scheme without pivoting across block rows survives.
    rng = np.random.default_rng(6)
    a = rng.standard_normal((400, 400))
    a[:100, :100] = 0.0
    check_blocked(a, 100)
    # And a permuted diagonal: every pivot sits in another block row.
    d = np.diag(rng.uniform(1, 2, 400))[rng.permutation(400)]
    out, _ = check_blocked(d, 128)
    assert np.allclose(out, np.linalg.inv(d), rtol=1e-14, atol=0)


def test_blocked_chunked_in_one_axis_only(client):
    a = np.random.default_rng(7).standard_normal((300, 300))
    out, _ = check_blocked(a, (100, 300))
    assert mdask.inv(da.from_array(a, chunks=(100, 300))).chunks == ((100,) * 3,) * 2


@pytest.mark.parametrize("dtype", [np.float32, np.complex64, np.complex128, np.int32])
def test_blocked_dtypes(client, dtype):
    rng = np.random.default_rng(8)
    a = rng.standard_normal((260, 260)) * 10
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(a.shape) * 10
    a = a.astype(dtype)
    out, _ = check_blocked(a, 100)
    ref = matinv.inv(a)
    assert out.dtype == ref.dtype
    tol = 1e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-10
    assert np.allclose(out, ref, rtol=tol, atol=tol * np.abs(ref).max())


def test_blocked_singular(client):
    rng = np.random.default_rng(9)
    a = rng.standard_normal((300, 300))
    a[:, 211] = 0.0  # an exact zero pivot in column 212, in the third block column
    x = da.from_array(a, chunks=100)
    with pytest.raises(np.linalg.LinAlgError, match="^Singular matrix$"):
        mdask.inv(x).compute()
    out, info, rcond = dask.compute(*mdask.inv_ex(x))
    assert info == matinv.inv_ex(a).info == 212 and info.dtype == np.int32
    assert rcond == 0.0 and np.isnan(out).all()
    with matinv.errstate(singular="nan"):
        y = mdask.inv(x)
    assert np.isnan(y.compute()).all()


def test_blocked_panel_held_elsewhere_still_factors(monkeypatch):
    # CI found it: numpy refuses to shrink the panel while anything else references it
    # (in a Dask worker, the profiler sampling the task's frame), and the task failed.
    held = []
    native = mdask.lu_in_place

    def holding(panel):
        held.append(panel)  # a second reference, as the profiler's
        return native(panel)

    monkeypatch.setattr(mdask, "lu_in_place", holding)
    a = np.random.default_rng(19).standard_normal((300, 300))
    out = mdask.inv(da.from_array(a, chunks=100)).compute(scheduler="sync")
    assert held and lapack_ratio(a, out) < THRESHOLD


def test_blocked_nan_is_never_a_pivot():
    # A column of zeros and one NaN: no pivot but zero (LAPACK's idamax never picks a
    # NaN), so the blocked inverse reports column 1 singular, as matinv.inv does.
    a = np.random.default_rng(17).standard_normal((6, 6))
    a[:, 0] = 0.0
    a[4, 0] = np.nan
    x = da.from_array(a, chunks=3)
    with pytest.raises(np.linalg.LinAlgError, match="^Singular matrix$"):
        mdask.inv(x).compute(scheduler="sync")
    info = mdask.inv_ex(x).info.compute(scheduler="sync")
    assert info == matinv.inv_ex(a).info == 1


def test_blocked_errstate_judges_the_matrix_not_its_blocks():
    # Wilkinson's growth matrix is well-conditioned (rcond 0.005) but its L has an
    # ill-conditioned diagonal block (rcond 1.6e-32): the inverse of that block, inside a
    # task run in the caller's context, once obeyed the caller's errstate, so that
    # inv_ex raised and inv warned about a matrix that was fine.
    n = 200
    a = np.eye(n) + np.tril(np.full((n, n), -1.0), -1)
    a[:, -1] = 1.0
    x = da.from_array(a, chunks=100)
    with matinv.errstate(ill_conditioned="raise"):
        out, info, rcond = dask.compute(*mdask.inv_ex(x), scheduler="sync")
        assert info == 0 and np.isclose(rcond, matinv.inv_ex(a).rcond, rtol=1e-6)
        assert lapack_ratio(a, mdask.inv(x).compute(scheduler="sync")) < THRESHOLD
    with matinv.errstate(ill_conditioned="warn"), warnings.catch_warnings():
        warnings.simplefilter("error")
        mdask.inv(x).compute(scheduler="sync")


def test_blocked_inv_ex_rcond(client):
    a = with_condition(np.random.default_rng(10), 300, 1e6)
    out, info, rcond = dask.compute(*mdask.inv_ex(da.from_array(a, chunks=100)))
    ref = matinv.inv_ex(a)
    assert info == 0 and lapack_ratio(a, out) < THRESHOLD
    assert np.isclose(rcond, ref.rcond, rtol=1e-6)


# ---- bounded memory: workers can spill ------------------------------------------------


class HeldPerTask(Callback):
    """Bytes each task of a synchronous run holds in Dask's hands at once: its inputs and
    its output (what a worker must keep in memory while the task runs)."""

    def __init__(self):
        super().__init__()
        self.held = {}

    def _pretask(self, key, dsk, state):
        self.inputs = sum(sizeof(state["cache"][d]) for d in state["dependencies"][key])

    def _posttask(self, key, result, dsk, state, id):
        name = key[0] if isinstance(key, tuple) else key
        self.held.setdefault(name.rsplit("-", 1)[0], []).append(self.inputs + sizeof(result))


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_blocked_tasks_hold_a_bounded_number_of_blocks(dtype):
    # docs/dask.md: every task holds at most five blocks (inputs and output), except the
    # panel's, which holds its block column twice; none holds a block row or column
    # otherwise (the row permutation and the sums once did: two block rows per task).
    rng = np.random.default_rng(12)
    a = rng.standard_normal((750, 750)).astype(dtype)
    x = da.from_array(a, chunks=100)  # 8 x 8 blocks, the last ones 50 wide
    with HeldPerTask() as tasks:
        out = mdask.inv(x).compute(scheduler="sync")
    assert lapack_ratio(a, out) < THRESHOLD
    block = 100 * 100 * np.dtype(dtype).itemsize
    panel = max(tasks.held.pop("matinv_factor_panel"))
    assert (
        2 * 750 * 100 * np.dtype(dtype).itemsize
        <= panel
        < 2.1 * 750 * 100 * np.dtype(dtype).itemsize
    )
    tasks.held.pop("matinvgetitem")  # (picks a block of the panel's result: no copy)
    tasks.held.pop("finalize-hlgfinalizecompute", None)  # (the client's concatenation)
    assert "matinv_swapped" in tasks.held and "matinv_add_product" in tasks.held
    worst = {name: max(held) / block for name, held in tasks.held.items()}
    assert max(worst.values()) <= 5.1, worst


@pytest.mark.parametrize("triangular", ["upper left", "lower left", "upper right", "lower right"])
@pytest.mark.parametrize("n", [5, 513, 700])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_triangular_block_product(triangular, n, dtype):
    # Products with the triangular diagonal blocks of inv(U) and inv(L) split the
    # triangle in halves (down to 256 rows) and skip the zero blocks: the result is the
    # full product's (to rounding), whichever triangle and side, odd sizes included.
    rng = np.random.default_rng(n)
    shape = (n, 300) if "left" in triangular else (300, n)
    t, other = rng.standard_normal((n, n)), rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        t = t + 1j * rng.standard_normal(t.shape)
        other = other + 1j * rng.standard_normal(shape)
    zero_half = np.tril(np.ones((n, n), bool), -1)
    if triangular.startswith("lower"):
        zero_half = zero_half.T
    t[zero_half] = 0.0
    ref = t @ other if "left" in triangular else other @ t
    if "left" in triangular:
        out = mdask._product(t, other, triangular)
    else:
        out = mdask._product(other, t, triangular)
    assert out.dtype == ref.dtype and out.flags.c_contiguous
    assert np.allclose(out, ref, rtol=1e-13, atol=1e-13 * np.abs(ref).max())


def test_blocked_exchange_refuses_a_swap_between_non_pivot_blocks():
    # Partial pivoting only swaps rows of the pivot block (the first) with other rows;
    # an order moving a row between two other blocks would be a bug, and is refused.
    block = np.arange(6.0).reshape(3, 2)
    pivot = np.zeros((3, 2))
    order = np.array([0, 1, 2, 7, 4, 5, 6, 3, 8])  # rows 3 and 7 swapped, pivot rows 0-2
    with pytest.raises(RuntimeError, match="between two non-pivot blocks"):
        mdask._swapped(block, pivot, order, 3, 0)
    # A legal order: rows 3 and 0 swapped (the pivot block's row 0 comes down).
    assert np.array_equal(mdask._swapped(block, pivot, np.array([3, 1, 2, 0, 4, 5]), 3, 0),
                          [[0, 0], [2, 3], [4, 5]])  # fmt: skip


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads VmHWM (Linux)")
def test_blocked_inverse_spills_instead_of_dying(tmp_path):
    # The matrix (512 MiB) is larger than a worker's memory limit and the input plus the
    # result exceed the whole cluster's: Dask must spill blocks to disk, which only works
    # when every task holds a few blocks. (An end-to-end check: at this size the old
    # tasks of whole block columns still fit; the regression test of the bound is
    # test_blocked_tasks_hold_a_bounded_number_of_blocks. bench/bench_dask_cluster.py
    # runs the 1.15 GB case that made the old ones fail.)
    def peak_rss():
        """The worker's peak resident memory in bytes (VmHWM: ru_maxrss would include the
        peak of the process that started it, which it keeps across exec)."""
        with open("/proc/self/status") as status:
            kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
        return int(kib) * 1024

    limit = 500 * 2**20
    n, b = 8192, 683
    config = {"distributed.admin.large-graph-warning-threshold": "1GiB"}
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # (any free port: the module's cluster holds 8787)
        memory_limit=limit,
        local_directory=str(tmp_path),
    )
    with dask.config.set(config), cluster, distributed.Client(cluster) as client:
        pids = client.run(os.getpid)
        x = da.random.default_rng(13).standard_normal((n, n), chunks=b).persist()
        y = mdask.inv(x).persist()
        distributed.wait(y, timeout=900)  # (a worker paused for good would hang here)
        cols = np.arange(0, n, n // 8)
        r, norm_a, norm_x = dask.compute(
            x @ y[:, cols] - np.eye(n)[:, cols],
            abs(x).sum(axis=0).max(),
            abs(y[:, cols]).sum(axis=0).max(),
        )
        assert client.run(os.getpid) == pids, "a worker was restarted"
        spills = client.run(lambda dask_worker: dask_worker.data.cumulative_metrics)
        peaks = client.run(peak_rss)  # (nested: pickled by value, like die_once below)
    eps = np.finfo(np.float64).eps
    ratio = np.abs(r).sum(axis=0).max() / (n * norm_a * norm_x * eps)
    assert ratio < THRESHOLD, ratio
    assert sum(m.get(("disk-write", "count"), 0) for m in spills.values()) > 0  # it spilled
    assert max(peaks.values()) < limit, peaks


# ---- a worker dies mid-run -----------------------------------------------------------


@pytest.mark.parametrize("case", ["stack", "blocked"])
def test_worker_killed_mid_run(client, tmp_path, case):
    rng = np.random.default_rng(11)
    if case == "stack":
        a = rng.standard_normal((20_000, 3, 3))
        x = da.from_array(a, chunks=(2_000, 3, 3))
        expected = matinv.inv(a)
    else:
        a = rng.standard_normal((400, 400))
        x = da.from_array(a, chunks=100)
        expected = None
    marker = str(tmp_path / "killed")

    # Nested, so that it is pickled by value (workers cannot import this test module).
    def die_once(block, block_id=None):
        """Kill this worker process the first time the task on block row 3 runs (the
        marker file says whether it has); Dask recomputes what that worker held."""
        if block_id[0] != 3:
            return block
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return block
        os.kill(os.getpid(), signal.SIGKILL)

    # Downstream of the inverses, so that some already exist on the worker that dies.
    z = mdask.inv(x).map_blocks(die_once, dtype=x.dtype)
    out = z.compute()
    assert os.path.exists(marker)  # the worker really died
    if expected is not None:
        assert np.array_equal(out, expected)
    else:
        assert lapack_ratio(a, out) < THRESHOLD
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it for the next tests


def test_worker_killed_inside_the_blocked_inverse(client, tmp_path):
    # Killed as it starts a row-swap-and-Schur-update task, in the middle of the
    # factorization: Dask recomputes what the dead worker held (inputs, factors, pieces
    # sent to pivot blocks) and the result is still an inverse.
    marker = str(tmp_path / "killed")

    class KillOnce(distributed.WorkerPlugin):  # nested: pickled by value
        name = "matinv-test-kill-once"

        def transition(self, key, start, finish, **kwargs):
            if finish != "executing" or "matinv_swapped" not in str(key):
                return
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                return
            os.kill(os.getpid(), signal.SIGKILL)

    a = with_condition(np.random.default_rng(18), 400, 1e4)
    client.register_plugin(KillOnce())
    try:
        out = mdask.inv(da.from_array(a, chunks=100)).compute()
    finally:
        client.unregister_worker_plugin(KillOnce.name)
    assert os.path.exists(marker)  # the worker really died, mid-graph
    assert lapack_ratio(a, out) < THRESHOLD
    client.wait_for_workers(2, timeout=60)
