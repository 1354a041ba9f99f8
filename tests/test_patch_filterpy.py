"""A real library's own test suite under ``python -m matinv run -m pytest``: filterpy
(Kalman filters: ``KalmanFilter.update`` calls ``self.inv``, bound to ``np.linalg.inv``
when the filter is made, at every step; the RTS smoothers, UKF, IMM... call it too).

Optional: skipped unless filterpy is installed (``pip install filterpy==2.0.0``). Its
wheel ships no tests, so they come from its source distribution: the directory or
``.tar.gz`` named by ``MATINV_FILTERPY_SDIST``, else one ``pip download`` of the installed
version's sdist from PyPI (skipped when that fails, say offline).

The suite runs twice in subprocesses, unpatched (``python -m pytest``) and patched
(``python -m matinv run -m pytest``): the same tests pass, none fails, and a tiny plugin
reads matinv's loop counter at the end of the patched run to prove the inverses were
matinv's.
"""

import os
import re
import subprocess
import sys
import tarfile
import textwrap

import pytest

filterpy = pytest.importorskip(
    "filterpy", reason="filterpy is not installed (optional: pip install filterpy==2.0.0)"
)

PLUGIN = textwrap.dedent(
    """
    def pytest_unconfigure(config):
        import matinv
        calls, matrices, fallbacks = matinv._patch.loop_counters()
        with open({path!r}, "w") as f:
            f.write(f"{{int(matinv.is_patched())}} {{calls}} {{fallbacks}}")
    """
)


def sdist_root(tmp_path):
    """The unpacked sdist of the installed filterpy (its tests inside), or skip."""
    given = os.environ.get("MATINV_FILTERPY_SDIST")
    archive = None
    if given and os.path.isdir(given):
        return given
    if given:
        archive = given
    else:
        spec = f"filterpy=={filterpy.__version__}"
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
                "-d",
                str(tmp_path / "dl"),
                spec,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if r.returncode != 0:
            pytest.skip(f"could not download the sdist of {spec}: {r.stderr.strip()[-300:]}")
        (archive,) = (tmp_path / "dl").iterdir()
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.12, and 3.9.17+ / 3.11.4+
            tar.extractall(tmp_path / "src", filter="data")
        else:
            tar.extractall(tmp_path / "src")
    (root,) = (tmp_path / "src").iterdir()
    return str(root)


def summary(output):
    lines = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    assert lines, output[-3000:]
    return {k: int(n) for n, k in re.findall(r"(\d+) (\w+)", lines[-1]) if k != "warnings"}


def run_suite(root, tmp_path, patched):
    tag = "patched" if patched else "plain"
    counters = tmp_path / f"counters-{tag}.txt"
    (tmp_path / f"matinv_fp_{tag}.py").write_text(PLUGIN.format(path=str(counters)))
    runner = ["-m", "matinv", "run", "-m", "pytest"] if patched else ["-m", "pytest"]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
        "MPLBACKEND": "Agg",
    }
    r = subprocess.run(
        [
            sys.executable,
            *runner,
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            f"matinv_fp_{tag}",
            "filterpy",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert counters.exists(), (r.stdout[-3000:], r.stderr[-3000:])
    state, calls, fallbacks = map(int, counters.read_text().split())
    return r, summary(r.stdout), (state, calls, fallbacks)


def test_filterpy_suite_passes_patched_as_unpatched(tmp_path):
    root = sdist_root(tmp_path)
    plain, plain_counts, (plain_state, plain_calls, _) = run_suite(root, tmp_path, False)
    assert plain.returncode == 0, plain.stdout[-3000:]
    assert plain_state == 0 and plain_calls == 0
    patched, counts, (state, calls, fallbacks) = run_suite(root, tmp_path, True)
    assert patched.returncode == 0, patched.stdout[-3000:]
    assert counts == plain_counts and counts.get("failed", 0) == 0, (counts, plain_counts)
    assert counts["passed"] >= 70  # filterpy 2.0.0: 75 tests
    assert state == 1 and calls > 10_000 and fallbacks == 0, (state, calls, fallbacks)
    print(
        f"filterpy {filterpy.__version__}: {counts} patched and unpatched; "
        f"matinv loop calls {calls}"
    )
