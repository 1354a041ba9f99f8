"""The package's layout: `__init__` re-exports only, no import cycle, one module calls the
native kernels, `matinv.dask` imports no underscore-prefixed name of the package (it does
import public names of private modules), and the `assume_a` names are one list that the
native module agrees with."""

import ast
import pathlib

import numpy as np
import pytest

import matinv
from matinv import _assume_a, _matinv

PACKAGE = pathlib.Path(matinv.__file__).parent
MODULES = {p.stem: ast.parse(p.read_text()) for p in PACKAGE.glob("*.py")}
SUBMODULES = set(MODULES) | {"_matinv"}


def test_init_only_imports_and_lists_names():
    for node in MODULES["__init__"].body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        assert isinstance(node, ast.Assign), ast.dump(node)
        assert [t.id for t in node.targets] == ["__all__"]


def package_imports(tree, module):
    """The package modules `module` imports at its top level (`from . import x`,
    `from .x import y`, `from matinv.x import y`, `import matinv`)."""
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            name = node.module or ""
            if node.level == 1 or name == "matinv" or name.startswith("matinv."):
                name = name.removeprefix("matinv").lstrip(".")
                if name:
                    found.add(name)
                else:
                    modules = {a.name for a in node.names if a.name in SUBMODULES}
                    found |= modules if len(modules) == len(node.names) else {"__init__"}
        elif isinstance(node, ast.Import):
            found |= {"__init__" for a in node.names if a.name == "matinv"}
    found.discard(module)
    return found


def test_no_import_cycle():
    graph = {m: package_imports(t, m) for m, t in MODULES.items()}
    graph["__init__"] -= {"__init__"}
    done, active = set(), []

    def visit(m):
        assert m not in active, f"import cycle: {' -> '.join(active + [m])}"
        if m in done or m not in graph:
            return
        active.append(m)
        for dep in sorted(graph[m]):
            visit(dep)
        active.pop()
        done.add(m)

    for m in graph:
        visit(m)
    # Only `dask` (a leaf nobody imports at top level) may import the package itself.
    assert {m for m, deps in graph.items() if "__init__" in deps} <= {"dask"}


def test_kernels_are_called_from_one_module():
    calls = set()
    for m, tree in MODULES.items():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "_matinv"
                and node.attr.endswith(("_into", "_in_place"))
            ):
                calls.add(m)
    assert calls == {"_native"}


def test_dask_imports_no_underscore_name_of_the_package():
    # Names only: `from matinv._trust import apply` passes (a public name of a private
    # module), `from matinv._trust import _x` and `matinv._x` do not.
    for node in ast.walk(MODULES["dask"]):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "matinv":
                assert not node.attr.startswith("_"), node.attr
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("matinv"):
            assert all(not a.name.startswith("_") for a in node.names), ast.dump(node)


def test_assume_a_names_are_the_native_modules():
    a = np.array([[4.0, 1.0], [1.0, 3.0]])
    for name in _assume_a.NAMES + tuple(_assume_a.ALIASES):
        out = np.empty_like(a)
        assert _matinv.inv(a, 1, out, False, name, False) is not None
        np.testing.assert_array_equal(out, matinv.inv(a, assume_a=name))
    # The alias means what the list says it means.
    for alias, name in _assume_a.ALIASES.items():
        np.testing.assert_array_equal(matinv.inv(a, assume_a=alias), matinv.inv(a, assume_a=name))
    for other in ("General", "triangular", "posdef", ""):
        with pytest.raises(ValueError):
            _matinv.inv(a, 1, np.empty_like(a), False, other, False)
        with pytest.raises(ValueError, match="assume_a must be one of"):
            matinv.inv(a, assume_a=other)
