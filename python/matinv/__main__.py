"""``python -m matinv run``: run an unmodified Python program with numpy patched
(``matinv.patch_numpy()``), so its every call of numpy's inverse computes with matinv.

    python -m matinv run script.py ARGS...     # as ``python script.py ARGS...``
    python -m matinv run -m module ARGS...     # as ``python -m module ARGS...``

The program sees the ``sys.argv`` and ``sys.path[0]`` that plain ``python`` would give it,
and its exit status is this command's. Its child processes are patched too: the command
sets ``MATINV_PATCH_NUMPY=1``, which they inherit, and the wheel's
``matinv_patch_numpy.pth`` patches every Python process of the environment that starts
with it (``spawn`` and ``forkserver`` children, pytest-xdist workers, subprocesses);
``fork`` children inherit the patched process.
"""

from __future__ import annotations

import importlib.util
import os
import runpy
import sys
from collections.abc import Sequence

# Read by matinv_patch_numpy.pth at every interpreter start-up.
PATCH_ENV = "MATINV_PATCH_NUMPY"

USAGE = """\
usage: python -m matinv run script.py [ARGS...]
       python -m matinv run -m module [ARGS...]

Runs a Python program with numpy's inv patched to compute with matinv
(matinv.patch_numpy()); the program's arguments, sys.argv and exit status are its own."""


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] in (["-h"], ["--help"]):
        print(USAGE)
        return 0
    if not args or args[0] != "run" or len(args) < 2 or args[1:] == ["-m"]:
        print(USAGE, file=sys.stderr)
        return 2
    import matinv

    matinv.patch_numpy()
    os.environ[PATCH_ENV] = "1"
    if args[1] == "-m":
        module, rest = args[2], args[3:]
        try:
            spec = importlib.util.find_spec(module)
        except ImportError:
            spec = None
        if spec is None:
            print(f"{sys.executable}: No module named {module}", file=sys.stderr)
            return 1
        # As `python -m module`: sys.path[0] is the current directory (it already is, for
        # `python -m matinv`), sys.argv[0] becomes the module's file (runpy sets it).
        sys.argv = [module, *rest]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    else:
        script, rest = args[1], args[2:]
        if not os.path.exists(script):
            print(
                f"{sys.executable}: can't open file {os.path.abspath(script)!r}: "
                "[Errno 2] No such file or directory",
                file=sys.stderr,
            )
            return 2
        # As `python script.py`: sys.path[0] is the script's directory.
        sys.argv = [script, *rest]
        sys.path[0] = os.path.dirname(os.path.abspath(script))
        runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
