"""numpy's own ``inv`` tests, run against ``matinv.inv``.

numpy ships its linalg tests inside the installed package.  ``InvCases.do`` and the
``TestInv`` methods call ``linalg.inv``, where ``linalg`` is a global of
``numpy.linalg.tests.test_linalg`` (``from numpy import linalg``); ``TestInvMatrix`` (in
``numpy.matrixlib.tests.test_matrix_linalg``) inherits ``do`` from ``InvCases``, so its
calls resolve through the same global.  The fixture below replaces that global, for the
duration of each test, with a namespace whose ``inv`` is ``matinv.inv`` (wrapped in a call
counter) and whose every other attribute is ``numpy.linalg``'s.

The numpy test modules are imported as modules (never their classes by name), so pytest
collects the numpy classes here only through the subclasses defined in this file.
"""

import types
import warnings

import numpy as np
import numpy.linalg.tests.test_linalg as _np_test_linalg
import pytest

import matinv

_MATRIX_WARNING = "the matrix subclass is not the recommended way"

with warnings.catch_warnings():
    # the module builds np.matrix cases at import; pyproject turns warnings into errors
    warnings.filterwarnings("ignore", _MATRIX_WARNING, PendingDeprecationWarning)
    import numpy.matrixlib.tests.test_matrix_linalg as _np_test_matrix_linalg

pytestmark = pytest.mark.filterwarnings(f"ignore:{_MATRIX_WARNING}:PendingDeprecationWarning")


class _MatinvLinalg(types.ModuleType):
    """Stand-in for ``numpy.linalg``: ``inv`` is matinv's (counted), the rest is numpy's."""

    def __init__(self):
        super().__init__("numpy.linalg")  # same name, so reprs in messages look the same
        self.matinv_calls = 0
        self.numpy_inv_calls = 0

    def inv(self, a):
        self.matinv_calls += 1
        return matinv.inv(a)

    def __getattr__(self, name):
        return getattr(np.linalg, name)


def _patch(monkeypatch):
    fake = _MatinvLinalg()
    assert _np_test_linalg.linalg is np.linalg  # the global the numpy tests resolve
    monkeypatch.setattr(_np_test_linalg, "linalg", fake)
    return fake


class _UsesMatinv:
    """Mixin: route the numpy tests' ``linalg.inv`` to matinv, and check it was used."""

    # numpy tests of this class that legitimately select no case at all (so call no inv)
    _TESTS_WITHOUT_CASES = frozenset()

    @pytest.fixture(autouse=True)
    def _route_inv_to_matinv(self, monkeypatch, request):
        fake = _patch(monkeypatch)
        yield fake
        if request.node.originalname in self._TESTS_WITHOUT_CASES:
            assert fake.matinv_calls == 0
        else:
            # every other inv test of numpy's calls inv: prove it reached matinv's
            assert fake.matinv_calls > 0, "the numpy test never reached matinv.inv"


class TestInvNumpySuite(_UsesMatinv, _np_test_linalg.TestInv):
    """numpy.linalg.tests.test_linalg.TestInv (all of InvCases, plus its own tests)."""


class TestInvMatrixNumpySuite(_UsesMatinv, _np_test_matrix_linalg.TestInvMatrix):
    """numpy.matrixlib.tests.test_matrix_linalg.TestInvMatrix (np.matrix cases)."""

    # numpy makes no generalized (stacked) np.matrix cases, so these two select nothing
    _TESTS_WITHOUT_CASES = frozenset(
        {"test_generalized_sq_cases", "test_generalized_empty_sq_cases"}
    )


def test_numpy_matrix_cases_have_no_generalized_ones():
    """Backs ``_TESTS_WITHOUT_CASES`` above: numpy's matrix cases are all 2-d."""
    cases = TestInvMatrixNumpySuite.TEST_CASES
    assert not any("generalized" in case.tags for case in cases)
    assert any(isinstance(case.a, np.matrix) for case in cases)


def test_byteorder_check_numpy_suite(monkeypatch):
    """numpy's module-level ``test_byteorder_check`` (inv, det, pinv) with matinv's inv."""
    fake = _patch(monkeypatch)
    _np_test_linalg.test_byteorder_check()
    assert fake.matinv_calls > 0


def test_patched_suite_really_calls_matinv(monkeypatch):
    """Run one numpy case through the patched ``do`` and count the calls that reach
    ``matinv.inv`` itself (not just our wrapper), and that numpy's inv is not called."""
    calls = {"matinv": 0, "numpy": 0}
    real_matinv_inv = matinv.inv
    real_numpy_inv = np.linalg.inv

    def counting_matinv_inv(a):
        calls["matinv"] += 1
        return real_matinv_inv(a)

    def counting_numpy_inv(a):
        calls["numpy"] += 1
        return real_numpy_inv(a)

    monkeypatch.setattr(matinv, "inv", counting_matinv_inv)
    monkeypatch.setattr(np.linalg, "inv", counting_numpy_inv)
    fake = _patch(monkeypatch)

    suite = TestInvNumpySuite()
    suite.test_sq_cases()  # every square, non-generalized case of numpy's
    assert calls["matinv"] > 0
    assert calls["matinv"] == fake.matinv_calls
    assert calls["numpy"] == 0

    before = calls["matinv"]
    suite.test_types(np.float32)
    assert calls["matinv"] == before + 1
    assert calls["numpy"] == 0


def test_patched_suite_detects_a_wrong_inv(monkeypatch):
    """The routed tests are not vacuous: a broken inv makes numpy's checks fail."""
    fake = _patch(monkeypatch)
    monkeypatch.setattr(fake, "inv", lambda a: matinv.inv(a) * 2, raising=False)
    with pytest.raises(AssertionError):
        TestInvNumpySuite().test_sq_cases()


def test_originals_not_collected_by_name():
    """Only our subclasses carry the numpy test classes into this module's namespace."""
    names = set(globals())
    assert "TestInv" not in names
    assert "TestInvMatrix" not in names
    assert "InvCases" not in names
