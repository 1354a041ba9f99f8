"""The package ships what it promises: stubs that match the native module, py.typed."""

import ast
import inspect
import pathlib

import matinv
from matinv import _matinv

PACKAGE = pathlib.Path(matinv.__file__).parent


def stub_functions():
    tree = ast.parse((PACKAGE / "_matinv.pyi").read_text())
    return {
        node.name: [a.arg for a in node.args.args]
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
