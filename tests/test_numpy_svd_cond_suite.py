"""numpy's own ``svd``, ``svdvals`` and ``cond`` tests, run against matinv's.

As in ``test_numpy_suite.py`` (which does this for ``inv``): numpy's test classes call
``linalg.svd`` / ``linalg.cond`` through the module global ``linalg`` of
``numpy.linalg.tests.test_linalg``; the fixture swaps that global for a namespace whose
``svd``, ``svdvals`` and ``cond`` are matinv's (counted) and whose every other attribute is
numpy's. The matrix variants (``np.matrix`` cases) inherit ``do`` from the same classes.
"""

import types
import warnings

import numpy as np
import numpy.linalg.tests.test_linalg as _np_test_linalg
import pytest

import matinv

_MATRIX_WARNING = "the matrix subclass is not the recommended way"

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", _MATRIX_WARNING, PendingDeprecationWarning)
    import numpy.matrixlib.tests.test_matrix_linalg as _np_test_matrix_linalg

pytestmark = pytest.mark.filterwarnings(f"ignore:{_MATRIX_WARNING}:PendingDeprecationWarning")

_ROUTED = ("svd", "svdvals", "cond")


class _MatinvLinalg(types.ModuleType):
    """Stand-in for ``numpy.linalg``: svd, svdvals and cond are matinv's, counted."""

    def __init__(self):
        super().__init__("numpy.linalg")
        self.calls = dict.fromkeys(_ROUTED, 0)

    def __getattr__(self, name):
        if name in _ROUTED:

            def routed(*args, **kwargs):
                self.calls[name] += 1
                return getattr(matinv, name)(*args, **kwargs)

            return routed
        return getattr(np.linalg, name)


def _patch(monkeypatch):
    fake = _MatinvLinalg()
    assert _np_test_linalg.linalg is np.linalg
    monkeypatch.setattr(_np_test_linalg, "linalg", fake)
    return fake


class _UsesMatinv:
    # tests of the class that legitimately select no case (so call nothing)
    _TESTS_WITHOUT_CASES = frozenset()

    @pytest.fixture(autouse=True)
    def _route_to_matinv(self, monkeypatch, request):
        fake = _patch(monkeypatch)
        yield fake
        if request.node.originalname in self._TESTS_WITHOUT_CASES:
            assert sum(fake.calls.values()) == 0
        else:
            assert sum(fake.calls.values()) > 0, "the numpy test never reached matinv"


_NO_GENERALIZED_MATRIX_CASES = frozenset(
    {"test_generalized_sq_cases", "test_generalized_empty_sq_cases"}
)


class TestSVDNumpySuite(_UsesMatinv, _np_test_linalg.TestSVD):
    """numpy's TestSVD: every square and stacked case, dtypes, empty identities, svdvals."""


class TestSVDHermitianNumpySuite(_UsesMatinv, _np_test_linalg.TestSVDHermitian):
    """numpy's TestSVDHermitian: Hermitian cases through the eigendecomposition path."""


class TestCondNumpySuite(_UsesMatinv, _np_test_linalg.TestCond):
    """numpy's TestCond: every p, stacks, dtypes, singular and stacked singular."""


class TestSVDMatrixNumpySuite(_UsesMatinv, _np_test_matrix_linalg.TestSVDMatrix):
    """numpy's TestSVDMatrix (np.matrix cases)."""

    _TESTS_WITHOUT_CASES = _NO_GENERALIZED_MATRIX_CASES


class TestCondMatrixNumpySuite(_UsesMatinv, _np_test_matrix_linalg.TestCondMatrix):
    """numpy's TestCondMatrix (np.matrix cases)."""

    _TESTS_WITHOUT_CASES = _NO_GENERALIZED_MATRIX_CASES


def test_routed_suites_detect_a_wrong_svd(monkeypatch):
    """Not vacuous: singular values off by a little make numpy's checks fail."""
    fake = _patch(monkeypatch)

    def wrong_svd(a, full_matrices=True, compute_uv=True, hermitian=False):
        u, s, vh = matinv.svd(a, full_matrices, True, hermitian)
        return u, s * (1 + 1e-6), vh

    monkeypatch.setattr(fake, "svd", wrong_svd, raising=False)
    with pytest.raises(AssertionError):
        TestSVDNumpySuite().test_sq_cases()


def test_routed_suites_detect_a_wrong_cond(monkeypatch):
    fake = _patch(monkeypatch)
    monkeypatch.setattr(fake, "cond", lambda a, p=None: matinv.cond(a, p) * 1.001, raising=False)
    with pytest.raises(AssertionError):
        TestCondNumpySuite().test_sq_cases()


def test_originals_not_collected_by_name():
    names = set(globals())
    assert not names & {
        "TestSVD",
        "TestCond",
        "TestSVDHermitian",
        "TestSVDMatrix",
        "TestCondMatrix",
    }


def test_numpy_nan_intent_holds(monkeypatch):
    """numpy's TestCond.test_nan is marked xfail-not-run because its LAPACK raises for NaN;
    it states the intended behaviour (NaN passed through, stacks unaffected), which matinv's
    cond has: run its body against matinv."""
    fake = _patch(monkeypatch)
    TestCondNumpySuite().test_nan()
    assert fake.calls["cond"] > 0
