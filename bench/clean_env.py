"""The benchmarks' first import: re-executes the script without the OpenBLAS overrides
(``OPENBLAS_CORETYPE``, ``OPENBLAS_L2_SIZE``) that slow numpy's OpenBLAS, before numpy is
loaded; Dask workers started by the script inherit the cleaned environment."""

import os
import sys

OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def reexec_without_openblas_overrides(script: str) -> None:
    """Replace this process by `script` run again without the overrides, if any is set."""
    if any(k in os.environ for k in OPENBLAS_OVERRIDES):
        env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_OVERRIDES}
        print("[bench] re-executing without " + " / ".join(OPENBLAS_OVERRIDES), file=sys.stderr)
        os.execve(sys.executable, [sys.executable, os.path.abspath(script), *sys.argv[1:]], env)
