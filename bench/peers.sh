#!/usr/bin/env bash
# The peers of bench/bench_single.py in a virtualenv of their own, .venv-peers: numpy (the
# version the project's .venv has), scipy, the mkl wheel, jax on the CPU, threadpoolctl and
# matplotlib, with this checkout's python/ on the path for the matinv built there (by
# `maturin develop` into .venv, or scripts/test.sh). Never run by the test command: these
# are large downloads, and the tests must not see scipy or MKL.
set -euo pipefail
cd "$(dirname "$0")/.."
numpy_version=$(.venv/bin/python -c 'import numpy; print(numpy.__version__)')
python3 -m venv .venv-peers
.venv-peers/bin/pip install -q "numpy==${numpy_version}" scipy mkl "jax[cpu]" threadpoolctl matplotlib
site=$(.venv-peers/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$PWD/python" > "$site/matinv-checkout.pth"
.venv-peers/bin/python -c 'import matinv, scipy, jax; print("peers ready: matinv", matinv.__version__, "scipy", scipy.__version__, "jax", jax.__version__)'
