"""The names `inv`'s ``assume_a`` accepts: scipy 1.17's, and its alias 'gen'.

This tuple is the one list in the package; ``tests/test_python_api.py`` checks that the
native module accepts every name in it and maps the alias as here.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["ALIASES", "AssumeA", "GENERAL", "NAMES", "canonical"]

AssumeA = Literal[
    "general",
    "gen",
    "diagonal",
    "upper triangular",
    "lower triangular",
    "pos",
    "sym",
    "her",
    "auto",
]

# The default is compared by identity on `inv`'s fast path, so it is one object.
GENERAL: Literal["general"] = "general"
NAMES: tuple[str, ...] = (
    GENERAL,
    "diagonal",
    "upper triangular",
    "lower triangular",
    "pos",
    "sym",
    "her",
    "auto",
)
ALIASES: dict[str, str] = {"gen": GENERAL}


def canonical(assume_a: object) -> str:
    """The canonical name of `assume_a`, or ValueError listing the valid ones."""
    if isinstance(assume_a, str):
        name = ALIASES.get(assume_a, assume_a)
        if name in NAMES:
            return name
    valid = ", ".join(repr(v) for v in NAMES)
    raise ValueError(f"assume_a must be one of {valid}; got {assume_a!r}")
