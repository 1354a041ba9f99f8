"""The instruction set matinv's kernels run under (`instruction_set`), and the check, at
import, of ``MATINV_ISA``, the environment variable that caps it."""

from __future__ import annotations

import os
import warnings

from . import _matinv

__all__ = ["NAMES", "instruction_set"]

# The values the core accepts for MATINV_ISA, case and surrounding spaces ignored ("scalar"
# is "baseline"'s other name); it ignores every other one (tests/test_isa.py checks both).
NAMES = ("baseline", "scalar", "avx2", "avx512", "avx-512")


def instruction_set() -> str:
    """The instruction set matinv's own kernels run under: ``"avx512"``, ``"avx2"`` or
    ``"baseline"`` (x86-64's SSE2; always ``"baseline"`` on other architectures).

    On x86-64 it is the widest this CPU has, capped by the ``MATINV_ISA`` environment
    variable (``baseline``, ``avx2`` or ``avx512``, read once, the first time matinv picks
    a set: its first inverse, or this function). Every set computes the same inverses, bit
    for bit (NaN payloads aside), which the test suite checks on the sets its machine has,
    so the cap serves to test and to compare speed. The matrix products that the blocked inverses
    of larger matrices borrow from faer pick their own instruction set.

    >>> import matinv
    >>> matinv.instruction_set() in ("avx512", "avx2", "baseline")
    True
    """
    return str(_matinv.instruction_set())


def _check_env() -> None:
    """Warns about a ``MATINV_ISA`` the core will ignore: a warning, not an error, as for
    ``MATINV_NUM_THREADS`` (an import that fails would leave a half-imported matinv)."""
    value = os.environ.get("MATINV_ISA", "")
    if value.strip() and value.strip().lower() not in NAMES:
        warnings.warn(
            f"MATINV_ISA must be one of 'baseline', 'avx2' or 'avx512', got {value!r}: "
            "ignored, matinv uses the widest instruction set this CPU has",
            RuntimeWarning,
            stacklevel=2,
        )


_check_env()
