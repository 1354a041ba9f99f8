"""The names `inv`'s ``assume_a`` accepts: scipy 1.17's, and its alias 'gen'.

`AssumeA` is the one list in the package (the names for type checkers; `NAMES` is read
from it); ``tests/test_package_layout.py`` checks that the native module accepts every
name in it and maps the alias as here.
"""

from __future__ import annotations

from typing import Literal, get_args

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
ALIASES: dict[str, str] = {"gen": GENERAL}
NAMES: tuple[str, ...] = tuple(name for name in get_args(AssumeA) if name not in ALIASES)


def canonical(assume_a: object) -> str:
    """The canonical name of `assume_a`, or ValueError listing the valid ones."""
    if isinstance(assume_a, str):
        name = ALIASES.get(assume_a, assume_a)
        if name in NAMES:
            return name
    valid = ", ".join(repr(v) for v in NAMES)
    raise ValueError(f"assume_a must be one of {valid}; got {assume_a!r}")
