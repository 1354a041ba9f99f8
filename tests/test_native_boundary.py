"""The native module's own checks, called directly (not through the matinv package): outputs
that share memory with the input or with each other, outputs of the wrong kind, and a rayon
global pool that cannot start."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import matinv
from matinv import _matinv

N = 3
BATCH = (2,)


def matrices(batch=BATCH, n=N):
    rng = np.random.default_rng(7)
    return rng.standard_normal(batch + (n, n)) + n * np.eye(n)


# Each entry point: its outputs (name -> (shape, dtype) for an input `a`) and how to call it.
def _inv_outputs(a):
    return {"out": (a.shape, a.dtype)}


def _svd_outputs(a):
    k = min(a.shape[-2:])
    return {
        "s": (a.shape[:-2] + (k,), a.dtype),
        "u": (a.shape[:-2] + (a.shape[-2],) * 2, a.dtype),
        "vh": (a.shape[:-2] + (a.shape[-1],) * 2, a.dtype),
    }


ENTRY_POINTS = {
    "inv_into": (_inv_outputs, lambda a, o: _matinv.inv(a, 1, o["out"]) is not None),
    # With a status per matrix (new info and rcond arrays, returned with the result).
    # (true when every matrix's status says invertible)
    "inv_ex_into": (
        _inv_outputs,
        lambda a, o: (r := _matinv.inv(a, 1, o["out"], True)) is not None and not r[1].any(),
    ),
    "inv_structured_into": (
        _inv_outputs,
        lambda a, o: _matinv.inv(a, 0, o["out"], False, "upper triangular") is not None,
    ),
    "inv_structured_into_ex": (
        _inv_outputs,
        lambda a, o: (r := _matinv.inv(a, 0, o["out"], True, "sym")) is not None and not r[1].any(),
    ),
    "svd_into": (
        _svd_outputs,
        lambda a, o: _matinv.svd_into(a, o["s"], o["u"], o["vh"], True, False, 1),
    ),
    "svd_into_values": (
        lambda a: {"s": _svd_outputs(a)["s"]},
        lambda a, o: _matinv.svd_into(a, o["s"], None, None, True, False, 1),
    ),
    "cond_into": (
        lambda a: {"out": (a.shape[:-2], np.float64)},
        lambda a, o: _matinv.cond_into(a, o["out"], "1", 1),
    ),
}


# The inverse entry points check their `out` in numpy's words (an `out=` of inv or inv_ex);
# every other entry point's outputs in the binding's own.
INV_ENTRIES = {"inv_into", "inv_ex_into", "inv_structured_into", "inv_structured_into_ex"}


def sharing(entry, name, other):
    """The message for output `name` sharing memory with `other` (an output, or `a`)."""
    if entry in INV_ENTRIES and (name, other) == ("out", "a"):
        return "^inv: out shares memory with the input$"
    return f"{name} {SHARES} with {other}"


def fresh(outputs):
    return {name: np.zeros(shape, dtype) for name, (shape, dtype) in outputs.items()}


def expected(entry, a):
    """The outputs for `a`, from numpy."""
    if entry in ("inv_into", "inv_ex_into", "inv_structured_into_ex"):
        if entry == "inv_structured_into_ex":
            a = np.triu(a) + np.swapaxes(np.triu(a, 1), -1, -2)
        return {"out": np.linalg.inv(a)}
    if entry == "inv_structured_into":
        return {"out": np.linalg.inv(np.triu(a))}
    if entry == "cond_into":
        return {"out": np.linalg.cond(a, 1)}
    s = np.linalg.svd(a, compute_uv=False)
    return {"s": s}


class Buffer:
    """One float64 buffer that arrays of any dtype and shape are carved from, at byte
    offsets (so that overlaps are chosen exactly)."""

    def __init__(self, nbytes=4096):
        self.buf = np.zeros(nbytes // 8, dtype=np.float64)

    def at(self, offset, shape, dtype):
        return np.ndarray(shape, dtype=dtype, buffer=self.buf, offset=offset)


def carve(entry, a_value, positions):
    """`a` and the outputs of `entry` carved from one buffer: `a` at byte 0, each output at
    `positions[name]` (in bytes; default: after everything before it)."""
    outputs_of, _ = ENTRY_POINTS[entry]
    b = Buffer()
    a = b.at(0, a_value.shape, a_value.dtype)
    a[...] = a_value
    outs, end = {}, 1024
    for name, (shape, dtype) in outputs_of(a).items():
        start = positions.get(name, end)
        outs[name] = b.at(start, shape, dtype)
        end = max(end, (start + outs[name].nbytes + 127) // 64 * 64)
    return a, outs


def refused(entry, a, outs, error, match):
    _, call = ENTRY_POINTS[entry]
    before = a.copy()
    with pytest.raises(error, match=match):
        call(a, outs)
    np.testing.assert_array_equal(a, before)


SHARES = "shares memory"


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_disjoint_slices_of_one_buffer_are_accepted(entry):
    a, outs = carve(entry, matrices(), {})
    _, call = ENTRY_POINTS[entry]
    assert call(a, outs)
    for name, want in expected(entry, a).items():
        np.testing.assert_allclose(outs[name], want, rtol=1e-12, atol=1e-12)
    # The same results as with fresh arrays.
    again = fresh(ENTRY_POINTS[entry][0](a))
    call(a, again)
    for name in outs:
        np.testing.assert_array_equal(outs[name], again[name])


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_output_over_the_input_is_refused(entry):
    outputs_of, _ = ENTRY_POINTS[entry]
    for name in outputs_of(matrices()):
        # The same bytes as the input, then one element of overlap at its end.
        for start in (0, matrices().nbytes - 8):
            a, outs = carve(entry, matrices(), {name: start})
            refused(entry, a, outs, ValueError, sharing(entry, name, "a"))


def test_reversed_input_over_its_output_is_refused():
    # The review's example: the input is a reversed view of the output.
    b = matrices(batch=(4,))
    before = b.copy()
    with pytest.raises(ValueError, match=sharing("inv_into", "out", "a")):
        _matinv.inv(b[::-1], 1, b)
    np.testing.assert_array_equal(b, before)
    for entry in ("inv_ex_into", "inv_structured_into", "inv_structured_into_ex"):
        outs = fresh(ENTRY_POINTS[entry][0](b))
        outs["out"] = b
        with pytest.raises(ValueError, match=sharing(entry, "out", "a")):
            ENTRY_POINTS[entry][1](b[::-1], outs)
        np.testing.assert_array_equal(b, before)
    # Negative strides inside the matrices too.
    with pytest.raises(ValueError, match=sharing("inv_into", "out", "a")):
        _matinv.inv(b[:, ::-1, ::-1], 1, b)
    np.testing.assert_array_equal(b, before)


def test_out_that_is_a_is_refused_not_taken_as_in_place():
    # In place is asked for by name: an `out` that is `a` itself (a caller's out=a) once
    # meant in place; it shares memory with the input like any other.
    a = matrices()
    before = a.copy()
    with pytest.raises(ValueError, match=sharing("inv_into", "out", "a")):
        _matinv.inv(a, 1, a)
    np.testing.assert_array_equal(a, before)
    with pytest.raises(ValueError, match="^give out or in_place, not both$"):
        _matinv.inv(a, 1, np.empty_like(a), in_place=True)
    np.testing.assert_array_equal(a, before)
    assert _matinv.inv(a, 1, in_place=True) is a
    np.testing.assert_allclose(a, np.linalg.inv(before), rtol=1e-12, atol=1e-12)


def test_out_over_a_source_is_refused():
    # The caller's own input, when the kernels read a converted copy of it.
    a = matrices()
    source = np.zeros((a.shape[0] + 1,) + a.shape[1:])
    with pytest.raises(ValueError, match=sharing("inv_into", "out", "a")):
        _matinv.inv(a, 1, source[1:], source=source[::-1])
    np.testing.assert_array_equal(source, 0)
    with pytest.raises(ValueError, match="^inv_ex: out shares memory with the input$"):
        _matinv.inv(a, 1, source[:-1], func="inv_ex", source=source)
    out = np.empty_like(a)
    assert _matinv.inv(a, 1, out, source=source) is out
    with pytest.raises(TypeError, match="^return arrays must be of ArrayType$"):
        _matinv.inv(a, 1, a.tolist())


def test_broadcast_input_over_its_output_is_refused():
    # Zero strides: the input addresses one matrix's bytes, the output starts there.
    b = Buffer()
    m = b.at(0, (N, N), np.float64)
    m[...] = matrices()[0]
    out = b.at(0, (4, N, N), np.float64)
    a = np.broadcast_to(m, (4, N, N))
    with pytest.raises(ValueError, match=sharing("inv_into", "out", "a")):
        _matinv.inv(a, 1, out)
    np.testing.assert_array_equal(m, matrices()[0])
    # Just past it, they are disjoint.
    out = b.at(N * N * 8, (4, N, N), np.float64)
    assert _matinv.inv(a, 1, out) is not None
    np.testing.assert_allclose(out, np.linalg.inv(np.broadcast_to(matrices()[0], (4, N, N))))


@pytest.mark.parametrize(
    "entry, first, second",
    [
        ("svd_into", "u", "vh"),
        ("svd_into", "s", "u"),
        ("svd_into", "s", "vh"),
    ],
)
def test_outputs_over_each_other_are_refused(entry, first, second):
    # `second` at the same bytes as `first`, then overlapping only its last element (or
    # its first).
    a, outs = carve(entry, matrices(), {})
    start = outs[first].ctypes.data - a.ctypes.data
    align = outs[second].dtype.alignment
    last = (start + outs[first].nbytes - 1) // align * align
    if last == start:  # `first` is too short: `second` ends in its first element instead
        last = start - outs[second].nbytes + align
    for at in (start, last):
        a, outs = carve(entry, matrices(), {first: start, second: at})
        refused(entry, a, outs, ValueError, sharing(entry, second, first))


def test_u_is_vh_is_refused():
    a = matrices()
    outs = fresh(_svd_outputs(a))
    before = a.copy()
    with pytest.raises(ValueError, match=f"vh {SHARES} with u"):
        _matinv.svd_into(a, outs["s"], outs["u"], outs["u"], True, False, 1)
    np.testing.assert_array_equal(a, before)


def test_empty_arrays_overlap_nothing():
    b = Buffer()
    a = b.at(0, (0, N, N), np.float64)
    out = b.at(0, (0, N, N), np.float64)
    assert _matinv.inv(a, 1, out) is not None
    # With a status: new empty info and rcond.
    x, info, rcond = _matinv.inv(a, 1, out, True)
    assert x is out and info.shape == rcond.shape == (0,)


def _bad_outputs(shape, dtype, numpys_words=False):
    """(what is wrong, the array, the error, the message) for an output of `shape`, `dtype`
    (an `out=` of inv: in numpy's words)."""
    dtype = np.dtype(dtype)
    other = np.float32 if dtype != np.float32 else np.float64
    readonly = np.zeros(shape, dtype)
    readonly.setflags(write=False)
    raw = np.zeros(int(np.prod(shape)) * dtype.itemsize + 1, np.uint8)
    unaligned = np.ndarray(shape, dtype=dtype, buffer=raw, offset=1)
    if numpys_words:
        layout, cast = "^inv: out must be C-contiguous and aligned", "^Cannot cast ufunc 'inv'"
        readonly_says, shape_says = "^output array is read-only$", "^output operand with shape"
    else:
        layout, cast = "C-contiguous", "must have dtype"
        readonly_says, shape_says = "writeable, aligned, C-contiguous", "must have shape"
    yield "read-only", readonly, ValueError, readonly_says
    yield "strided", np.zeros(shape + (2,), dtype)[..., 0], ValueError, layout
    yield "unaligned", unaligned, ValueError, "aligned" if not numpys_words else layout
    yield "dtype", np.zeros(shape, other), TypeError, cast
    yield "byte order", np.zeros(shape, dtype.newbyteorder()), TypeError, cast
    yield "shape", np.zeros(shape + (1,), dtype), ValueError, shape_says
    yield "flat", np.zeros((int(np.prod(shape)),), dtype), ValueError, shape_says
    yield "fortran", np.asfortranarray(np.zeros(shape, dtype)), ValueError, layout


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_bad_outputs_are_refused(entry):
    # A batch of two dimensions, so that `info` and `rcond` have rows and columns (a
    # Fortran-ordered or flat one was accepted before) and every output can be strided.
    a = matrices(batch=(2, 3))
    outputs_of, _ = ENTRY_POINTS[entry]
    for name, (shape, dtype) in outputs_of(a).items():
        numpys_words = entry in INV_ENTRIES and name == "out"
        for what, bad, error, match in _bad_outputs(shape, dtype, numpys_words):
            outs = fresh(outputs_of(a))
            outs[name] = bad
            try:
                refused(entry, a, outs, error, match if numpys_words else f"^{name} .*{match}")
            except BaseException as e:
                raise AssertionError(f"{entry}: {name} {what}") from e


def _inputs_inv_new_declines():
    """(what, input) for inputs `inv_new` must leave to the general path."""
    a = matrices()
    raw = np.zeros(a.size * 8 + 1, np.uint8)
    yield "list", a.tolist()
    yield "scalar", 3.0
    yield "1-D", a[0, 0]
    yield "not square", a[:, :, :2]
    yield "int64", a.astype(np.int64)
    yield "float16", a.astype(np.float16)
    yield "bool", a > 0
    yield "object", a.astype(object)
    yield "big-endian", a.astype(a.dtype.newbyteorder())
    yield "unaligned", np.ndarray(a.shape, dtype=a.dtype, buffer=raw, offset=1)
    # Aligned complex128 whose strides are not whole elements (24 bytes).
    words = np.zeros(4 * N * N, np.complex128)
    odd = np.lib.stride_tricks.as_strided(words, shape=(N, N), strides=(72, 24))
    assert odd.flags.aligned
    yield "odd strides", odd


def test_inv_new_declines_what_the_kernels_cannot_read():
    # Declining (None) sends `inv` to the general path, which converts or raises numpy's
    # errors: inv_new must neither raise nor compute for these.
    for what, a in _inputs_inv_new_declines():
        assert _matinv.inv(a, 1) is None, what


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128, np.complex64])
def test_inv_new_is_inv_into_in_a_new_array(dtype):
    rng = np.random.default_rng(3)
    base = rng.standard_normal((4, 5, 5)) + 5 * np.eye(5)
    if np.dtype(dtype).kind == "c":
        base = base + 1j * rng.standard_normal(base.shape)
    base = base.astype(dtype)
    layouts = {
        "C": base,
        "F": np.asfortranarray(base),
        "reversed": base[::-1, ::-1, ::-1],
        "strided": np.repeat(base, 2, axis=-1)[..., ::2],
        "broadcast": np.broadcast_to(base[0], (3, 5, 5)),
        "one": base[1],
        "empty stack": base[:0],
        "0x0": np.zeros((2, 0, 0), dtype),
    }
    for what, a in layouts.items():
        before = a.copy()
        got = _matinv.inv(a, 1)
        expected = np.empty(a.shape, dtype)
        assert _matinv.inv(a, 1, expected) is not None, what
        assert type(got) is np.ndarray and got.dtype == dtype, what
        assert got.shape == a.shape and got.flags.c_contiguous and got.flags.writeable, what
        assert got.flags.owndata and not np.shares_memory(got, a), what
        np.testing.assert_array_equal(got, expected, err_msg=what, strict=True)
        np.testing.assert_array_equal(a, before, err_msg=what, strict=True)


def test_inv_takes_the_fast_path_for_arrays_the_kernels_read(monkeypatch):
    # A plain ndarray of a kernel dtype goes through inv_new, and its array is the result;
    # anything else (here a list, a subclass, out=) does not call it.
    from matinv import _native

    made = []

    def spy(arr):
        made.append(_native_inv_new(arr))
        return made[-1]

    _native_inv_new = _native.inv_new
    monkeypatch.setattr(_native, "inv_new", spy)
    a = matrices()
    assert matinv.inv(a) is made[-1]
    assert len(made) == 1
    matinv.inv(a.tolist())

    class Sub(np.ndarray):
        pass

    matinv.inv(a.view(Sub))
    matinv.inv(a, out=np.empty_like(a))
    assert len(made) == 1


def test_inv_new_raises_numpys_errors():
    with pytest.raises(np.linalg.LinAlgError, match="^Singular matrix$"):
        _matinv.inv(np.ones((2, 3, 3)), 1)
    # An output too large to allocate: numpy's MemoryError (rust-numpy's own allocation
    # would panic, which the module would turn into a RuntimeError).
    huge = np.broadcast_to(np.eye(2), (2**45, 2, 2))
    with pytest.raises(MemoryError):
        _matinv.inv(huge, 1)
    with pytest.raises(OverflowError):
        _matinv.inv(np.eye(2), -1)


def test_only_one_of_a_pair_is_refused():
    a = matrices()
    svd = fresh(_svd_outputs(a))
    with pytest.raises(ValueError, match="both u and vh"):
        _matinv.svd_into(a, svd["s"], svd["u"], None)
    # Nothing was written.
    np.testing.assert_array_equal(svd["u"], 0)


def test_status_arrays_are_new_and_made_after_the_result():
    # inv with a status returns (x, info, rcond): info and rcond new arrays of the batch
    # shape, a singular matrix NaN with its zero pivot's column (the third, after LU).
    a = matrices(batch=(2, 3))
    a[1, 2] = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]]
    for out in (None, np.zeros_like(a)):
        x, info, rcond = _matinv.inv(a, 1, out, True)
        assert out is None or x is out
        assert (info.dtype, info.shape, info.flags.c_contiguous) == (np.int32, (2, 3), True)
        assert (rcond.dtype, rcond.shape, rcond.flags.c_contiguous) == (np.float64, (2, 3), True)
        assert info[1, 2] == 3 and rcond[1, 2] == 0 and np.isnan(x[1, 2]).all()
        assert (np.delete(info.ravel(), 5) == 0).all() and (np.delete(rcond.ravel(), 5) > 0).all()
    x = a.copy()
    got = _matinv.inv(x, 1, None, True, in_place=True)
    assert got[0] is x and got[1][1, 2] == 3
    # The result first: a stack too large for memory names the result, as numpy does.
    huge = np.broadcast_to(np.eye(2), (2**45, 2, 2))
    with pytest.raises(MemoryError, match=r"\(35184372088832, 2, 2\)"):
        _matinv.inv(huge, 1, None, True)


# The child process for a rayon global pool that cannot start: under a 2 GB address-space
# limit, the address space is filled until less than one thread's 2 MiB stack is free, and
# matinv then starts the pool (its first call). Not one of rayon's threads is made, so no
# thread can start without room for the signal stack Rust maps for it, which aborts the
# process (it did in CI when 2000 threads ran into the limit instead).
CHILD = textwrap.dedent(
    """
    import mmap, resource
    limit_kib = 2_000_000
    resource.setrlimit(resource.RLIMIT_AS, (limit_kib * 1024, limit_kib * 1024))
    import numpy as np
    import matinv

    def status(field):
        for line in open("/proc/self/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1])

    blocks = [None] * 64
    spare = mmap.mmap(-1, 1536 * 1024, flags=mmap.MAP_PRIVATE)
    size, count = 1 << 30, 0
    while size >= 64 * 1024 and count < len(blocks):
        try:
            blocks[count] = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE)
            count += 1
        except (OSError, MemoryError):
            size //= 2
    spare.close()
    free_kib = limit_kib - status("VmSize")
    threads = status("Threads")
    started = matinv.get_num_threads()  # the failed start happens here
    assert status("Threads") == threads, "a thread of the failed start ran"
    for b in blocks[:count]:
        b.close()
    del blocks
    assert free_kib < 2048, f"{free_kib} KiB free: room for a thread"
    assert started == 1, started

    rng = np.random.default_rng(3)
    def close(got, want):
        assert np.allclose(got, want, rtol=1e-10, atol=1e-12), (got, want)

    a = np.array([[4.0, 7.0], [2.0, 6.0]])
    close(matinv.inv(a), np.linalg.inv(a))
    stack = rng.standard_normal((10000, 4, 4)) + 4 * np.eye(4)
    close(matinv.inv(stack), np.linalg.inv(stack))
    big = rng.standard_normal((600, 600)) + 600 * np.eye(600)
    close(matinv.inv(big), np.linalg.inv(big))
    inv, info, rcond = matinv.inv_ex(stack)
    close(inv, np.linalg.inv(stack))
    assert (info == 0).all() and (rcond > 0).all()
    s = matinv.svd(stack[:100], compute_uv=False)
    close(s, np.linalg.svd(stack[:100], compute_uv=False))
    u, s, vh = matinv.svd(big)
    close((u * s) @ vh, big)
    close(matinv.cond(stack[:100]), np.linalg.cond(stack[:100]))
    # The pool did not start (else this test would not test anything): one thread.
    print("threads", matinv.get_num_threads())
    print("OK")
    """
)


def test_a_global_pool_that_cannot_start_leaves_the_calling_thread():
    env = dict(os.environ, RAYON_NUM_THREADS="2", OPENBLAS_NUM_THREADS="1")
    env.pop("MATINV_NUM_THREADS", None)
    r = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=600
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.split() == ["threads", "1", "OK"], r.stdout + r.stderr
    assert "panicked" not in r.stderr, r.stderr


def test_a_new_array_with_a_status_is_not_declined_for_its_shape():
    # Review: with info and rcond a shape error is raised, not a decline (None), which the
    # package would have retried on a copy and then passed unfilled statuses on.
    with pytest.raises(np.linalg.LinAlgError, match="must be square"):
        _matinv.inv(np.zeros((2, 3)), 1, None, True)
    assert _matinv.inv(np.zeros((2, 3)), 1) is None


# ---- lu_in_place: one array, factored in its own memory ---------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128, np.complex64])
def test_lu_in_place_factors_in_the_arrays_memory(dtype):
    rng = np.random.default_rng(14)
    a = rng.standard_normal((50, 20))
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(a.shape)
    a = a.astype(dtype)
    lu = a.copy()
    perm, info = _matinv.lu_in_place(lu, 1)
    assert info == 0 and sorted(perm) == list(range(50))
    lower = np.tril(lu, -1) + np.eye(50, 20, dtype=dtype)
    # (50 x 20) L times (20 x 20) U is P A; the pivots, largest in |re| + |im| as LAPACK
    # takes them, keep |L| <= 1 (sqrt(2) for complex entries).
    assert np.allclose(lower @ np.triu(lu)[:20], a[perm], atol=50 * np.finfo(dtype).eps)
    bound = np.sqrt(2) if np.dtype(dtype).kind == "c" else 1.0
    assert np.abs(np.tril(lu, -1)).max() <= bound * (1 + np.finfo(dtype).eps)


def test_lu_in_place_reports_the_first_zero_pivot():
    a = np.random.default_rng(15).standard_normal((30, 10))
    a[:, 6] = 0.0
    perm, info = _matinv.lu_in_place(a)
    assert info == 7 and perm.shape == (30,)


@pytest.mark.parametrize(
    "make, exc, message",
    [
        (lambda: np.zeros((4, 3))[:, ::-1], ValueError, "writeable, aligned, C-contiguous"),
        (lambda: np.zeros((4, 3)).T.copy().T, ValueError, "writeable, aligned, C-contiguous"),
        (lambda: np.zeros((2, 4, 3)), ValueError, "2-dimensional"),
        (lambda: np.zeros(4), ValueError, "2-dimensional"),
        (lambda: np.zeros((3, 4)), ValueError, "rows >= cols"),
        (lambda: np.zeros((4, 3), dtype=np.int64), TypeError, "unsupported"),
        (lambda: np.zeros((4, 3), dtype=">f8"), TypeError, "unsupported"),
    ],
)
def test_lu_in_place_refuses_what_it_cannot_write(make, exc, message):
    a = make()
    before = a.copy()
    with pytest.raises(exc, match=message):
        _matinv.lu_in_place(a)
    assert np.array_equal(a, before)


def test_lu_in_place_refuses_a_read_only_array():
    a = np.eye(3)
    a.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        _matinv.lu_in_place(a)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("rows, cols, zero", [(300, 100, 70), (64, 64, 31), (500, 200, 150)])
def test_lu_in_place_zero_pivot_past_the_unblocked_columns(rows, cols, zero, threads):
    # Zero columns where faer's LU recurses (beyond its 16 unblocked columns), threaded:
    # the first exact zero pivot is still reported, as getrf's 1-based info.
    a = np.random.default_rng(16).standard_normal((rows, cols))
    a[:, zero] = 0.0
    _, info = _matinv.lu_in_place(a, threads)
    assert info == zero + 1


def test_lu_in_place_never_pivots_on_nan():
    # LAPACK's idamax never picks a NaN: a column of zeros and NaN has a zero pivot.
    a = np.array([[0.0, 1.0], [np.nan, 1.0]])
    _, info = _matinv.lu_in_place(a)
    assert info == 1
