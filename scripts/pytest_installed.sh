#!/usr/bin/env bash
# pytest against an installed matinv: `scripts/pytest_installed.sh PYTHON [pytest args]`.
# PYTHON is a virtualenv's interpreter with matinv, its test extra, dask and pytest-xdist
# installed; the tests run from a temporary directory, so `import matinv` finds the
# installed package, never the source tree (checked first). scripts/test.sh runs it on the
# wheel it builds, scripts/test_sdist.sh on the package pip built from the sdist.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
py=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$py" - <<'PY'
import pathlib, sysconfig, matinv
site = pathlib.Path(sysconfig.get_paths()["platlib"]).resolve()
where = pathlib.Path(matinv.__file__).resolve()
assert site in where.parents, f"matinv imported from {where}, not from {site}"
print(f"matinv {matinv.__version__} from {where.parent}")
PY
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
