#!/usr/bin/env bash
# Static checks CI runs after the tests (scripts/test.sh calls this): formatting and lints
# of the Rust crates, then of the Python package. Every section must stay green.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${MATINV_VENV:-.venv}

echo "== lint: Rust (rustfmt, clippy with warnings denied)"
cargo fmt --all --check
cargo clippy --workspace --all-targets --release -- -D warnings

echo "== lint: Python"
# ruff, mypy (strict) and stubtest come here.
