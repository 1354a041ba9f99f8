"""The core crate's layers, read from its source: every `crate::` path in code (doc
comments and test modules aside) names a module of the same layer or one below, so the
dependencies between layers point one way (docs/design.md, "Layers"). Skipped when the
source tree is not next to `tests/` (an installed copy of the tests)."""

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "crates" / "matinv" / "src"

pytestmark = pytest.mark.skipif(not SRC.is_dir(), reason="no source tree")

# Bottom to top. Within a layer modules may use each other.
LAYERS = [
    # Plain data and utilities: what a call asks for and gets, element types, layouts.
    {
        "alloc",
        "crew",
        "double_double",
        "element",
        "error",
        "fork",
        "layout",
        "params",
        "request",
        "scaling",
        "simd",
        "status",
        "threads",
        "tiling",
    },
    {"kernels"},  # one algorithm per file, on plain slices
    {"plan"},  # which kernel, which threads
    {"cond", "driver", "extended", "general", "in_place", "lu", "structured", "svd"},  # drivers
    {"instances"},  # the drivers compiled once per element type
    {"inverse", "lib"},  # the public inverse
]
LAYER = {module: k for k, layer in enumerate(LAYERS) for module in layer}


def code_of(path):
    """The file's code: comment lines dropped, and everything from its test module on."""
    text = path.read_text()
    text = re.split(r"#\[cfg\(test\)\]\s*(?:pub\(crate\) )?mod tests", text)[0]
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


def module_of(path):
    return path.relative_to(SRC).parts[0].removesuffix(".rs")


def test_every_module_has_a_layer():
    modules = {module_of(p) for p in SRC.rglob("*.rs")}
    assert modules == set(LAYER), "LAYERS lists every module of crates/matinv/src"


def test_dependencies_point_down():
    upward = []
    for path in sorted(SRC.rglob("*.rs")):
        here = module_of(path)
        for used in sorted(set(re.findall(r"crate::([a-z_]+)", code_of(path)))):
            if used in LAYER and used != here and LAYER[used] > LAYER[here]:
                upward.append(f"{path.relative_to(SRC)} ({here}) uses crate::{used}")
    assert not upward, "dependencies that point up:\n" + "\n".join(upward)


def test_the_element_types_name_no_driver():
    # The review's case: `Element` had the drivers' trait (instances) as a supertrait.
    code = code_of(SRC / "element.rs")
    for driver in (
        "instances",
        "general",
        "structured",
        "svd",
        "cond",
        "driver",
        "in_place",
        "extended",
    ):
        assert f"crate::{driver}" not in code, driver


def test_faer_stays_out_of_the_public_names():
    # Issue 26: `Field` (whose supertrait is faer's `ComplexField`) was public, so a faer
    # release would have been a matinv one. The crate's public names are its `pub use`
    # lines; none may be `Field` or come from faer, and `Element` names no faer trait.
    lib = code_of(SRC / "lib.rs")
    exported = re.findall(r"pub use ([^;]+);", lib)
    assert exported, "lib.rs re-exports the public API"
    for line in exported:
        assert "faer" not in line, line
        assert not re.search(r"\bField\b", line), line
    element = code_of(SRC / "element.rs")
    start = element.index("pub trait Element")
    header = element[start : element.index("{", start)]
    assert "faer" not in header, header
    # Nor anything reachable through it: a `type Compute: Field` in `Element` made faer's
    # `ComplexField` an implied bound of `T::Compute` for every `T: Element` (the trait
    # ends at the first line that closes it, `}` in column 0).
    body = element[start : element.index("\n}", start)]
    for name in ("Field", "Compute", "Widened", "faer"):
        assert not re.search(rf"\b{name}\b", body), (name, body)
    for line in exported:
        assert not re.search(r"\bWidened\b", line), line
