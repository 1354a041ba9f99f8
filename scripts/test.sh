#!/usr/bin/env bash
# The whole test suite: Rust unit, property and doc tests, the `matinv` command's tests,
# then the Python package built into its own virtualenv and tested against numpy
# (including numpy's own linalg tests and the command on files numpy writes).
# Needs only a Rust toolchain and Python 3; installs everything else itself (dask too, for
# tests/test_dask.py, which starts a two-process dask.distributed cluster on this machine).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${MATINV_VENV:-.venv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "numpy>=2" "maturin>=1.7,<2" "pytest>=8" "hypothesis>=6.100" "dask[array,distributed]>=2024.1" "ruff>=0.17" "mypy>=2.4"

echo "== cargo test (core crate)"
cargo test -p matinv --release

echo "== cargo test (the matinv command; replays the fuzz corpus)"
cargo test -p matinv-cli --release
# The binary tests/test_cli.py runs (built by the line above).
export MATINV_CLI="$PWD/target/release/matinv"
test -x "$MATINV_CLI"

echo "== build and install the Python package"
VIRTUAL_ENV="$PWD/$venv" "$venv/bin/maturin" develop --release -q

echo "== pytest"
"$venv/bin/python" -m pytest -q tests "$@"

echo "== lints"
MATINV_VENV="$venv" bash scripts/lint.sh
