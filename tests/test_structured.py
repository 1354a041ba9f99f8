"""``inv(a, assume_a=..., lower=...)``: every structured path through LAPACK's accuracy
criterion (see test_accuracy.py) and against numpy, plus the exact promises: which entries
are read, exact zeros and mirror images in the result, info, errors and errstate.

``A`` below is always the matrix the structure *implies* (the triangle read, with zeros
or its mirror image); the stored input carries junk wherever the structure must not read,
so reading it would fail the criterion. numpy inverts the implied matrix; matinv's ratio
must be < 30 and never much worse than numpy's (as in test_accuracy.py).
"""

import numpy as np
import pytest

import matinv
from test_accuracy import (
    DTYPE_IDS,
    DTYPES,
    NUMPY_FACTOR,
    NUMPY_FLOOR,
    THRESHOLD,
    accuracy_ratio,
    eps_of,
    gaussian,
    haar,
    is_complex,
    is_single,
    phases,
    seed_of,
)

# 1-4, 5-32: unblocked kernels; 33 on: faer's blocked ones. (numpy's QR and inverse are
# most of the run time, so few large sizes.)
SIZES = [1, 2, 3, 4, 5, 8, 13, 16, 31, 32, 33, 63, 64, 65, 129, 257]
JUNK = 1e30  # what sits where a structure must not read


def junk_like(rng, n, dtype):
    return JUNK * gaussian(rng, (n, n), is_complex(dtype))


def hermitian(rng, eigenvalues, cplx):
    q = haar(rng, len(eigenvalues), cplx)
    a = (q * eigenvalues) @ q.conj().T
    return (a + a.conj().T) / 2  # exactly Hermitian (real diagonal)


def cond_values(dtype):
    return [1e1, 1e4] if is_single(dtype) else [1e1, 1e4, 1e8, 1e12]


def implied_and_stored(rng, kind, n, dtype, variant):
    """(implied A, stored input, lower) for `kind`, in `dtype`."""
    cplx = is_complex(dtype)
    lower = variant.endswith("lower")
    if kind == "diagonal":
        e = 18 if is_single(dtype) else 150
        a = np.diag(10.0 ** rng.uniform(-e, e, n) * phases(rng, n, cplx))
        a = a.astype(dtype)
        stored = np.where(np.eye(n, dtype=bool), a, junk_like(rng, n, dtype)).astype(dtype)
        return a, stored, False
    if kind in ("upper triangular", "lower triangular"):
        off = gaussian(rng, (n, n), cplx)
        if variant.startswith("mild"):
            off = off / np.sqrt(n)
        d = np.diag(rng.uniform(1, 2, n) * phases(rng, n, cplx))
        upper = kind.startswith("upper")
        a = ((np.triu(off, 1) if upper else np.tril(off, -1)) + d).astype(dtype)
        keep = np.triu(np.ones((n, n), bool)) if upper else np.tril(np.ones((n, n), bool))
        stored = np.where(keep, a, junk_like(rng, n, dtype)).astype(dtype)
        return a, stored, False
    # 'pos', 'sym', 'her': a condition number and a sign pattern
    cond = float(variant.split(":")[0])
    s = cond ** (-np.arange(n) / max(n - 1, 1))
    if kind == "pos" or variant.split(":")[1].startswith("pd"):
        eig = s
    else:
        eig = s * rng.choice([-1.0, 1.0], n)
    if kind == "sym" and cplx:  # complex symmetric, not Hermitian
        q = haar(rng, n, False)
        g = (q * (eig * phases(rng, n, True))) @ q.T
        a = ((g + g.T) / 2).astype(dtype)
    else:
        a = hermitian(rng, eig, cplx).astype(dtype)
    keep = np.tril(np.ones((n, n), bool)) if lower else np.triu(np.ones((n, n), bool))
    stored = np.where(keep, a, junk_like(rng, n, dtype)).astype(dtype)
    if kind in ("pos", "her") and cplx:
        stored[np.diag_indices(n)] += 3j  # the imaginary part of the diagonal is ignored
    return a, stored, lower


def check(kind, variant, dtype, n, scale_exp=0):
    case = f"{kind}-{variant}-{np.dtype(dtype).name}-{n}-{scale_exp}"
    rng = np.random.default_rng(seed_of(case))
    a, stored, lower = implied_and_stored(rng, kind, n, dtype, variant)
    scale = 2.0**scale_exp
    if scale_exp:
        a = (a * scale).astype(dtype)
        with np.errstate(over="ignore", invalid="ignore"):  # junk may overflow: unread
            stored = np.where(np.abs(stored) >= JUNK / 1e3, stored, stored * scale)
        stored = stored.astype(dtype)
    x = matinv.inv(stored, assume_a=kind, lower=lower)
    assert x.dtype == np.dtype(dtype) and x.shape == (n, n)
    xn = np.linalg.inv(a)
    rm = accuracy_ratio(a, x, dtype, scale)
    assert rm < THRESHOLD, f"{case}: ratio {rm:.4g}"
    if np.all(np.isfinite(xn)):
        rn = accuracy_ratio(a, xn, dtype, scale)
        assert rm <= max(NUMPY_FACTOR * rn, NUMPY_FLOOR), f"{case}: {rm:.4g} vs numpy {rn:.4g}"
        # Close to numpy's inverse, within what the condition number allows.
        wide = np.complex128 if is_complex(dtype) else np.float64
        xw, xnw = x.astype(wide) * scale, xn.astype(wide) * scale
        kappa = np.linalg.norm(a.astype(wide) / scale, 1) * np.linalg.norm(xnw, 1)
        err = np.linalg.norm(xw - xnw, 1) / np.linalg.norm(xnw, 1)
        assert err <= 100 * n * kappa * eps_of(dtype), f"{case}: {err:.3g} from numpy"
    # The exact shape of the result.
    if kind == "diagonal":
        assert np.all(x[~np.eye(n, dtype=bool)] == 0)
    elif kind == "upper triangular":
        assert np.all(np.tril(x, -1) == 0)
    elif kind == "lower triangular":
        assert np.all(np.triu(x, 1) == 0)
    elif kind == "pos" or "pd" in variant and not (kind == "sym" and is_complex(dtype)):
        assert np.array_equal(x, x.conj().T)  # Cholesky's inverse: exactly Hermitian
    # inv_ex: the same bits, info 0, rcond from the implied matrix.
    ex = matinv.inv_ex(stored, assume_a=kind, lower=lower)
    assert np.array_equal(ex.inv, x) and ex.info == 0
    want = 1 / (
        np.linalg.norm(a.astype(complex) / scale, 1) * np.linalg.norm(x.astype(complex) * scale, 1)
    )
    assert ex.rcond == pytest.approx(min(want, 1.0), rel=1e-6)


def variants(kind, dtype, n):
    if kind == "diagonal":
        return ["plain"]
    if kind.endswith("triangular"):
        return ["mild"] + (["raw"] if n <= 65 else [])
    conds = cond_values(dtype)
    i = SIZES.index(n)
    if n > 65:  # one case per size, rotating through the options
        pat = "pd" if kind == "pos" or i % 2 else "indef"
        return [f"{conds[i % len(conds)]:g}:{pat}-{('upper', 'lower')[i % 2]}"]
    out = []
    for k, lower in enumerate(("upper", "lower")):
        pattern = ["pd"] if kind == "pos" else ["pd", "indef"]
        for p, pat in enumerate(pattern):
            # 'pos': every condition number; 'sym'/'her': one per size, rotating.
            cs = conds if kind == "pos" else [conds[(i + k + p) % len(conds)]]
            out += [f"{c:g}:{pat}-{lower}" for c in cs]
    return out


KINDS = ["diagonal", "upper triangular", "lower triangular", "pos", "sym", "her"]


def params():
    out = []
    for kind in KINDS:
        for dtype, name in zip(DTYPES, DTYPE_IDS):
            for n in SIZES:
                for v in variants(kind, dtype, n):
                    out.append(pytest.param(kind, v, dtype, n, id=f"{kind}-{v}-{name}-{n}"))
    return out


@pytest.mark.parametrize("kind, variant, dtype, n", params())
def test_structured_accuracy(kind, variant, dtype, n):
    check(kind, variant, dtype, n)


@pytest.mark.parametrize("n", [3, 33, 129])
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("kind", ["upper triangular", "lower triangular", "pos", "her"])
def test_scaled_near_underflow_overflow(kind, dtype, n):
    # ('diagonal' is covered by its wide range of magnitudes, 10**±150, float32 10**±18.)
    exps = [-120, 120] if is_single(dtype) else [-1000, 1000]
    # (condition 10: the inverse of a float32 matrix scaled by 2**-120 must not overflow)
    variant = {"pos": "10:pd-upper", "her": "10:indef-lower"}.get(kind, "mild")
    for e in exps:
        check(kind, variant, dtype, n, e)


# ------------------------------------------------------------------------------------
# 'auto'
# ------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 8, 9, 33, 129])
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_auto(dtype, n):
    rng = np.random.default_rng(seed_of(f"auto-{np.dtype(dtype).name}-{n}"))
    cplx = is_complex(dtype)
    mats = [
        implied_and_stored(rng, "diagonal", n, dtype, "plain")[0],
        implied_and_stored(rng, "upper triangular", n, dtype, "mild")[0],
        implied_and_stored(rng, "lower triangular", n, dtype, "mild")[0],
        implied_and_stored(rng, "pos", n, dtype, "1e4:pd-upper")[0],
        implied_and_stored(rng, "her", n, dtype, "1e4:indef-upper")[0],
        gaussian(rng, (n, n), cplx),
    ]
    stack = np.array(mats).astype(dtype)
    x = matinv.inv(stack, assume_a="auto")
    for k, a in enumerate(stack):
        assert accuracy_ratio(a, x[k], dtype) < THRESHOLD, k
    if n > 1:
        assert np.all(x[0][~np.eye(n, dtype=bool)] == 0)
        assert np.all(np.tril(x[1], -1) == 0) and np.all(np.triu(x[2], 1) == 0)
        if is_complex(dtype):  # Cholesky: exactly Hermitian
            assert np.array_equal(x[3], x[3].conj().T)
        else:  # real ones take the general kernels, faster there
            assert np.array_equal(x[3], matinv.inv(stack[3]))
    # General matrices: the general path's bits, alone and in a stack of them.
    assert np.array_equal(x[-1], matinv.inv(stack[-1]))
    general = gaussian(rng, (50, n, n), cplx).astype(dtype)
    assert np.array_equal(matinv.inv(general, assume_a="auto"), matinv.inv(general))
    ex, exg = matinv.inv_ex(general, assume_a="auto"), matinv.inv_ex(general)
    assert np.array_equal(ex.rcond, exg.rcond) and np.array_equal(ex.info, exg.info)


def test_auto_singular_and_indefinite():
    # Triangular with a zero on the diagonal: singular at it (trtri's info).
    a = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 4.0], [0.0, 0.0, 5.0]])
    with pytest.raises(matinv.LinAlgError, match="^Singular matrix$"):
        matinv.inv(a, assume_a="auto")
    assert matinv.inv_ex(a, assume_a="auto").info == 2
    # Symmetric, positive diagonal, indefinite: Cholesky fails, LU answers (no error).
    s = np.array([[1.0, 2.0], [2.0, 1.0]])
    assert np.allclose(matinv.inv(s, assume_a="auto"), np.linalg.inv(s))


# ------------------------------------------------------------------------------------
# stacks, layouts, dtypes, subclasses
# ------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["C", "F", "strided", "broadcast"])
@pytest.mark.parametrize("n", [2, 4, 8, 33])
@pytest.mark.parametrize("kind", KINDS + ["auto", "general"])
def test_stacks_and_layouts(kind, n, layout):
    dtype = np.float64
    rng = np.random.default_rng(seed_of(f"stack-{kind}-{n}-{layout}"))
    src = "pos" if kind in ("auto", "general") else kind
    variant = {"diagonal": "plain", "upper triangular": "mild", "lower triangular": "mild"}
    pairs = [
        implied_and_stored(rng, src, n, dtype, variant.get(src, "1e4:pd-upper")) for _ in range(6)
    ]
    stored = np.array([p[1] if kind not in ("auto", "general") else p[0] for p in pairs])
    stored = stored.reshape(2, 3, n, n)
    if layout == "F":
        stored = np.asfortranarray(stored.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)
    elif layout == "strided":
        buf = np.zeros((2, 6, n, 2 * n))
        buf[:, ::2, :, ::2] = stored
        stored = buf[:, ::2, :, ::2]
    elif layout == "broadcast":
        stored = np.broadcast_to(stored[:1, :1], (2, 3, n, n))
    x = matinv.inv(stored, assume_a=kind)
    assert x.shape == stored.shape and x.flags.c_contiguous
    for idx in np.ndindex(2, 3):
        one = matinv.inv(np.ascontiguousarray(stored[idx]), assume_a=kind)
        assert np.array_equal(x[idx], one), idx


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
@pytest.mark.parametrize("kind", KINDS + ["auto"])
def test_numpy_contract(kind):
    a = [[4, 1], [1, 3]]  # ints, a list: float64, as inv
    x = matinv.inv(a, assume_a=kind)
    assert type(x) is np.ndarray and x.dtype == np.float64
    m = matinv.inv(np.matrix(a, dtype=np.float32), assume_a=kind)
    assert type(m) is np.matrix and m.dtype == np.float32
    assert matinv.inv(np.zeros((0, 3, 3)), assume_a=kind).shape == (0, 3, 3)
    assert matinv.inv(np.zeros((2, 0, 0), np.complex64), assume_a=kind).dtype == np.complex64
    with pytest.raises(matinv.LinAlgError, match="Last 2 dimensions"):
        matinv.inv(np.ones((2, 3)), assume_a=kind)
    with pytest.raises(TypeError, match="Cannot cast ufunc 'inv' input"):
        matinv.inv(np.full((2, 2), "1", dtype="U3"), assume_a=kind)
    # float16, which numpy refuses: computed in double, rounded once.
    x16 = matinv.inv(2 * np.eye(3, dtype=np.float16), assume_a=kind)
    assert x16.dtype == np.float16
    np.testing.assert_array_equal(x16, 0.5 * np.eye(3))
    a = np.array([[4.0, 1.0], [1.0, 3.0]])
    before = a.copy()
    matinv.inv(a, assume_a=kind)
    assert np.array_equal(a, before)
    # Non-native byte order and unaligned input.
    assert np.array_equal(matinv.inv(a.astype(">f8"), assume_a=kind), matinv.inv(a, assume_a=kind))
    buf = np.zeros(8 * 4 + 1, np.uint8)[1:].view(np.float64).reshape(2, 2)
    buf[...] = a
    assert np.array_equal(matinv.inv(buf, assume_a=kind), matinv.inv(a, assume_a=kind))


def test_unknown_assume_a():
    msg = (
        "assume_a must be one of 'general', 'diagonal', 'upper triangular', "
        "'lower triangular', 'pos', 'sym', 'her', 'auto'; got 'foo'"
    )
    for f in (matinv.inv, matinv.inv_ex):
        with pytest.raises(ValueError) as e:
            f(np.eye(2), assume_a="foo")
        assert str(e.value) == msg
        # Checked before anything else, as scipy does (not a LinAlgError for the shape).
        with pytest.raises(ValueError, match="assume_a must be one of") as e:
            f([1.0, 2.0], assume_a=None)
        assert not isinstance(e.value, matinv.LinAlgError)
    with pytest.raises(ValueError, match="got 'foo'"):
        matinv._matinv.inv(np.eye(2), 0, np.empty((2, 2)), False, "foo")


def test_general_and_alias_are_the_default_path():
    a = np.random.default_rng(1).standard_normal((5, 6, 6))
    x = matinv.inv(a)
    for name in ("general", "gen", "".join(["gen", "eral"])):
        assert np.array_equal(matinv.inv(a, assume_a=name), x)
        assert np.array_equal(matinv.inv_ex(a, assume_a=name).inv, x)
    with pytest.raises(matinv.LinAlgError, match="^Singular matrix$"):
        matinv.inv([[1.0, 2.0], [2.0, 4.0]], assume_a="gen")


# ------------------------------------------------------------------------------------
# failures: singular, not positive definite, errstate
# ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["diagonal", "upper triangular", "lower triangular"])
def test_zero_on_the_diagonal(kind):
    a = np.array(
        [
            [[2.0, 1.0, 1.0], [1.0, 2.0, 1.0], [1.0, 1.0, 2.0]],
            [[2.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]],
        ]
    )
    with pytest.raises(matinv.LinAlgError, match="^Singular matrix$"):
        matinv.inv(a, assume_a=kind)
    x, info, rcond = matinv.inv_ex(a, assume_a=kind)
    assert info.tolist() == [0, 2] and rcond[1] == 0 and rcond[0] > 0
    assert np.all(np.isnan(x[1])) and np.all(np.isfinite(x[0]))
    with matinv.errstate(singular="nan"):
        assert np.array_equal(matinv.inv(a, assume_a=kind), x, equal_nan=True)
    with matinv.errstate(singular="warn"):
        with pytest.warns(
            matinv.LinAlgWarning,
            match=r"Singular matrix: 1 matrix at index 1 "
            r"\(zero pivot in column 2\)",
        ) as w:
            matinv.inv(a, assume_a=kind)
    assert w[0].filename == __file__


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("n", [3, 40])
def test_not_positive_definite(dtype, n):
    rng = np.random.default_rng(n)
    good = hermitian(rng, np.linspace(1, 2, n), is_complex(dtype))
    bad = good.copy()
    bad[2, 2] = -5.0  # the leading minor of order 3 is indefinite, those before are fine
    a = np.array([good, bad]).astype(dtype)
    with pytest.raises(matinv.LinAlgError, match="^Matrix is not positive definite$"):
        matinv.inv(a, assume_a="pos")
    x, info, rcond = matinv.inv_ex(a, assume_a="pos")
    assert info.tolist() == [0, 3] and rcond[1] == 0
    assert np.all(np.isnan(x[1]))
    with matinv.errstate(singular="warn"):
        with pytest.warns(
            matinv.LinAlgWarning,
            match=r"Matrix is not positive definite: "
            r"1 matrix at index 1 \(leading minor of order 3\)",
        ) as w:
            y = matinv.inv(a, assume_a="pos")
    assert w[0].filename == __file__
    assert np.array_equal(x, y, equal_nan=True)
    # 'sym' / 'her' fall back to LU: an inverse (of the matrix read from the upper
    # triangle, here the whole matrix), Cholesky's for the good one.
    kind = "her" if is_complex(dtype) else "sym"
    z = matinv.inv(a, assume_a=kind)
    assert np.array_equal(z[0], z[0].conj().T)
    assert accuracy_ratio(a[1], z[1], dtype) < THRESHOLD


def test_sym_her_singular_via_lu():
    a = np.array([[0.0, 0.0], [0.0, 1.0]])
    for kind in ("sym", "her"):
        with pytest.raises(matinv.LinAlgError, match="^Singular matrix$"):
            matinv.inv(a, assume_a=kind)
        assert matinv.inv_ex(a, assume_a=kind).info == 1


def test_ill_conditioned_errstate():
    a = np.diag([1.0, 1e-20])
    with matinv.errstate(ill_conditioned="raise"):
        with pytest.raises(matinv.LinAlgError, match="Ill-conditioned"):
            matinv.inv(a, assume_a="diagonal")
    with matinv.errstate(ill_conditioned="warn"):
        with pytest.warns(matinv.LinAlgWarning, match="Ill-conditioned") as w:
            matinv.inv(a, assume_a="pos")
    assert w[0].filename == __file__


def test_threads_give_the_same_bits():
    rng = np.random.default_rng(5)
    a = np.array([hermitian(rng, np.linspace(1, 3, 24), False) for _ in range(200)])
    for kind in ("pos", "upper triangular", "auto"):
        with matinv.threads(1):
            one = matinv.inv(a, assume_a=kind)
        with matinv.threads(2):
            two = matinv.inv(a, assume_a=kind)
        assert np.array_equal(one, two), kind


@pytest.mark.parametrize("kind", ["pos", "upper triangular", "lower triangular", "sym", "auto"])
def test_threads_inside_one_matrix_give_the_same_bits(kind):
    # One matrix from n = 448 runs all threads inside it, as in the general path; threads
    # must change neither the bits nor the accuracy. (auto: a general matrix, then an SPD.)
    rng = np.random.default_rng(9)
    n = 500
    b = rng.standard_normal((n, n))
    spd = b @ b.T / n + np.eye(n)
    tri = np.triu(rng.standard_normal((n, n)) / np.sqrt(n), 1) + np.diag(rng.uniform(1, 2, n))
    inputs = {
        "pos": [spd],
        "upper triangular": [tri],
        "lower triangular": [tri.T.copy()],
        "sym": [(b + b.T) / 2],
        "auto": [b, spd],
    }[kind]
    for a in inputs:
        results = []
        for k in (1, 2, 3):
            with matinv.threads(k):
                results.append(matinv.inv(a, assume_a=kind))
        for got in results[1:]:
            assert np.array_equal(got, results[0]), kind
        assert accuracy_ratio(a, results[0], np.float64) < THRESHOLD
