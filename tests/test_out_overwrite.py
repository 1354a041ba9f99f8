"""``out=`` of `inv` / `inv_ex`, and ``overwrite_a`` of `inv`: results as without them,
bad outputs refused before anything is written, the memory ``overwrite_a`` saves."""

import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import matinv
from matinv import _matinv

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
# Orders that reach every kernel: closed forms (1-4), lanes (5-16), Gauss-Jordan (17-96; three
# steps per pass from 65), unblocked complex (up to 32), blocked (97 on real, 33 complex; 100
# on one thread, 500 with threads inside).
ORDERS = [1, 2, 3, 4, 5, 8, 9, 17, 33, 64, 65, 97, 100]
MATRIX_WARNING = "ignore:the matrix subclass is not the recommended way:PendingDeprecationWarning"


def matrices(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    n = shape[-1]
    return (a + n * np.eye(n)).astype(dtype)


def singular_stack(dtype):
    a = matrices((3, 4, 4), dtype)
    a[1, :, 2] = 0  # second matrix: a zero column (an exact zero pivot in column 3)
    return a


# ---------------------------------------------------------------------------------------
# out=
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 3), (4, 2, 2), (2, 3, 7, 7), (0, 3, 3), (2, 0, 0), (70, 70)])
def test_out_holds_the_result_and_is_returned(dtype, shape):
    a = matrices(shape, dtype)
    expected = matinv.inv(a)
    out = np.full(shape, 7, dtype=dtype)
    got = matinv.inv(a, out=out)
    assert got is out
    np.testing.assert_array_equal(out, expected)
    if a.size:
        np.testing.assert_allclose(
            out, np.linalg.inv(a), rtol=1e-3 if dtype in (np.float32, np.complex64) else 1e-10
        )
    ex_out = np.full(shape, 7, dtype=dtype)
    res = matinv.inv_ex(a, out=ex_out)
    assert res.inv is ex_out
    np.testing.assert_array_equal(ex_out, expected)
    assert res.info.shape == shape[:-2] and not res.info.any()


def test_out_with_converted_broadcast_and_strided_inputs():
    base = np.array([[4, 1], [2, 3]])
    cases = [
        base,  # int64 -> float64
        np.broadcast_to(base.astype(float), (5, 2, 2)),  # zero strides
        matrices((4, 6, 6), np.float64)[:, ::2, ::2],  # strided
        matrices((3, 3), np.float64).T,  # Fortran order
        matrices((3, 3), np.float64).astype(">f8"),  # non-native byte order
    ]
    for a in cases:
        expected = matinv.inv(a)
        out = np.empty(expected.shape, dtype=expected.dtype)
        assert matinv.inv(a, out=out) is out
        np.testing.assert_array_equal(out, expected)
        np.testing.assert_allclose(out, np.linalg.inv(a))


def test_out_with_every_assume_a():
    a = matrices((3, 5, 5), np.float64)
    spd = a @ np.swapaxes(a, -1, -2)
    for name in [
        "general",
        "gen",
        "diagonal",
        "upper triangular",
        "lower triangular",
        "pos",
        "sym",
        "her",
        "auto",
    ]:
        x = spd if name in ("pos", "sym", "her") else a
        for lower in (False, True):
            expected = matinv.inv(x, assume_a=name, lower=lower)
            out = np.empty_like(expected)
            assert matinv.inv(x, assume_a=name, lower=lower, out=out) is out
            np.testing.assert_array_equal(out, expected)
            ex_out = np.empty_like(expected)
            assert matinv.inv_ex(x, assume_a=name, lower=lower, out=ex_out).inv is ex_out
            np.testing.assert_array_equal(ex_out, expected)


@pytest.mark.filterwarnings(MATRIX_WARNING)
def test_out_for_a_subclass_input_and_a_subclass_out():
    m = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    expected = np.linalg.inv(m)
    assert type(matinv.inv(m)) is np.matrix
    # As numpy's ufuncs: `out` itself comes back, of its own class.
    plain = np.empty((2, 2))
    got = matinv.inv(m, out=plain)
    assert got is plain and type(got) is np.ndarray
    np.testing.assert_allclose(got, expected)
    as_matrix = np.matrix(np.zeros((2, 2)))
    got = matinv.inv(np.asarray(m), out=as_matrix)
    assert got is as_matrix
    np.testing.assert_allclose(got, expected)


def test_out_under_errstate():
    a = singular_stack(np.float64)
    out = np.empty_like(a)
    with pytest.raises(np.linalg.LinAlgError, match="^Singular matrix$"):
        matinv.inv(a, out=out)
    with matinv.errstate(singular="nan"):
        assert matinv.inv(a, out=out) is out
        np.testing.assert_array_equal(out, matinv.inv(a))
    assert np.isnan(out[1]).all() and np.isfinite(out[[0, 2]]).all()
    with matinv.errstate(singular="warn"), pytest.warns(matinv.LinAlgWarning, match="index 1"):
        assert matinv.inv(a, out=out) is out
    res = matinv.inv_ex(a, out=out)
    assert res.inv is out and list(res.info) == [0, 3, 0]
    good = matrices((2, 3, 3), np.float64)
    with matinv.errstate(ill_conditioned="warn"):
        np.testing.assert_array_equal(matinv.inv(good, out=np.empty_like(good)), matinv.inv(good))


def _bad_outs():
    a = matrices((2, 3, 3), np.float64)
    readonly = np.empty_like(a)
    readonly.flags.writeable = False
    unaligned = (
        np.frombuffer(np.zeros(a.nbytes + 1, np.uint8).data, np.uint8, a.nbytes, 1)
        .view(np.float64)
        .reshape(a.shape)
    )
    assert not unaligned.flags.aligned
    buf = np.zeros(a.size + 3)
    shifted = (buf[: a.size].reshape(a.shape), buf[3:].reshape(a.shape))
    shifted[0][...] = a
    int_a = np.arange(8).reshape(2, 2, 2) % 3 + np.eye(2, dtype=np.int64) * 4
    return a, [
        (a, [[0.0] * 3] * 3, TypeError, "return arrays must be of ArrayType"),
        (a, None.__class__, TypeError, "return arrays must be of ArrayType"),
        (
            a,
            np.empty(a.shape, np.float32),
            TypeError,
            r"Cannot cast ufunc 'inv' output from dtype\('float64'\) to dtype\('float32'\) "
            r"with casting rule 'no'",
        ),
        (a.astype(np.float32), np.empty(a.shape), TypeError, "Cannot cast ufunc 'inv' output"),
        (a, np.empty(a.shape, ">f8"), TypeError, "Cannot cast ufunc 'inv' output"),
        (a, np.empty(a.shape, np.complex128), TypeError, "Cannot cast ufunc 'inv' output"),
        (
            a,
            np.empty((3, 3)),
            ValueError,
            r"output operand with shape \(3, 3\) doesn't match the result shape \(2, 3, 3\)",
        ),
        (a, np.empty((1, 3, 3)), ValueError, "doesn't match the result shape"),
        (a, np.empty((2, 3, 3), order="F"), ValueError, "out must be C-contiguous and aligned"),
        (a, np.empty((2, 3, 6))[..., ::2], ValueError, "out must be C-contiguous and aligned"),
        (a, unaligned, ValueError, "out must be C-contiguous and aligned"),
        (a, readonly, ValueError, "output array is read-only"),
        (a, a, ValueError, "out shares memory with the input"),
        (a, a, ValueError, "out shares memory with the input"),
        (shifted[0], shifted[1], ValueError, "out shares memory with the input"),
        (int_a, int_a.view(np.float64), ValueError, "out shares memory with the input"),
    ]


@pytest.mark.parametrize("case", range(len(_bad_outs()[1])))
@pytest.mark.parametrize("func", ["inv", "inv_ex"])
def test_bad_out_is_refused_before_anything_is_written(case, func):
    a, out, error, match = _bad_outs()[1][case]
    if out is None.__class__:
        out = 3.0
    a_before = a.copy()
    out_before = out.copy() if isinstance(out, np.ndarray) else None
    match = match.replace("'inv'", f"'{func}'").replace("^inv", func)
    with pytest.raises(error, match=match):
        getattr(matinv, func)(a, out=out)
    np.testing.assert_array_equal(a, a_before)
    if out_before is not None:
        np.testing.assert_array_equal(out, out_before)


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.longdouble])
@pytest.mark.parametrize("func", ["inv", "inv_ex"])
def test_every_dtype_gets_one_verdict_on_a_bad_out(dtype, func):
    # One function checks out= for every dtype: the native inverse's own out, and the out
    # of the dtypes numpy writes (float16, longdouble), in the same words.
    # `a` and a C-contiguous array overlapping its last 15 elements, in one buffer.
    buf = np.empty(18 + 3, dtype)
    a, overlapping = buf[:18].reshape(2, 3, 3), buf[3:].reshape(2, 3, 3)
    a[...] = matrices((2, 3, 3), np.float64)
    readonly = np.empty_like(a)
    readonly.flags.writeable = False
    raw = np.zeros(a.nbytes + 1, np.uint8)
    unaligned = np.ndarray(a.shape, dtype=a.dtype, buffer=raw, offset=1)
    layout = f"^{func}: out must be C-contiguous and aligned"
    shares = f"^{func}: out shares memory with the input$"
    cases = [
        ([[0.0] * 3] * 3, TypeError, "^return arrays must be of ArrayType$"),
        (
            np.empty(a.shape, np.float32),
            TypeError,
            f"^Cannot cast ufunc '{func}' output from {re.escape(repr(a.dtype))} to "
            r"dtype\('float32'\) with casting rule 'no'$",
        ),
        (
            np.empty((3, 3), a.dtype),
            ValueError,
            r"^output operand with shape \(3, 3\) doesn't match the result shape \(2, 3, 3\)$",
        ),
        (readonly, ValueError, "^output array is read-only$"),
        (np.empty(a.shape, a.dtype, order="F"), ValueError, layout),
        (unaligned, ValueError, layout),
        (a, ValueError, shares),
        (overlapping, ValueError, shares),
    ]
    for out, error, match in cases:
        a_before = a.copy()
        with pytest.raises(error, match=match):
            getattr(matinv, func)(a, out=out)
        np.testing.assert_array_equal(a, a_before)


def test_a_bad_out_is_refused_before_the_status_arrays_are_allocated():
    # The review's case: a stack of 10^12 empty matrices needs 4 TB of status (int32 info
    # per matrix); the bad `out` must be what is reported, as numpy checks outputs first.
    a = np.empty((10**12, 0, 0))
    with pytest.raises(TypeError, match="^return arrays must be of ArrayType$"):
        matinv.inv_ex(a, out=[1])
    with matinv.errstate(singular="warn"):
        with pytest.raises(TypeError, match="^return arrays must be of ArrayType$"):
            matinv.inv(a, out=[1])


def test_out_errors_come_after_numpys_shape_and_dtype_errors():
    with pytest.raises(np.linalg.LinAlgError, match="must be square"):
        matinv.inv(np.ones((2, 3)), out=[1])
    with pytest.raises(TypeError, match="Cannot cast ufunc 'inv' input"):
        matinv.inv(np.full((2, 2), "1", dtype="U3"), out=np.empty((2, 2)))
    # float16 (which matinv inverts, numpy refuses): out must be float16 too.
    with pytest.raises(TypeError, match="output from dtype\\('float16'\\)"):
        matinv.inv(np.ones((2, 2), np.float16), out=np.empty((2, 2)))


def test_out_is_refused_for_types_that_override_numpy():
    class Duck:
        def __array_function__(self, func, types, args, kwargs):
            return "numpy's"

    with pytest.raises(TypeError, match="out= is not supported for"):
        matinv.inv(Duck(), out=np.empty((2, 2)))
    assert matinv.inv(Duck()) == "numpy's"


def test_out_is_refused_for_dask_arrays():
    da = pytest.importorskip("dask.array")
    x = da.from_array(matrices((4, 3, 3), np.float64), chunks=(2, 3, 3))
    for func in (matinv.inv, matinv.inv_ex):
        with pytest.raises(TypeError, match="out= is not supported for dask"):
            func(x, out=np.empty((4, 3, 3)))


def test_out_keeps_every_inverse_when_ill_conditioned_raises():
    a = matrices((3, 3, 3), np.float64)
    a[2] = [[1.0, 1.0, 0.0], [1.0, 1.0 + 1e-16 * 4, 0.0], [0.0, 0.0, 1.0]]
    expected = matinv.inv_ex(a)
    assert expected.info[2] == 0 and expected.rcond[2] < 2.2e-16
    out = np.zeros_like(a)
    with matinv.errstate(ill_conditioned="raise"):
        with pytest.raises(np.linalg.LinAlgError, match="Ill-conditioned matrix"):
            matinv.inv(a, out=out)
    np.testing.assert_array_equal(out, expected.inv)


# ---------------------------------------------------------------------------------------
# overwrite_a
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", ORDERS)
@pytest.mark.parametrize("batch", [(), (3,), (2, 2)])
def test_overwrite_a_inverts_in_place_bit_for_bit(dtype, n, batch):
    a = matrices(batch + (n, n), dtype, seed=n)
    expected = matinv.inv(a)
    work = a.copy()
    got = matinv.inv(work, overwrite_a=True)
    assert got is work
    np.testing.assert_array_equal(work, expected)


@pytest.mark.parametrize("shape", [(500, 500), (2, 300, 300), (1000, 1000), (40, 70, 70)])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
@pytest.mark.parametrize("threads", [1, 2])
def test_overwrite_a_large_and_threaded(shape, dtype, threads):
    a = matrices(shape, dtype, seed=3)
    with matinv.threads(threads):
        expected = matinv.inv(a)
        work = a.copy()
        assert matinv.inv(work, overwrite_a=True) is work
    np.testing.assert_array_equal(work, expected)


@pytest.mark.parametrize("scale", [1e300, 1e-300, 1e-310])
def test_overwrite_a_scales_as_inv_does(scale):
    for n in (3, 20, 100):
        a = matrices((n, n), np.float64) * scale
        expected = matinv.inv(a)
        work = a.copy()
        matinv.inv(work, overwrite_a=True)
        np.testing.assert_array_equal(work, expected)


def test_overwrite_a_is_ignored_when_it_cannot_apply():
    a = matrices((2, 4, 4), np.float64)
    spd = a @ np.swapaxes(a, -1, -2)
    readonly = a.copy()
    readonly.flags.writeable = False
    cases = [
        (np.array([[4, 1], [2, 3]]), {}),  # int: the result is float64, a new array
        (a.astype(np.float16).astype(np.float64).astype(">f8"), {}),  # byte order
        (np.asfortranarray(a), {}),  # not C-contiguous
        (a[:, ::-1], {}),  # negative strides
        (readonly, {}),
        (spd.copy(), {"assume_a": "pos"}),
        (a.copy(), {"out": np.empty_like(a)}),
        ([[4.0, 1.0], [2.0, 3.0]], {}),  # a list
    ]
    for x, kwargs in cases:
        before = np.array(x, copy=True)
        expected = matinv.inv(x, **{k: v for k, v in kwargs.items() if k != "out"})
        got = matinv.inv(x, overwrite_a=True, **kwargs)
        assert got is not x
        if "out" in kwargs:
            assert got is kwargs["out"]
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(x, before)
    x = a.copy()
    with matinv.errstate(singular="nan"):
        got = matinv.inv(x, overwrite_a=True)
    assert got is not x
    np.testing.assert_array_equal(x, a)


@pytest.mark.filterwarnings(MATRIX_WARNING)
def test_overwrite_a_keeps_subclass_and_errors():
    m = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    expected = np.linalg.inv(m)
    got = matinv.inv(m, overwrite_a=True)
    assert got is m and type(got) is np.matrix
    np.testing.assert_allclose(m, expected)
    for n in (4, 100):
        a = matrices((3, n, n), np.float64)
        a[1, :, 2] = 0
        with pytest.raises(np.linalg.LinAlgError, match="^Singular matrix$"):
            matinv.inv(a.copy())
        with pytest.raises(np.linalg.LinAlgError, match="^Singular matrix$"):
            matinv.inv(a, overwrite_a=True)
    with pytest.raises(np.linalg.LinAlgError, match="must be square"):
        matinv.inv(np.ones((2, 3)), overwrite_a=True)
    with pytest.raises(np.linalg.LinAlgError, match="at least two-dimensional"):
        matinv.inv(np.ones(3), overwrite_a=True)
    empty = np.empty((0, 3, 3))
    assert matinv.inv(empty, overwrite_a=True) is empty


def test_native_in_place_declines_what_it_cannot_write():
    # In place, the native inverse declines (None, nothing written) an array it cannot
    # write as it is; the package then inverts a copy (overwrite_a is a hint).
    a = matrices((2, 3, 3), np.float64)
    readonly = a.copy()
    readonly.flags.writeable = False
    raw = np.zeros(a.nbytes + 1, np.uint8)
    unaligned = np.ndarray(a.shape, dtype=a.dtype, buffer=raw, offset=1)
    unaligned[...] = a
    for bad in (np.asfortranarray(a), readonly, unaligned, np.repeat(a, 2, axis=2)[..., ::2]):
        before = bad.copy()
        assert _matinv.inv(bad, 1, in_place=True) is None
        np.testing.assert_array_equal(bad, before)
        got = matinv.inv(bad, overwrite_a=True)
        assert got is not bad
        np.testing.assert_array_equal(got, matinv.inv(before))
        np.testing.assert_array_equal(bad, before)
    for bad, error, match in [
        (a.astype(np.int64), TypeError, "unsupported by the native kernels"),
        (a.astype(">f8"), TypeError, "unsupported by the native kernels"),
        (np.ones(3), np.linalg.LinAlgError, "at least two-dimensional"),
        (np.ones((2, 3)), np.linalg.LinAlgError, "must be square"),
    ]:
        before = bad.copy()
        with pytest.raises(error, match=match):
            _matinv.inv(bad, 1, in_place=True)
        np.testing.assert_array_equal(bad, before)


# Peak RSS from /proc (VmHWM, this process's own high-water mark): getrusage's ru_maxrss
# starts a child at its parent's peak (Linux keeps it across fork and exec), so under
# pytest it would not move.
PEAK_RSS = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import matinv

    def peak_kib():
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))

    n, overwrite = int(sys.argv[1]), sys.argv[2] == "1"
    a = np.empty((n, n))  # made in place: no temporary raises the baseline
    np.random.default_rng(0).standard_normal(out=a)
    a.flat[:: n + 1] += n
    matinv.inv(np.eye(2))  # the pool and the module loaded before the baseline
    before = peak_kib()
    x = matinv.inv(a, overwrite_a=overwrite)
    after = peak_kib()
    print(json.dumps({"kib": after - before, "same": x is a}))
    """
)


def peak_rss_growth(n, overwrite):
    out = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, str(n), "1" if overwrite else "0"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(out.stdout)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux's /proc")
def test_overwrite_a_needs_no_second_matrix():
    # n = 2048: one matrix is 32 MiB. Without overwrite_a the result is a second one.
    n, mib = 2048, 2048 * 2048 * 8 / 2**20
    fresh = peak_rss_growth(n, False)
    in_place = peak_rss_growth(n, True)
    assert not fresh["same"] and in_place["same"]
    # The saving is the second matrix; what remains is the kernel's workspace (panels,
    # product buffers: measured 15 MiB of 48 with threads).
    assert (fresh["kib"] - in_place["kib"]) / 1024 > 0.9 * mib, (fresh, in_place)
    assert in_place["kib"] / 1024 < 0.75 * mib, in_place
