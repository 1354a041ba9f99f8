"""When an inverse cannot be trusted: `errstate`, `LinAlgWarning`, and how `inv` applies
them to the ``info`` and ``rcond`` of every matrix (`apply`)."""

from __future__ import annotations

import contextlib
import contextvars
import warnings
from collections.abc import Callable, Iterator
from typing import Any, Literal, cast

import numpy as np
from numpy.linalg import LinAlgError
from numpy.typing import NDArray

__all__ = ["DEFAULT", "DOUBLE_DOUBLE_EPS", "LinAlgWarning", "State", "apply", "current", "errstate"]

Singular = Literal["raise", "nan", "warn"]
IllConditioned = Literal["ignore", "warn", "raise"]
State = tuple[Singular, IllConditioned]
"""``(singular, ill_conditioned)``."""

_SINGULAR = ("raise", "nan", "warn")
# The unit roundoff of double-double arithmetic (106 significant bits), in which
# precision="extended" (and longdouble input) is computed.
DOUBLE_DOUBLE_EPS = 2.0**-104
_ILL_CONDITIONED = ("ignore", "warn", "raise")
# The default is compared by identity on `inv`'s fast path, so it is one object.
DEFAULT: State = ("raise", "ignore")
_state: contextvars.ContextVar[State] = contextvars.ContextVar("matinv_errstate", default=DEFAULT)


class LinAlgWarning(RuntimeWarning):
    """An inverse was computed but cannot be trusted: a singular matrix replaced by NaN
    (``errstate(singular='warn')``), or an ill-conditioned one
    (``errstate(ill_conditioned='warn')``)."""


def current() -> State:
    """The ``(singular, ill_conditioned)`` settings in effect here; `DEFAULT` itself when
    no block changed them."""
    return _state.get()


@contextlib.contextmanager
def errstate(
    *,
    singular: Singular | None = None,
    ill_conditioned: IllConditioned | None = None,
) -> Iterator[None]:
    """How `inv` treats singular and ill-conditioned matrices inside the ``with`` block.

    singular : {'raise', 'nan', 'warn'}
        'raise' (numpy's behaviour, the default): `LinAlgError`. 'nan': the singular
        matrices' inverses are NaN, the others are computed. 'warn': as 'nan', and a
        `LinAlgWarning` names the singular matrices.
    ill_conditioned : {'ignore', 'warn', 'raise'}
        What to do when a matrix's reciprocal condition number (1-norm) is below the
        machine epsilon of the result dtype, or NaN (NaN in the input or the inverse):
        nothing (the default, numpy's behaviour), a `LinAlgWarning` naming the matrices
        and their rcond, or `LinAlgError`.

    Settings not given are inherited from the enclosing block. The state is per thread and
    per async context (contextvars).

    >>> import numpy as np, matinv
    >>> with matinv.errstate(singular="nan"):
    ...     matinv.inv(np.array([[[1., 2.], [2., 4.]], [[2., 0.], [0., 2.]]]))
    array([[[nan, nan],
            [nan, nan]],
    <BLANKLINE>
           [[0.5, 0. ],
            [0. , 0.5]]])
    """
    old_singular, old_ill = _state.get()
    new_singular: str = old_singular if singular is None else singular
    new_ill: str = old_ill if ill_conditioned is None else ill_conditioned
    if new_singular not in _SINGULAR:
        raise ValueError(f"singular must be one of {_SINGULAR}, got {new_singular!r}")
    if new_ill not in _ILL_CONDITIONED:
        raise ValueError(f"ill_conditioned must be one of {_ILL_CONDITIONED}, got {new_ill!r}")
    new = cast(State, (new_singular, new_ill))  # both checked just above
    # The default settings as `DEFAULT` itself: `inv`'s fast path and `overwrite_a` test
    # it by identity.
    token = _state.set(DEFAULT if new == DEFAULT else new)
    try:
        yield
    finally:
        _state.reset(token)


def _describe(
    mask: NDArray[np.bool_],
    info_or_rcond: NDArray[np.generic],
    what: Callable[[object], str],
) -> str:
    """'matrix' for a single matrix, else the indices (and values) of the first few."""
    if mask.ndim == 0:
        return f"the matrix{what(info_or_rcond[()])}"
    idx = [tuple(int(i) for i in t) for t in np.argwhere(mask)]
    shown = ", ".join(f"{t[0] if len(t) == 1 else t}{what(info_or_rcond[t])}" for t in idx[:10])
    more = f" and {len(idx) - 10} more" if len(idx) > 10 else ""
    count = "1 matrix" if len(idx) == 1 else f"{len(idx)} matrices"
    return f"{count} at index {shown}{more}"


def apply(
    state: State,
    info: NDArray[np.int32],
    rcond: NDArray[np.float64],
    result_t: np.dtype[Any],
    cholesky: bool = False,
    stacklevel: int = 3,
    extended: bool = False,
) -> None:
    """Raise or warn as `state` says for the matrices `info` and `rcond` describe.

    `cholesky`: `info` counts failed Cholesky factorisations (``assume_a='pos'``), which
    `errstate(singular=...)` treats like singular matrices. `stacklevel`: that of the
    warnings, pointing at the caller of `inv`. `extended`: the inverses were computed in
    double-double arithmetic, which keeps digits down to an rcond of about its unit
    roundoff (`DOUBLE_DOUBLE_EPS`), not the dtype's."""
    singular, ill_conditioned = state
    bad = info > 0
    if bad.any():
        what = "Matrix is not positive definite" if cholesky else "Singular matrix"
        if singular == "raise":
            raise LinAlgError(what)
        if singular == "warn":
            if cholesky:
                where = _describe(bad, info, lambda k: f" (leading minor of order {k})")
            else:
                where = _describe(bad, info, lambda k: f" (zero pivot in column {k})")
            inverse = "its inverse is" if bad.sum() == 1 else "their inverses are"
            warnings.warn(f"{what}: {where}; {inverse} NaN", LinAlgWarning, stacklevel=stacklevel)
    if ill_conditioned == "ignore":
        return
    eps = DOUBLE_DOUBLE_EPS if extended else float(np.finfo(result_t).eps)
    # NaN rcond (NaN in the input or the inverse) is as untrustworthy as a tiny one.
    ill = (info == 0) & ~(rcond >= eps)
    if ill.any():
        where = _describe(ill, rcond, lambda r: f" (rcond={r:.3g})")
        message = (
            f"Ill-conditioned matrix: {where}, below eps={eps:.3g} of "
            f"{'double-double' if extended else result_t.name}; "
            "the inverse may be inaccurate"
        )
        if ill_conditioned == "raise":
            raise LinAlgError(message)
        warnings.warn(message, LinAlgWarning, stacklevel=stacklevel)
