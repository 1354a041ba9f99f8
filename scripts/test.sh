#!/usr/bin/env bash
# The whole test suite: Rust unit, property and doc tests, the `matinv` command's tests,
# then the Python package as users get it: a wheel built by maturin, installed with pip into
# a fresh virtualenv, tested from outside the source tree against numpy (including numpy's
# own linalg tests and the command on files numpy writes).
# Needs only a Rust toolchain and Python 3; installs everything else itself (dask too, for
# tests/test_dask.py, which starts a two-process dask.distributed cluster on this machine).
#
# Two builds: the Rust tests in the release profile (no LTO, so every test binary links the
# kernels the core crate compiled once), then the wheel in the `dist` profile (the same
# with thin LTO: the build users get). docs/development.md says why and what each costs.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
target=${CARGO_TARGET_DIR:-$repo/target}

venv=${MATINV_VENV:-.venv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "numpy>=2" "maturin>=1.7,<2" "pytest>=8" "hypothesis>=6.100" "dask[array,distributed]>=2024.1" "ruff>=0.17" "mypy>=2.4" "threadpoolctl>=3.5"

echo "== cargo test (core crate with its doctests, the matinv command; replays the fuzz corpus)"
# The examples are not linked here (each would be a thin-LTO link of faer, a minute or more
# of CPU): clippy --all-targets in scripts/lint.sh compiles and lints them.
cargo test --workspace --release --lib --bins --tests
cargo test --workspace --release --doc
# The binary tests/test_cli.py runs (built by the line above).
export MATINV_CLI="$target/release/matinv"
test -x "$MATINV_CLI"

echo "== build the wheel (abi3, baseline x86-64 with runtime dispatch)"
wheels="$target/wheels-test"
rm -rf "$wheels"
# No --release: the profile is pyproject.toml's (`dist`).
"$venv/bin/maturin" build -q --out "$wheels"
wheel=$(ls "$wheels"/matinv-*.whl)

echo "== install it into a fresh virtualenv"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
py="$tmp/venv/bin/python"
"$py" -m pip install -q --upgrade pip
"$py" -m pip install -q "$wheel[test,dask]" "pytest-xdist>=3.5"
# The lints (mypy, stubtest) import the package from the tool venv: the same wheel.
"$venv/bin/python" -m pip install -q --no-deps --force-reinstall "$wheel"

echo "== pytest (against the installed wheel, run from outside the source tree)"
cd "$tmp"
"$py" - <<'EOF'
import pathlib, sysconfig, matinv
site = pathlib.Path(sysconfig.get_paths()["platlib"]).resolve()
where = pathlib.Path(matinv.__file__).resolve()
assert site in where.parents, f"matinv imported from {where}, not from {site}"
print(f"matinv {matinv.__version__} from {where.parent}")
EOF
export MATINV_TEST_INSTALLED=1
pytest_args=(-c "$repo/pyproject.toml" --rootdir "$repo" -p no:cacheprovider -q)
# These start processes or clusters, limit or measure memory, or time threads: they run
# alone, after the rest, which two workers share.
serial=(test_dask.py test_memory_limits.py test_threads.py test_native_boundary.py)
ignore=()
for f in "${serial[@]}"; do ignore+=(--ignore "$repo/tests/$f"); done
# Exit status 5 is "no tests collected" (a -k that selects nothing in one of the two runs).
"$py" -m pytest "${pytest_args[@]}" -n 2 "${ignore[@]}" "$repo/tests" "$@" || [ $? -eq 5 ]
"$py" -m pytest "${pytest_args[@]}" "${serial[@]/#/$repo/tests/}" "$@" || [ $? -eq 5 ]
cd "$repo"

echo "== lints"
MATINV_VENV="$venv" bash scripts/lint.sh
