#!/usr/bin/env bash
# `pip install` from the source distribution, as pip does where no wheel fits: maturin
# sdist, then pip install of that sdist into a fresh virtualenv (pip fetches maturin into
# its isolated build environment, as for any user), then the whole Python suite against the
# installed package, from outside the source tree. This is the published build
# (pyproject.toml's `dist` profile, thin LTO), which scripts/test.sh does not build, so its
# tests run here. CI runs this after scripts/test.sh.
# Needs the tool venv scripts/test.sh makes (for maturin sdist).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
venv=${MATINV_VENV:-.venv}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A target directory of its own, so everything is compiled from the unpacked sdist. (With
# the test build's, cargo found the unpacked crates fresh, since it names them by their
# path inside the workspace and their files were older than that build, and compiled
# nothing: a 30 s "install" that proved nothing about the sdist's sources.)
export CARGO_TARGET_DIR="$tmp/target"
echo "== maturin sdist"
"$venv/bin/maturin" sdist --out "$tmp/sdist"
sdist=$(ls "$tmp"/sdist/matinv-*.tar.gz)
# What the build needs is in it: the lock file, both crates, the Python sources, licenses.
# (The listing is read from a file: `tar | grep -q` under pipefail fails when grep stops
# reading early and tar gets SIGPIPE.)
tar tzf "$sdist" > "$tmp/listing"
for f in Cargo.lock Cargo.toml pyproject.toml README.md LICENSE-MIT LICENSE-APACHE \
    crates/matinv/Cargo.toml crates/matinv-python/Cargo.toml python/matinv/__init__.py \
    python/matinv/_matinv.pyi python/matinv/py.typed; do
    grep -qx "matinv-[^/]*/$f" "$tmp/listing" || { echo "sdist lacks $f"; exit 1; }
done

echo "== pip install the sdist into a fresh virtualenv"
python3 -m venv "$tmp/venv"
py="$tmp/venv/bin/python"
"$py" -m pip install -q --upgrade pip
"$py" -m pip install -q "$sdist[test,dask]" "pytest-xdist>=3.5"

echo "== pytest against it"
bash scripts/pytest_installed.sh "$py" "$@"
cd "$tmp"
"$py" -c "import matinv; print(matinv.__version__, matinv.inv([[1.0, 2.0], [3.0, 4.0]]).tolist())"
