"""The exact inverse of a stored matrix, in rational arithmetic: the reference both the
precision tests (tests/test_precision.py) and the precision benchmark
(bench/bench_precision.py) measure against. One copy, here; the benchmark puts tests/ on
its path to import it."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

Exact = list[list[Any]]  # Fractions, or mpmath numbers


def exact_inverse(a: np.ndarray) -> Exact:
    """The exact inverse of the stored matrix `a` (float64 or longdouble entries, each a
    Fraction exactly): Gauss-Jordan in rational arithmetic, any nonzero pivot."""
    n = a.shape[0]
    m = [
        [Fraction(*x.as_integer_ratio()) for x in row] + [Fraction(int(i == j)) for j in range(n)]
        for i, row in enumerate(a)
    ]
    for c in range(n):
        p = next(r for r in range(c, n) if m[r][c] != 0)
        m[c], m[p] = m[p], m[c]
        pivot = m[c][c]
        m[c] = [x / pivot for x in m[c]]
        for r in range(n):
            if r != c and m[r][c] != 0:
                f = m[r][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c], strict=True)]
    return [row[n:] for row in m]


def norm1(m: Exact) -> Any:
    """The 1-norm (largest column sum of magnitudes) of a square list-of-lists matrix, in
    its entries' own arithmetic."""
    n = len(m)
    return max(sum(abs(m[i][j]) for i in range(n)) for j in range(n))
