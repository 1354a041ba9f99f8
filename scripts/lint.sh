#!/usr/bin/env bash
# Static checks CI runs after the tests (scripts/test.sh calls this): formatting and lints
# of the Rust crates, then of the Python package. Every section must stay green.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${MATINV_VENV:-.venv}

echo "== lint: Rust (rustfmt, clippy with warnings denied)"
cargo fmt --all --check
cargo clippy --workspace --all-targets --release -- -D warnings

echo "== lint: Python (ruff, mypy --strict, stubtest against the built module)"
"$venv/bin/ruff" check python tests bench
"$venv/bin/ruff" format --check python tests bench
"$venv/bin/mypy"  # files and --strict: [tool.mypy] in pyproject.toml
"$venv/bin/python" -m mypy.stubtest matinv._matinv
