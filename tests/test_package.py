"""The package ships what it promises: stubs that match the native module, py.typed."""

import ast
import inspect
import pathlib
import subprocess
import sys

import matinv
from matinv import _matinv

PACKAGE = pathlib.Path(matinv.__file__).parent


def stub_functions():
    tree = ast.parse((PACKAGE / "_matinv.pyi").read_text())
    return {
        node.name: [a.arg for a in node.args.args + [node.args.vararg] + node.args.kwonlyargs if a]
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }


def test_stub_names_match_the_native_module():
    native = {name for name in dir(_matinv) if not name.startswith("_")}
    assert set(stub_functions()) == native


def test_stub_signatures_match_the_native_module():
    for name, params in stub_functions().items():
        sig = inspect.signature(getattr(_matinv, name))
        assert list(sig.parameters) == params, name


def test_py_typed_is_shipped():
    assert (PACKAGE / "py.typed").exists()


def test_public_names_exist():
    for name in matinv.__all__:
        assert hasattr(matinv, name), name


def test_import_matinv_does_not_import_dask():
    # dask is optional (matinv[dask]); only `import matinv.dask` may load it.
    code = "import sys, matinv; matinv.inv([[1.0]]); print('dask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
