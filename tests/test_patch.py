"""``matinv.patch_numpy()``: numpy's own ``inv`` gufunc computing with matinv's loops.

Every test restores the unpatched state (the ``unpatched`` fixture), and most compare the
patched result with numpy's own, computed in the same process with the patch removed.
"""

import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest
from numpy.linalg import _umath_linalg
from numpy.linalg import inv as early_bound_inv  # bound before any patching

import matinv
from matinv import _matinv

_MATRIX_WARNING = "the matrix subclass is not the recommended way"


@pytest.fixture(autouse=True)
def unpatched():
    """Each test starts and ends with numpy unpatched and the test hook off."""
    assert not matinv.is_patched()
    yield
    _matinv.patch_test_failure(0)
    while matinv.is_patched():
        matinv.unpatch_numpy()
        if matinv.is_patched():  # an open patched_numpy() block would be a test bug
            pytest.fail("numpy is still patched after the test")


def calls():
    return matinv._patch.loop_counters()[0]


def numpy_inv(a, **kwargs):
    """numpy's own result (the patch removed around the call)."""
    was = matinv.is_patched()
    matinv.unpatch_numpy()
    try:
        return np.linalg.inv(a, **kwargs)
    finally:
        if was:
            matinv.patch_numpy()


def patched_inv(a, func=np.linalg.inv):
    """``func(a)`` with numpy patched, asserting matinv's loop ran."""
    before = calls()
    with matinv.patched_numpy():
        out = func(a)
    assert calls() > before, "matinv's loop did not run"
    return out


def rand(*shape, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    return (a + 3 * np.eye(shape[-1])).astype(dtype)


# --- the state API --------------------------------------------------------------------


def test_patch_unpatch_idempotent():
    assert not matinv.is_patched()
    matinv.patch_numpy()
    matinv.patch_numpy()
    assert matinv.is_patched()
    matinv.unpatch_numpy()
    assert not matinv.is_patched()
    matinv.unpatch_numpy()
    assert not matinv.is_patched()


def test_context_manager_nests_and_restores():
    with matinv.patched_numpy():
        assert matinv.is_patched()
        with matinv.patched_numpy():
            assert matinv.is_patched()
        assert matinv.is_patched()  # the outer block is still open
    assert not matinv.is_patched()


def test_context_manager_inside_explicit_patch_keeps_it():
    matinv.patch_numpy()
    with matinv.patched_numpy():
        assert matinv.is_patched()
    assert matinv.is_patched()
    matinv.unpatch_numpy()
    assert not matinv.is_patched()


def test_unpatch_inside_block_waits_for_the_block():
    matinv.patch_numpy()
    with matinv.patched_numpy():
        matinv.unpatch_numpy()
        assert matinv.is_patched()
    assert not matinv.is_patched()


def test_context_manager_restores_on_exception():
    with pytest.raises(ZeroDivisionError):
        with matinv.patched_numpy():
            raise ZeroDivisionError("inside the block")
    assert not matinv.is_patched()


def test_install_rejects_other_objects():
    with pytest.raises(TypeError, match="_umath_linalg.inv"):
        _matinv.patch_install(np.add)
    with pytest.raises(TypeError, match="_umath_linalg.inv"):
        _matinv.patch_install(_umath_linalg.det)
    with pytest.raises(TypeError, match="_umath_linalg.inv"):
        _matinv.patch_install("inv")
    assert not matinv.is_patched()


def test_public_names():
    for name in ("patch_numpy", "unpatch_numpy", "is_patched", "patched_numpy"):
        assert name in matinv.__all__
        assert callable(getattr(matinv, name))


# --- the loop runs, and computes matinv's results --------------------------------------


def test_counter_counts_calls_and_matrices():
    a = rand(7, 4, 4)
    c0, m0, f0 = matinv._patch.loop_counters()
    with matinv.patched_numpy():
        np.linalg.inv(a)
        np.linalg.inv(a[0])
    c1, m1, f1 = matinv._patch.loop_counters()
    assert (c1 - c0, m1 - m0, f1 - f0) == (2, 8, 0)
    np.linalg.inv(a)  # unpatched: not counted
    assert matinv._patch.loop_counters() == (c1, m1, f1)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 8, 9, 33, 100])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_patched_equals_matinv_inv(n, dtype):
    """The patched loop is matinv's kernels: bit for bit ``matinv.inv``."""
    a = rand(5, n, n, dtype=dtype, seed=n)
    got = patched_inv(a)
    want = matinv.inv(a)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.tobytes() == want.tobytes()
    np.testing.assert_allclose(got, numpy_inv(a), rtol=1e-10, atol=1e-12)


def test_early_bound_name_reaches_matinv_then_numpy_again_bit_for_bit(tmp_path):
    a = rand(3, 6, 6, seed=42)
    with matinv.patched_numpy():
        before = calls()
        got = early_bound_inv(a)
        assert calls() == before + 1
    assert got.tobytes() == matinv.inv(a).tobytes()
    # Unpatched again: numpy's own loop, bit for bit what a fresh process computes.
    before = calls()
    again = early_bound_inv(a)
    assert calls() == before
    np.save(tmp_path / "a.npy", a)
    code = (
        "import sys, numpy as np; a = np.load(sys.argv[1]); "
        "sys.stdout.write(np.linalg.inv(a).tobytes().hex())"
    )
    fresh = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "a.npy")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert again.tobytes().hex() == fresh


def test_float32_and_complex64_go_through_the_double_loops():
    for dtype in (np.float32, np.complex64):
        a = rand(4, 5, 5, dtype=dtype)
        got = patched_inv(a)
        assert got.dtype == dtype
        # numpy casts to double, matinv inverts, numpy rounds: matinv.inv's rule too
        assert got.tobytes() == matinv.inv(a).tobytes()


@pytest.mark.parametrize(
    "dtype",
    [
        np.bool_,
        np.int8,
        np.int16,
        np.int32,
        np.int64,
        np.uint8,
        np.uint64,
        np.float32,
        np.float64,
        np.complex64,
        np.complex128,
    ],
)
def test_every_dtype_numpy_accepts(dtype):
    a = np.array([[[2, 1], [1, 1]], [[1, 0], [1, 1]]])
    a = (a > 0 if dtype is np.bool_ else a).astype(dtype)
    a[0] = a[1] if dtype is np.bool_ else a[0]  # as bool, [[1, 1], [1, 1]] is singular
    got = patched_inv(a)
    want = numpy_inv(a)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float16, np.longdouble, object, "M8[s]", "U3"])
def test_dtypes_numpy_refuses_are_refused_the_same(dtype):
    a = np.ones((2, 2)).astype(dtype) if dtype != "M8[s]" else np.ones((2, 2), dtype)
    with pytest.raises(Exception) as unpatched:
        np.linalg.inv(a)
    before = calls()
    with matinv.patched_numpy():
        with pytest.raises(type(unpatched.value)) as patched:
            np.linalg.inv(a)
    assert str(patched.value) == str(unpatched.value)
    assert calls() == before


# --- singular matrices, NaN, errstate ---------------------------------------------------


def singular_stack():
    a = rand(4, 3, 3)
    a[2] = [[1, 2, 3], [2, 4, 6], [0, 1, 1]]
    return a


def test_singular_stack_raises_numpys_error():
    a = singular_stack()
    with matinv.patched_numpy():
        before = calls()
        with pytest.raises(np.linalg.LinAlgError, match="^Singular matrix$"):
            np.linalg.inv(a)
        assert calls() == before + 1
        with pytest.raises(np.linalg.LinAlgError, match="^Singular matrix$"):
            np.linalg.inv(np.zeros((2, 2)))


def test_direct_gufunc_call_fills_nan_under_callers_errstate():
    """numpy's loop fills the singular matrix with NaN and raises the invalid flag, which
    a direct gufunc call reports through the caller's np.errstate."""
    a = singular_stack()
    with np.errstate(invalid="ignore"):
        want = _umath_linalg.inv(a, signature="d->d")
        with matinv.patched_numpy():
            got = _umath_linalg.inv(a, signature="d->d")
    assert np.isnan(got[2]).all() and np.isnan(want[2]).all()
    assert got[2].tobytes() == want[2].tobytes()  # numpy's NaN, bit for bit
    assert not np.isnan(got[[0, 1, 3]]).any()
    assert got[[0, 1, 3]].tobytes() == matinv.inv(a[[0, 1, 3]]).tobytes()
    for mode, expect in (("raise", FloatingPointError), ("warn", RuntimeWarning)):
        for patched in (False, True):
            with np.errstate(invalid=mode), pytest.raises(expect) as info:
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    if patched:
                        with matinv.patched_numpy():
                            _umath_linalg.inv(a, signature="d->d")
                    else:
                        _umath_linalg.inv(a, signature="d->d")
            assert str(info.value) == "invalid value encountered in inv"


def test_complex_singular_gets_complex_nan():
    a = singular_stack().astype(np.complex128)
    with np.errstate(invalid="ignore"):
        want = _umath_linalg.inv(a, signature="D->D")
        with matinv.patched_numpy():
            got = _umath_linalg.inv(a, signature="D->D")
    assert got[2].tobytes() == want[2].tobytes()
    with matinv.patched_numpy(), pytest.raises(np.linalg.LinAlgError, match="Singular"):
        np.linalg.inv(a)


def test_arithmetic_flags_do_not_leak():
    """Flags raised by the arithmetic (inf - inf...) are cleared, as numpy's loop does:
    no error under the strictest errstate unless a matrix is singular."""
    a = np.array([[[np.inf, 1.0], [1.0, 1.0]], [[1e308, 1e308], [-1e308, 1e308]]])
    with np.errstate(all="raise"):
        _umath_linalg.inv(a, signature="d->d")  # numpy: no error
        with matinv.patched_numpy():
            _umath_linalg.inv(a, signature="d->d")
            np.linalg.inv(a)


def flags_raised(a, **state):
    """The floating-point warnings a direct gufunc call gives under ``np.errstate(**state)``
    (all warned by default), patched and not: ``(numpy's, matinv's)``."""
    seen = []
    for patched in (False, True):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with np.errstate(**({"all": "warn"} | state)):
                if patched:
                    with matinv.patched_numpy():
                        _umath_linalg.inv(a, signature="d->d")
                else:
                    _umath_linalg.inv(a, signature="d->d")
        seen.append(sorted(str(w.message) for w in caught if w.category is RuntimeWarning))
    return tuple(seen)


def test_flags_of_a_stack_with_a_singular_matrix_are_numpys():
    """Regression: with a singular matrix, numpy's loop raises invalid and keeps the flags
    its arithmetic raised (overflow from 1 / 1e-310); ours cleared them."""
    a = np.array([[[1e-310, 0.0], [0.0, 1.0]], [[0.0, 0.0], [0.0, 0.0]]])
    theirs, ours = flags_raised(a)
    assert theirs == ours == ["invalid value encountered in inv", "overflow encountered in inv"]
    with np.errstate(over="raise", invalid="ignore"):
        with pytest.raises(FloatingPointError, match="overflow encountered in inv"):
            _umath_linalg.inv(a, signature="d->d")
        with matinv.patched_numpy(), pytest.raises(FloatingPointError, match="overflow"):
            _umath_linalg.inv(a, signature="d->d")
    # Our kernels divide by the zero pivot where getrf stops: no division-by-zero flag,
    # as numpy raises none.
    zero = np.zeros((2, 3, 3))
    assert flags_raised(zero) == (["invalid value encountered in inv"],) * 2
    # Without a singular matrix every flag is cleared, as numpy clears them.
    assert flags_raised(a[:1]) == ([], [])


def test_nan_input_gives_nan_without_error():
    a = np.array([[1.0, np.nan], [3.0, 4.0]])
    want = numpy_inv(a)
    got = patched_inv(a)
    assert np.isnan(want).all() and np.isnan(got).all()


def test_callers_errstate_does_not_change_np_linalg_inv():
    """np.linalg.inv sets its own errstate: the caller's changes nothing, patched or not."""
    a, s = rand(3, 3), singular_stack()
    for state in ({"all": "raise"}, {"all": "ignore"}, {"invalid": "ignore"}):
        with np.errstate(**state), matinv.patched_numpy():
            np.testing.assert_allclose(np.linalg.inv(a), numpy_inv(a), rtol=1e-12)
            with pytest.raises(np.linalg.LinAlgError, match="Singular matrix"):
                np.linalg.inv(s)


@pytest.mark.parametrize("where", [0, 2])
def test_singular_in_one_chunk_of_a_chunked_call(where):
    """An outer shape numpy cannot fold into one dimension makes it call the loop once
    per chunk: a singular matrix in any chunk is still reported (the loop keeps the
    invalid flag it finds on entry, as numpy's does)."""
    big = np.tile(np.eye(2), (3, 4, 1, 1))
    big[where, 2] = 0
    view = big[:, 1:]  # outer strides (128, 32) bytes over (3, 3): not foldable
    before = calls()
    with matinv.patched_numpy(), pytest.raises(np.linalg.LinAlgError):
        np.linalg.inv(view)
    assert calls() - before == 3  # one call per chunk
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.inv(view)


# --- layouts -----------------------------------------------------------------------------


def layouts():
    base = rand(6, 8, 8, seed=3)
    return {
        "contiguous": base,
        "fortran": np.asfortranarray(base),
        "transposed": base.transpose(0, 2, 1),
        "negative": base[::-1, ::-1, ::-1],
        "every_other": base[::2, ::2, ::2],
        "broadcast": np.broadcast_to(base[0], (5, 8, 8)),
        "outer_4d": base.reshape(2, 3, 8, 8)[:, ::-2],
        "single": base[1],
    }


@pytest.mark.parametrize("name", list(layouts()))
def test_strided_inputs(name):
    a = layouts()[name]
    got = patched_inv(a)
    assert got.tobytes() == matinv.inv(a).tobytes()
    np.testing.assert_allclose(got, numpy_inv(a), rtol=1e-10, atol=1e-12)


def test_unaligned_input():
    a = rand(3, 4, 4)
    buf = np.zeros(a.nbytes + 1, dtype=np.uint8)
    un = np.frombuffer(buf[1:].data, dtype=np.float64).reshape(a.shape)
    un[...] = a
    assert not un.flags.aligned
    got = patched_inv(un)
    assert got.tobytes() == matinv.inv(a).tobytes()


def test_unaligned_output_and_byteswapped_input():
    a = rand(3, 4, 4)
    buf = np.zeros(a.nbytes + 1, dtype=np.uint8)
    out = np.frombuffer(buf[1:].data, dtype=np.float64).reshape(a.shape)
    assert not out.flags.aligned
    with matinv.patched_numpy():
        _umath_linalg.inv(a, signature="d->d", out=out)
    assert out.tobytes() == matinv.inv(a).tobytes()
    swapped = a.astype(">f8")
    got = patched_inv(swapped)
    assert got.dtype == numpy_inv(swapped).dtype
    assert got.tobytes() == matinv.inv(a).tobytes()


def test_out_argument_strided_and_in_place():
    a = rand(4, 5, 5)
    want = matinv.inv(a)
    out = np.zeros((4, 5, 10))[..., ::-2]  # negative, non-contiguous output
    with matinv.patched_numpy():
        _umath_linalg.inv(a, signature="d->d", out=out)
    assert out.tobytes() == want.tobytes()
    b = a.copy()
    with matinv.patched_numpy():
        _umath_linalg.inv(b, signature="d->d", out=b)  # in place
    assert b.tobytes() == want.tobytes()


def test_broadcasting_input_and_output():
    a = rand(3, 3)
    out = np.zeros((4, 3, 3))
    with matinv.patched_numpy():
        _umath_linalg.inv(np.broadcast_to(a, (4, 3, 3)), signature="d->d", out=out)
    assert (out == matinv.inv(a)).all()


@pytest.mark.parametrize("shape", [(0, 3, 3), (2, 0, 0), (0, 0), (3, 0, 0, 0), (0, 1, 1)])
def test_empty_stacks(shape):
    a = np.zeros(shape)
    with matinv.patched_numpy():
        got = np.linalg.inv(a)
    want = numpy_inv(a)
    assert got.shape == want.shape and got.dtype == want.dtype


def test_input_not_modified():
    a = rand(3, 4, 4)
    copy = a.copy()
    patched_inv(a)
    assert a.tobytes() == copy.tobytes()


# --- every path into numpy's inverse ------------------------------------------------------


@pytest.mark.filterwarnings(f"ignore:{_MATRIX_WARNING}:PendingDeprecationWarning")
def test_matrix_I():
    m = np.matrix(rand(4, 4))
    got = patched_inv(m, lambda m: m.I)
    assert type(got) is np.matrix
    assert np.asarray(got).tobytes() == matinv.inv(np.asarray(m)).tobytes()


def test_custom_subclass_is_wrapped():
    class Tagged(np.ndarray):
        pass

    a = rand(2, 3, 3).view(Tagged)
    got = patched_inv(a)
    assert type(got) is Tagged
    assert type(numpy_inv(a)) is Tagged


def test_matrix_power_negative():
    a = rand(4, 4)
    got = patched_inv(a, lambda a: np.linalg.matrix_power(a, -3))
    np.testing.assert_allclose(got, np.linalg.matrix_power(numpy_inv(a), 3), rtol=1e-10)


def test_tensorinv():
    a = rand(24, 24).reshape(4, 6, 8, 3)
    got = patched_inv(a, lambda a: np.linalg.tensorinv(a, ind=2))
    want = numpy_inv(a.reshape(24, 24)).reshape(8, 3, 4, 6)
    assert got.shape == (8, 3, 4, 6)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("p", [1, -1, np.inf, -np.inf, "fro", "nuc"])
def test_cond_with_norms_calls_the_gufunc(p):
    if p == "nuc":  # the SVD of a NaN inverse fails, patched or not: a regular stack
        a = rand(4, 3, 3)
    else:
        a = singular_stack()
    got = patched_inv(a, lambda a: np.linalg.cond(a, p))
    was = np.linalg.cond(a, p)
    if p != "nuc":
        assert np.isinf(got[2]) and np.isinf(was[2])  # the singular matrix: numpy's inf
    np.testing.assert_allclose(got, was, rtol=1e-10)


# --- internal failures fall back to numpy's loop ------------------------------------------


@pytest.mark.parametrize("mode", [1, 2], ids=["error", "panic"])
def test_internal_failure_falls_back_to_numpys_loop(mode):
    a = rand(3, 5, 5)
    want = numpy_inv(a)
    fallbacks = matinv._patch.loop_counters()[2]
    _matinv.patch_test_failure(mode)
    with matinv.patched_numpy():
        got = np.linalg.inv(a)
        with pytest.raises(np.linalg.LinAlgError, match="Singular matrix"):
            np.linalg.inv(singular_stack())
    _matinv.patch_test_failure(0)
    assert got.tobytes() == want.tobytes()  # numpy's own loop computed it
    assert matinv._patch.loop_counters()[2] == fallbacks + 2


def test_panic_fallback_keeps_the_process_alive():
    """A panic inside the loop never crosses into numpy (subprocess: a crash would show
    as a signal exit status)."""
    code = (
        "import numpy as np, matinv\n"
        "from matinv import _matinv\n"
        "_matinv.patch_test_failure(2)\n"
        "matinv.patch_numpy()\n"
        "x = np.linalg.inv(np.eye(3) * 2)\n"
        "print(x[0, 0], matinv._patch.loop_counters()[2])\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["0.5", "1"]
    assert "test hook" in r.stderr  # the panic message, printed by Rust's hook


# --- threads ------------------------------------------------------------------------------


def test_threads_calling_while_another_patches_and_unpatches():
    stacks = [rand(k + 1, 6, 6, seed=k) for k in range(8)]
    want = [numpy_inv(s) for s in stacks]
    errors, done = [], threading.Event()

    def worker(seed):
        i = 0
        while not done.is_set():
            k = (seed + i) % len(stacks)
            try:
                np.testing.assert_allclose(np.linalg.inv(stacks[k]), want[k], rtol=1e-10)
            except Exception as e:
                errors.append(e)
            i += 1

    workers = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
    for w in workers:
        w.start()
    try:
        before = calls()
        for _ in range(300):
            matinv.patch_numpy()
            np.linalg.inv(stacks[0])
            matinv.unpatch_numpy()
    finally:
        done.set()
        for w in workers:
            w.join()
    assert not errors, errors[:3]
    assert calls() - before >= 300
    assert not matinv.is_patched()


def test_context_manager_from_many_threads():
    barrier = threading.Barrier(4)
    seen = []

    def worker():
        barrier.wait()
        for _ in range(50):
            with matinv.patched_numpy():
                seen.append(matinv.is_patched())

    ts = [threading.Thread(target=worker) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(seen) and len(seen) == 200
    assert not matinv.is_patched()


def test_loop_threads_follow_set_num_threads():
    import ctypes

    lib = ctypes.CDLL(_matinv.__file__)
    old = matinv._threads._default
    try:
        matinv.set_num_threads(1)
        assert lib.matinv_get_num_threads() == 1
        matinv.set_num_threads(3)
        assert lib.matinv_get_num_threads() == 3
        a = rand(50, 4, 4)
        assert patched_inv(a).tobytes() == matinv.inv(a).tobytes()
    finally:
        matinv._threads._default = old
        matinv._threads._sync_patched_loop()
    assert lib.matinv_get_num_threads() == matinv.get_num_threads()


def test_overflowing_inverse_is_non_finite_where_numpys_is():
    """The documented difference (docs/numpy-compat.md): an inverse that overflows is not
    finite in the same places, with NaN where numpy has inf."""
    a = np.array([[1e-310, 0.0], [0.0, 1.0]])
    with np.errstate(all="ignore"):
        want = numpy_inv(a)
        got = matinv.inv(a)
        patched = patched_inv(a)
    assert np.isinf(want[0, 0]) and np.isnan(want[0, 1])
    for x in (got, patched):
        np.testing.assert_array_equal(np.isfinite(x), np.isfinite(want))
        assert np.isnan(x[0, 0]) and np.isnan(x[0, 1])
        np.testing.assert_array_equal(x[1], want[1])
