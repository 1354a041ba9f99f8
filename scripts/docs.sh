#!/usr/bin/env bash
# The documentation: runs the examples of README.md, docs/*.md and the package's docstrings
# as doctests, builds the Sphinx site from docs/ with warnings as errors
# (docs/_build/html/index.html), and runs `cargo doc` with rustdoc warnings denied.
# Uses the virtualenv ${MATINV_VENV:-.venv} (made if missing; Sphinx 9 needs Python 3.11+)
# and installs the documentation tools into it; builds the extension into it (editable, so
# the docstring doctests can import python/matinv) only when the virtualenv's matinv is not
# that source tree with its native module (scripts/test.sh installs a plain wheel there);
# MATINV_DOCS_REBUILD=1 rebuilds it anyway.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${MATINV_VENV:-.venv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
py="$venv/bin/python"
# Lower bounds: the versions the site was last built and checked with.
"$py" -m pip install -q "numpy>=2" "maturin>=1.7,<2" "pytest>=8" "dask[array]>=2024.1" \
    "sphinx>=9.0" "myst-parser>=5.0" "numpydoc>=1.11"

# The toctree against the pages, links and anchors (README.md, CHANGELOG.md and
# bench/README.md too, which the site does not build), file maps against the tree, the
# README's numbers against the benchmark's results: one test, which scripts/test.sh runs too
# (a page missing from the toctree would only be a warning deep in Sphinx's output).
echo "== docs against the tree (tests/test_docs_drift.py)"
"$py" -m pytest -q -p no:cacheprovider tests/test_docs_drift.py

editable='import pathlib, sys, matinv._matinv as m
sys.exit(pathlib.Path(m.__file__).resolve().parent != pathlib.Path("python/matinv").resolve())'
if [ "${MATINV_DOCS_REBUILD:-0}" = 1 ] || ! "$py" -c "$editable" 2>/dev/null; then
    echo "== build and install the Python package"
    VIRTUAL_ENV="$PWD/$venv" "$venv/bin/maturin" develop -q  # the dist profile (pyproject.toml)
fi

echo "== every public name of matinv (its __all__) in docs/api.md"
"$py" - <<'PY'
import pathlib, sys
import matinv
api = pathlib.Path("docs/api.md").read_text(encoding="utf-8")
missing = [n for n in matinv.__all__ if f"matinv.{n}" not in api]
if missing:
    sys.exit(f"docs/api.md does not document: {', '.join(missing)}")
PY

echo "== doctests (README.md, docs/*.md, docstrings)"
# The pages' examples through docs/_ext/doctest_md.py (only ```python blocks), the
# docstrings' through pytest's --doctest-modules; warnings are errors (pyproject.toml),
# except numpy's notice that np.matrix, whose subclass matinv keeps, is not recommended.
PYTHONPATH="docs/_ext${PYTHONPATH:+:$PYTHONPATH}" "$py" -m pytest -q -p no:cacheprovider -p doctest_md \
    -o doctest_optionflags="NORMALIZE_WHITESPACE ELLIPSIS" \
    -W "ignore:the matrix subclass is not the recommended way:PendingDeprecationWarning" \
    --doctest-modules --ignore=docs/_build --ignore=docs/conf.py --ignore=docs/_ext \
    README.md docs python/matinv

echo "== sphinx-build (warnings are errors)"
rm -rf docs/_build/html docs/_build/doctrees
"$py" -m sphinx -W --keep-going -q -b html -d docs/_build/doctrees docs docs/_build/html

echo "== cargo doc (rustdoc warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps -q

echo "docs: docs/_build/html/index.html, target/doc/matinv/index.html"
