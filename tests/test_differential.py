"""Differential tests against numpy, driven by hypothesis: ``inv``, ``inv_ex``, ``svd`` and
``cond`` on inputs drawn over dtype x layout x shape x conditioning x special entries
(NaN, infinities, subnormals, huge and tiny scalings).

The test run draws a few thousand examples, derandomized (the same ones every run). The
nightly-style run draws many more, at random::

    MATINV_HYPOTHESIS=nightly .venv/bin/python -m pytest tests/test_differential.py

What must agree with numpy, and where (each limit is a documented property:
docs/trust.md#what-singular-means and docs/trust.md#cond-svd-and-svdvals):

* always: result dtype, shape and class; exception class and message when both raise; the
  input is never modified;
* raise / no-raise verdicts, and a finite inverse wherever numpy's is finite: on every
  matrix of full rank; on matrices holding NaN or infinities for n <= 8 (numpy's getf2
  pivots); on complex matrices singular in exact arithmetic for n <= 8 (zgetf2's rounding);
  and on matrices with a zero column (finiteness only where the finite entries span less
  than 2^960: matinv inverts the factors as LAPACK's getri does, whose intermediate
  ``inv(u11) * u12`` can overflow where numpy's getrs solve does not). Not promised, so
  not asserted: real matrices singular in exact arithmetic (numpy's dgetf2 fuses
  multiply-adds, matinv's real kernels do not, and rounding decides whether a pivot is
  exactly zero), any of these above n = 8 (other algorithms than getf2), and matrices
  where a subnormal entry could be a pivot;
* finite inverses: LAPACK's criterion ``||I - X A||_1 / (n ||A||_1 ||X||_1 eps) < 30``, or
  no worse than 4x numpy's ratio on the same matrix;
* singular values to ``n * eps * s_max``, and ``U``, ``Vh`` that reconstruct ``A``;
* ``cond`` to the accuracy its condition number allows.
"""

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matinv

settings.register_profile(
    "ci",
    max_examples=1000,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "nightly",
    max_examples=50_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = os.environ.get("MATINV_HYPOTHESIS", "ci")
settings.load_profile(PROFILE)

DTYPES = [np.float64, np.float32, np.complex128, np.complex64, np.int64, np.bool_]
SPECIALS = ["none", "nan", "inf", "-inf", "subnormal", "zero column", "mixed"]
FAMILIES = ["gaussian", "conditioned", "rank deficient", "scaled", "graded"]
LAYOUTS = ["C", "F", "reversed", "strided", "broadcast", "byteswapped", "unaligned"]


def _gaussian(rng, shape, cplx):
    a = rng.standard_normal(shape)
    return a + 1j * rng.standard_normal(shape) if cplx else a


def _with_singular_values(rng, batch, n, cplx, cond):
    """Matrices ``U diag(s) V^H`` with singular values spread from 1 down to 1/cond."""
    q1, _ = np.linalg.qr(_gaussian(rng, batch + (n, n), cplx))
    q2, _ = np.linalg.qr(_gaussian(rng, batch + (n, n), cplx))
    s = np.logspace(0, -np.log10(cond), n) if n > 1 else np.ones(1)
    return (q1 * s) @ q2


@st.composite
def cases(draw, square=True, max_n=10):
    """A dict: the input array and how it was made."""
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    n = draw(st.integers(0, max_n) | st.sampled_from([12, 17, 33, 40]))
    m = n if square else draw(st.integers(0, max_n))
    batch = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    family = draw(st.sampled_from(FAMILIES))
    special = draw(st.sampled_from(SPECIALS))
    layout = draw(st.sampled_from(LAYOUTS))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    with np.errstate(all="ignore"):  # building matrices with inf / near overflow on purpose
        a, special = _build(draw, rng, dtype, batch, m, n, square, family, special)
    a = _layout(a, layout, rng)
    return {
        "a": a,
        "n": n,
        "family": family,
        "special": special,
        "layout": layout,
        "dtype": dtype,
        "seed": seed,
    }


def _build(draw, rng, dtype, batch, m, n, square, family, special):
    cplx = dtype.kind == "c"
    shape = batch + (m, n)
    k = min(m, n)
    if dtype.kind in "iub":
        a = rng.integers(-3, 4, size=shape) if dtype.kind != "b" else rng.integers(0, 2, shape)
        if family == "gaussian" and square:
            a = a + (4 * n + 1) * np.eye(n, dtype=a.dtype) * (dtype.kind != "b")
        a = a.astype(dtype)
        special = "none"
    else:
        if family == "conditioned" and square and n:
            single = dtype in (np.float32, np.complex64)
            cond = 10.0 ** draw(st.integers(0, 6 if single else 14))
            a = _with_singular_values(rng, batch, n, cplx, cond)
        elif family == "rank deficient" and k:
            rank = draw(st.integers(0, max(k - 1, 0)))
            left = rng.integers(-2, 3, size=batch + (m, rank)).astype(float)
            right = rng.integers(-2, 3, size=batch + (rank, n)).astype(float)
            if cplx:
                left = left + 1j * rng.integers(-2, 3, size=left.shape)
            a = left @ right
        elif family == "scaled":
            exponent = draw(
                st.sampled_from([-1000, -900, -500, -200, -120, -60, 60, 120, 200, 500, 900, 1000])
            )
            if dtype in (np.float32, np.complex64):
                exponent = int(np.clip(exponent, -120, 120))
            a = (_gaussian(rng, shape, cplx) + (n * np.eye(n) if square else 0)) * 2.0**exponent
        elif family == "graded" and k:
            rows = 10.0 ** rng.uniform(-8, 8, size=batch + (m, 1))
            a = _gaussian(rng, shape, cplx) * rows
        else:
            a = _gaussian(rng, shape, cplx) + (n * np.eye(n) if square and n else 0)
        a = np.asarray(a).astype(dtype)
        if a.size and special != "none":
            flat = a.reshape(-1)
            count = int(rng.integers(1, max(2, flat.size // 3)))
            where = rng.choice(flat.size, size=min(count, flat.size), replace=False)
            tiny = np.finfo(dtype).smallest_subnormal
            values = {
                "nan": [np.nan],
                "inf": [np.inf],
                "-inf": [-np.inf],
                "subnormal": [tiny, -tiny * 3, tiny * 1000],
                "mixed": [
                    np.nan,
                    np.inf,
                    -np.inf,
                    tiny,
                    0.0,
                    1e300 if dtype.itemsize >= 8 else 1e30,
                ],
            }
            if special == "zero column":
                a[..., :, int(rng.integers(0, n))] = 0
            else:
                choices = values[special]
                picks = rng.integers(0, len(choices), size=len(where))
                imaginary = cplx and special != "mixed" and rng.integers(0, 2)
                flat[where] = [complex(0.0, choices[i]) if imaginary else choices[i] for i in picks]
    return a, special


def _layout(a, layout, rng):
    if layout == "F":
        return np.asfortranarray(a)
    if layout == "reversed" and a.ndim:
        return a[..., ::-1, ::-1].copy()[..., ::-1, ::-1]
    if layout == "strided":
        big = np.zeros(a.shape[:-2] + (2 * a.shape[-2], 2 * a.shape[-1]), dtype=a.dtype)
        big[..., ::2, ::2] = a
        return big[..., ::2, ::2]
    if layout == "broadcast" and a.ndim >= 2:
        return np.broadcast_to(a[None], (2,) + a.shape)
    if layout == "byteswapped" and a.dtype.itemsize > 1:
        return a.astype(a.dtype.newbyteorder())
    if layout == "unaligned" and a.dtype.itemsize > 1:
        raw = np.zeros(a.nbytes + 1, dtype=np.uint8)
        out = raw[1:].view(a.dtype).reshape(a.shape)
        out[...] = a
        return out
    return a


def _call(func, *args, **kwargs):
    try:
        return func(*args, **kwargs), None
    except Exception as e:
        return None, e


def _numpy(func, *args, **kwargs):
    """numpy's answer; its RuntimeWarnings (an inverse that overflows float32 when numpy
    rounds it, a documented difference) are not errors here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _call(func, *args, **kwargs)


def _verdicts_must_agree(case):
    """Where matinv promises numpy's raise / finiteness verdicts (module docstring)."""
    a, n = np.asarray(case["a"]), case["n"]
    if case["special"] == "zero column":
        return True
    if a.dtype.kind in "fc":
        with np.errstate(all="ignore"):
            size = np.abs(a.real) + np.abs(a.imag) if a.dtype.kind == "c" else np.abs(a)
        if np.any((size > 0) & (size < np.finfo(a.dtype).tiny)):
            return False  # a subnormal pivot: getf2 neither interchanges nor scales
        if not np.isfinite(a).all():
            return n <= 8
    exactly_singular = case["family"] == "rank deficient" or (
        a.dtype.kind in "iub" and a.size and (np.linalg.matrix_rank(a.astype(float)) < n).any()
    )
    if exactly_singular:
        return a.dtype.kind == "c" and n <= 8
    return True


def _span(a):
    """The ratio of the largest to the smallest nonzero finite magnitude in `a`."""
    a = np.asarray(a)
    if a.dtype.kind not in "fc":
        return 1.0
    with np.errstate(all="ignore"):
        m = np.abs(a.astype(np.complex128 if a.dtype.kind == "c" else np.float64))
        m = m[np.isfinite(m) & (m > 0)]
        return float(m.max() / m.min()) if m.size else 1.0


def _same_error(e_mi, e_np):
    assert type(e_mi) is type(e_np), (e_mi, e_np)
    assert str(e_mi) == str(e_np)


def _criterion(a, x, dtype):
    """LAPACK's xGET03 ratio in double precision, with the scale of ``a`` divided out
    exactly (a power of two) so that neither product nor norms overflow."""
    a = np.asarray(a, dtype=np.complex128 if np.dtype(dtype).kind == "c" else np.float64)
    x = np.asarray(x, dtype=a.dtype)
    # Entries spanning more than the float range (1e300 beside 1e-301) can still overflow:
    # such ratios are inf, and judged by numpy's (see the callers).
    with np.errstate(all="ignore"):
        amax = np.abs(a).max(axis=(-2, -1), keepdims=True)
        scale = np.where(amax > 0, 2.0 ** np.round(np.log2(np.where(amax > 0, amax, 1))), 1.0)
        a, x = a / scale, x * scale
        n = a.shape[-1]
        resid = np.eye(n) - x @ a
        norm1 = lambda m: np.abs(m).sum(axis=-2).max(axis=-1)  # noqa: E731
        eps = np.finfo(dtype).eps
        return norm1(resid) / (n * norm1(a) * norm1(x) * eps)


def _snapshot(a):
    return np.array(a, copy=True)


# --------------------------------------------------------------------------------------


@given(cases())
def test_inv_matches_numpy(case):
    a = case["a"]
    before = _snapshot(a)
    want, e_np = _numpy(np.linalg.inv, a)
    got, e_mi = _call(matinv.inv, a)
    np.testing.assert_array_equal(a, before)
    agree = _verdicts_must_agree(case)
    if e_np is not None and e_mi is not None:
        _same_error(e_mi, e_np)
        return
    if e_np is not None or e_mi is not None:
        assert not agree, f"verdicts differ: numpy {e_np!r}, matinv {e_mi!r}"
        # Outside that promise, the only difference allowed is the singular verdict.
        err = e_np if e_np is not None else e_mi
        assert isinstance(err, np.linalg.LinAlgError) and str(err) == "Singular matrix"
        return
    assert got.dtype == want.dtype and got.shape == want.shape and type(got) is type(want)
    assert got.flags.c_contiguous
    if not got.size:
        return
    finite_np = np.isfinite(want).all(axis=(-2, -1))
    finite_mi = np.isfinite(got).all(axis=(-2, -1))
    if agree and _span(a) < 2.0**960:
        assert (finite_mi | ~finite_np).all(), "numpy's inverse is finite, matinv's is not"
    both = finite_np & finite_mi
    if both.any() and np.isfinite(np.asarray(a)).all():
        r_mi = _criterion(np.asarray(a)[both], got[both], got.dtype)
        r_np = _criterion(np.asarray(a)[both], want[both], got.dtype)
        ok = (r_mi < 30) | (r_mi <= np.maximum(4 * r_np, 1)) | ~np.isfinite(r_np)
        assert ok.all(), (r_mi.max(), r_np.max())


@given(cases())
def test_inv_ex_matches_inv_and_numpy(case):
    a = case["a"]
    before = _snapshot(a)
    got, e = _call(matinv.inv_ex, a)
    np.testing.assert_array_equal(a, before)
    want, e_np = _numpy(np.linalg.inv, a)
    if e is not None:  # only what inv rejects before looking at values
        assert e_np is not None
        _same_error(e, e_np)
        return
    x, info, rcond = got
    assert info.shape == rcond.shape == np.shape(a)[:-2]
    assert info.dtype == np.int32 and rcond.dtype == np.float64
    singular = info > 0
    assert np.isnan(x[singular]).all()
    if case["n"]:
        assert (rcond[singular] == 0).all()
    inv_mi, e_mi = _call(matinv.inv, a)
    if singular.any():
        assert isinstance(e_mi, np.linalg.LinAlgError)
    else:
        assert e_mi is None
        np.testing.assert_array_equal(x, inv_mi)  # the same kernels, bit for bit
    if _verdicts_must_agree(case):
        assert (e_np is None) == (not singular.any())
    if e_np is None and x.size and case["special"] == "none":
        a64 = np.asarray(a, dtype=np.complex128 if x.dtype.kind == "c" else np.float64)
        with np.errstate(all="ignore"):
            ref = 1 / (
                np.linalg.norm(a64, 1, axis=(-2, -1))
                * np.linalg.norm(want.astype(a64.dtype), 1, axis=(-2, -1))
            )
        good = np.isfinite(ref) & (ref > 1e3 * np.finfo(x.dtype).eps) & (info == 0)
        np.testing.assert_allclose(rcond[good], np.minimum(ref[good], 1), rtol=1e-2)


@given(cases(square=False))
def test_svd_matches_numpy(case):
    a = case["a"]
    before = _snapshot(a)
    want, e_np = _numpy(np.linalg.svd, a, compute_uv=False)
    got, e_mi = _call(matinv.svd, a, compute_uv=False)
    np.testing.assert_array_equal(a, before)
    if e_np is not None or e_mi is not None:
        # NaN input: "SVD did not converge" in both (numpy's LAPACK, matinv's check).
        assert e_np is not None and e_mi is not None, (e_np, e_mi)
        _same_error(e_mi, e_np)
        return
    assert got.dtype == want.dtype and got.shape == want.shape
    if not got.size:
        return
    finite = np.isfinite(np.asarray(a)).all(axis=(-2, -1))
    # Infinite input: NaN singular values, as numpy's LAPACK gives.
    assert np.isnan(got[~finite]).all() == np.isnan(want[~finite]).all()
    m, n = np.shape(a)[-2:]
    eps = np.finfo(got.dtype).eps
    if finite.any():
        smax = want[finite].max(axis=-1, keepdims=True)
        diff = np.abs(got[finite] - want[finite])
        assert (diff <= 8 * max(m, n) * eps * smax + np.finfo(got.dtype).tiny).all()
        u, s, vh = matinv.svd(np.asarray(a)[finite], full_matrices=False)
        recon = (u * s[..., None, :]) @ vh
        err = np.abs(recon - np.asarray(a)[finite]).max(axis=(-2, -1))
        assert (err <= 16 * max(m, n) * eps * smax[..., 0] + np.finfo(got.dtype).tiny).all()


PS = [None, 2, -2, 1, -1, np.inf, -np.inf, "fro", "nuc"]


@given(cases(), st.sampled_from(PS))
def test_cond_matches_numpy(case, p):
    a = case["a"]
    if case["special"] != "none" and p in (None, 2, -2, "nuc"):
        return  # NaN / inf input: a documented difference (numpy raises in its SVD)
    before = _snapshot(a)
    want, e_np = _numpy(np.linalg.cond, a, p)
    got, e_mi = _call(matinv.cond, a, p)
    np.testing.assert_array_equal(a, before)
    if p == "nuc" and e_np is not None and e_mi is None:
        # Documented difference: numpy takes the SVD of a NaN inverse and raises; matinv
        # gives inf for the singular matrices.
        assert str(e_np) == "SVD did not converge" and np.isinf(got).any()
        return
    if e_np is not None or e_mi is not None:
        assert e_np is not None and e_mi is not None, (e_np, e_mi)
        _same_error(e_mi, e_np)
        return
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    if case["special"] != "none" or case["family"] in ("scaled",):
        # Only the verdicts: inf (singular) and NaN where numpy has them, for the inverse
        # norms numpy computes in Python from a (possibly overflowing) inverse.
        return
    eps = np.finfo(got.dtype).eps
    if p == -2:  # s_min / s_max: compare its reciprocal, the 2-norm condition number
        with np.errstate(divide="ignore"):
            got, want = 1 / got, 1 / want
    big = 1 / (1e3 * eps)
    both_big = (got > big) & (want > big)  # singular or nearly so: any huge value agrees
    with np.errstate(all="ignore"):
        rel = np.abs(got - want) / np.abs(want)
    tol = _cond_tolerance(want, max(case["n"], 1))
    assert (both_big | (rel <= tol) | (got == want)).all(), (got, want)


def _cond_tolerance(want, n):
    """Relative tolerance of a condition number: wider for large or tiny values. The floor
    is the dtype's own tiny (a float64 floor of 1e-300 rounds to 0 in float32, and 1/0
    warned: seen as a flaky failure on a singular float32 matrix with p=-2)."""
    eps = np.finfo(want.dtype).eps
    floor = np.finfo(want.dtype).tiny
    return np.minimum(1e4 * n * eps * np.maximum(want, 1 / np.maximum(want, floor)), 0.5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cond_tolerance_of_a_zero_condition_number_is_finite(dtype):
    # Regression: with a floor of 1e-300, float32 zeros divided by zero (RuntimeWarning,
    # an error in this suite).
    tol = _cond_tolerance(np.array([0.0, 1.0, np.inf], dtype=dtype), 3)
    assert np.isfinite(tol).all() and (tol > 0).all() and tol.dtype == dtype
