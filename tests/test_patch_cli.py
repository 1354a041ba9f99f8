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


CHILDREN = textwrap.dedent(
    """
    import json, multiprocessing as mp, sys
    from concurrent.futures import ProcessPoolExecutor

    def probe(_=None):
        import numpy as np, matinv
        np.linalg.inv(np.eye(2) * 2)
        return [matinv.is_patched(), matinv._patch.loop_counters()[0]]

    if __name__ == "__main__":
        out = {}
        for method in ("fork", "spawn", "forkserver"):
            with mp.get_context(method).Pool(1) as pool:
                out[method] = pool.apply(probe)
        with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as ex:
            out["executor spawn"] = ex.submit(probe).result()
        print(json.dumps(out))
    """
)


def test_children_of_every_start_method_are_patched(tmp_path):
    # Regression: spawn and forkserver children ran numpy's own loops.
    prog = tmp_path / "children.py"
    prog.write_text(CHILDREN)
    r = run("run", str(prog), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out == {k: [True, 1] for k in ("fork", "spawn", "forkserver", "executor spawn")}
    # Without the command nothing is patched, in the parent or its children.
    r = subprocess.run([sys.executable, str(prog)], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert all(v == [False, 0] for v in json.loads(r.stdout).values())


def test_pytest_xdist_workers_are_patched(tmp_path):
    pytest.importorskip("xdist")
    (tmp_path / "test_workers.py").write_text(
        "import os, numpy as np, matinv, pytest\n"
        "@pytest.mark.parametrize('k', range(4))\n"
        "def test_patched_in_a_worker(k):\n"
        "    assert os.environ.get('PYTEST_XDIST_WORKER')\n"
        "    assert matinv.is_patched()\n"
        "    np.linalg.inv(np.eye(2) * 2)\n"
        "    assert matinv._patch.loop_counters()[0] >= 1\n"
    )
    args = ("-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "test_workers.py")
    r = run("run", *args, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "4 passed" in r.stdout


def test_the_environment_variable_patches_at_start_up(tmp_path):
    code = "import matinv; print(matinv.is_patched())"
    env = dict(os.environ, MATINV_PATCH_NUMPY="1")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "True"
    env["MATINV_PATCH_NUMPY"] = "0"
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.stdout.strip() == "False"
