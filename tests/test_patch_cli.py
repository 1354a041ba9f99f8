"""``python -m matinv run``: an unmodified program runs with numpy patched, with the argv,
sys.path[0] and exit status plain ``python`` would give it."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import numpy as np
    import matinv
    np.linalg.inv(np.eye(3) * 2)
    print(json.dumps({
        "argv": sys.argv,
        "path0": os.path.realpath(sys.path[0]),
        "name": __name__,
        "patched": matinv.is_patched(),
        "calls": matinv._patch.loop_counters()[0],
    }))
    sys.exit(int(sys.argv[-1]) if sys.argv[-1].isdigit() else 0)
    """
)


def run(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "matinv", *args], cwd=cwd, capture_output=True, text=True
    )


@pytest.fixture
def script(tmp_path):
    sub = tmp_path / "prog"
    sub.mkdir()
    path = sub / "prog.py"
    path.write_text(SCRIPT)
    return path


def test_run_script_patched_with_its_argv_and_exit_status(script, tmp_path):
    r = run("run", str(script), "--flag", "x y", "7", cwd=tmp_path)
    assert r.returncode == 7, r.stderr
    out = json.loads(r.stdout)
    assert out["argv"] == [str(script), "--flag", "x y", "7"]
    assert out["path0"] == os.path.realpath(script.parent)
    assert out["name"] == "__main__"
    assert out["patched"] is True
    assert out["calls"] == 1  # the script's inv went through matinv's loop


def test_run_module_patched(script, tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "matinv", "run", "-m", "prog", "a", "3"],
        cwd=script.parent,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 3, r.stderr
    out = json.loads(r.stdout)
    assert out["argv"] == [str(script), "a", "3"]  # as `python -m prog a 3`
    assert out["patched"] is True and out["calls"] == 1


def test_plain_python_is_not_patched(script, tmp_path):
    r = subprocess.run([sys.executable, str(script), "0"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["patched"] is False and out["calls"] == 0


def test_uncaught_exception_exits_1_with_traceback(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import numpy as np\nnp.linalg.inv(np.zeros((2, 2)))\n")
    r = run("run", str(bad), cwd=tmp_path)
    assert r.returncode == 1
    assert "numpy.linalg.LinAlgError: Singular matrix" in r.stderr


def test_run_pytest(tmp_path):
    (tmp_path / "test_it.py").write_text(
        "import numpy as np, matinv\n"
        "def test_patched():\n"
        "    assert matinv.is_patched()\n"
        "    assert (np.linalg.inv(np.eye(2) * 4) == 0.25 * np.eye(2)).all()\n"
        "def test_fails():\n"
        "    assert False\n"
    )
    r = run("run", "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_it.py", cwd=tmp_path)
    assert r.returncode == 1, r.stdout  # pytest's own status: a test failed
    assert "1 failed, 1 passed" in r.stdout
    r = run(
        "run",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-k",
        "patched",
        "test_it.py",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stdout
    assert "1 passed, 1 deselected" in r.stdout


@pytest.mark.parametrize("args", [(), ("run",), ("run", "-m"), ("go", "x.py")])
def test_usage_errors_exit_2(args, tmp_path):
    r = run(*args, cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.startswith("usage: python -m matinv run")


def test_help(tmp_path):
    r = run("--help", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("usage:")


def test_missing_script_and_module(tmp_path):
    r = run("run", "nope.py", cwd=tmp_path)
    assert r.returncode == 2
    assert "can't open file" in r.stderr and "nope.py" in r.stderr
    r = run("run", "-m", "no_such_module_xyz", cwd=tmp_path)
    assert r.returncode == 1
    assert "No module named no_such_module_xyz" in r.stderr
