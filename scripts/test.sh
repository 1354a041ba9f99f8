#!/usr/bin/env bash
# The whole test suite: Rust unit, property and doc tests, the `matinv` command's tests,
# then the Python package as users get it: a wheel built by maturin, installed with pip into
# a fresh virtualenv, tested from outside the source tree against numpy (including numpy's
# own linalg tests and the command on files numpy writes).
# Needs only a Rust toolchain and Python 3; installs everything else itself (dask too, for
# tests/test_dask.py, which starts a two-process dask.distributed cluster on this machine).
#
# One build: the Rust tests, the command and the wheel all use the release profile (no LTO),
# so they link the kernels the core crate compiled once; the wheel adds only the binding
# crate. The published build (pyproject.toml's `dist` profile, with thin LTO) is the one
# scripts/test_sdist.sh installs from the sdist and tests again in CI.
# docs/development.md says why and what each step costs.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
target=${CARGO_TARGET_DIR:-$repo/target}

# Each step's wall time, printed when the next begins (the totals in docs/development.md).
started=$SECONDS
step_started=$SECONDS
step_name=""
step() {
    if [ -n "$step_name" ]; then
        echo "-- $step_name: $((SECONDS - step_started)) s"
    fi
    step_name=$1
    step_started=$SECONDS
    echo "== $1"
}

venv=${MATINV_VENV:-.venv}
step "tool virtualenv (maturin, pytest, linters, dask)"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "numpy>=2" "maturin>=1.7,<2" "pytest>=8" "hypothesis>=6.100" "dask[array,distributed]>=2024.1" "ruff>=0.17" "mypy>=2.4" "threadpoolctl>=3.5"

step "cargo test (core crate with its doctests, the matinv command; replays the fuzz corpus)"
# The examples are not linked here (each would be a thin-LTO link of faer, a minute or more
# of CPU): clippy --all-targets in scripts/lint.sh compiles and lints them.
cargo test --workspace --release --lib --bins --tests
cargo test --workspace --release --doc
# The binary tests/test_cli.py runs (built by the line above).
export MATINV_CLI="$target/release/matinv"
test -x "$MATINV_CLI"

step "build the wheel (abi3, baseline x86-64 with runtime dispatch)"
wheels="$target/wheels-test"
rm -rf "$wheels"
# The release profile of the build above: maturin compiles only the binding crate (and
# pyo3). Without `--profile` it would take pyproject.toml's `dist` and compile it all again.
"$venv/bin/maturin" build -q --profile release --out "$wheels"
wheel=$(ls "$wheels"/matinv-*.whl)

step "install it into a fresh virtualenv"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
py="$tmp/venv/bin/python"
"$py" -m pip install -q --upgrade pip
"$py" -m pip install -q "$wheel[test,dask]" "pytest-xdist>=3.5"
# The lints (mypy, stubtest) import the package from the tool venv: the same wheel.
"$venv/bin/python" -m pip install -q --no-deps --force-reinstall "$wheel"

step "pytest (against the installed wheel, run from outside the source tree)"
bash scripts/pytest_installed.sh "$py" "$@"

step "lints"
MATINV_VENV="$venv" bash scripts/lint.sh
echo "-- $step_name: $((SECONDS - step_started)) s"
echo "-- scripts/test.sh: $((SECONDS - started)) s in all"
