"""matinv: ``numpy.linalg.inv`` rebuilt in Rust.

``matinv.inv(a)`` is a drop-in replacement for ``numpy.linalg.inv(a)``: same result dtypes,
shapes, subclasses, exceptions and messages, computed by a pure-Rust core that works on
strided stacks of matrices without copying them whole and releases the GIL while it runs.

The package, one module per concern: `_inv` (``inv``, ``inv_ex``), `_svd` (``svd``,
``svdvals``, ``cond``), `_trust` (``errstate``, ``LinAlgWarning``), `_threads` (thread
control), `_isa` (``instruction_set``, ``MATINV_ISA``), `_dtypes` (numpy's dtype rules),
`_assume_a` (the structure names), `_dispatch` (``__array_function__`` types),
`_native` (every call into the native module `_matinv`, which checks ``out=``),
`_patch` (numpy's own ``inv`` computed by matinv), `_threadpool` (threadpoolctl's view of
matinv's threads), `_fork` (locks a forked child finds free), and `dask` (lazy inverses,
imported on demand).
"""

from numpy.linalg import LinAlgError

from ._inv import InvExResult, inv, inv_ex
from ._isa import instruction_set
from ._matinv import __version__ as __version__
from ._patch import is_patched, patch_numpy, patched_numpy, unpatch_numpy
from ._svd import SVDResult, cond, svd, svdvals
from ._threads import get_num_threads, set_num_threads, threads
from ._trust import LinAlgWarning, errstate

# isort: split
# Last, as it registers matinv with threadpoolctl: a controller registered by an import
# that then failed would make threadpoolctl call a half-imported matinv for good.
from . import _threadpool as _threadpool

__all__ = [
    "inv",
    "inv_ex",
    "cond",
    "svd",
    "svdvals",
    "SVDResult",
    "InvExResult",
    "errstate",
    "LinAlgError",
    "LinAlgWarning",
    "set_num_threads",
    "get_num_threads",
    "threads",
    "instruction_set",
    "patch_numpy",
    "unpatch_numpy",
    "is_patched",
    "patched_numpy",
]
