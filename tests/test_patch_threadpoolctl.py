"""threadpoolctl sees and limits matinv's threads (python/matinv/_threadpool.py)."""

import ctypes
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

threadpoolctl = pytest.importorskip("threadpoolctl", minversion="3.5")

import matinv  # noqa: E402
from matinv import _matinv  # noqa: E402


@pytest.fixture(autouse=True)
def restore_threads():
    old = matinv._threads._default
    yield
    leaked = dict(matinv._threadpool._open)
    matinv._threadpool._open.clear()
    matinv._threads._default = old
    matinv._threads._cap = None
    matinv._threads._sync_patched_loop()
    assert not leaked, "a threadpoolctl limit stayed open after its block"


def matinv_entries():
    return [i for i in threadpoolctl.threadpool_info() if i["internal_api"] == "matinv"]


def test_registered_at_import():
    assert matinv._threadpool.registered


def test_threadpool_info_lists_matinv():
    entries = matinv_entries()
    assert len(entries) == 1
    info = entries[0]
    assert info["user_api"] == "matinv"
    assert info["version"] == matinv.__version__
    assert info["num_threads"] == matinv.get_num_threads()
    assert info["filepath"] == __import__("os").path.realpath(_matinv.__file__)


def test_threadpool_limits_limits_matinv_and_restores():
    lib = ctypes.CDLL(_matinv.__file__)
    matinv.set_num_threads(2)
    with threadpoolctl.threadpool_limits(limits=1):
        assert matinv.get_num_threads() == 1
        assert lib.matinv_get_num_threads() == 1  # the patched numpy loop's count too
        assert matinv_entries()[0]["num_threads"] == 1
    assert matinv.get_num_threads() == 2
    assert lib.matinv_get_num_threads() == 2


def test_threadpool_limits_by_user_api():
    matinv.set_num_threads(2)
    with threadpoolctl.threadpool_limits(limits=1, user_api="matinv"):
        assert matinv.get_num_threads() == 1
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        assert matinv.get_num_threads() == 2  # not a BLAS
    assert matinv.get_num_threads() == 2


def test_threadpool_controller_select():
    controller = threadpoolctl.ThreadpoolController().select(internal_api="matinv")
    assert len(controller.lib_controllers) == 1
    matinv.set_num_threads(3)
    with controller.limit(limits=1):
        assert matinv.get_num_threads() == 1
    assert matinv.get_num_threads() == 3


def test_limits_end_exactly_as_they_began():
    # Regression: the count read at the start became the process-wide one at the end.
    default = matinv.get_num_threads()
    assert matinv._threads._default is None
    with threadpoolctl.threadpool_limits(1):
        assert matinv.get_num_threads() == 1
    assert matinv._threads._default is None and matinv.get_num_threads() == default
    with matinv.threads(1):
        with threadpoolctl.threadpool_limits(2):
            assert matinv.get_num_threads() == 1  # a cap never raises a count
        assert matinv.get_num_threads() == 1
    assert matinv._threads._default is None and matinv.get_num_threads() == default
    matinv.set_num_threads(3)
    with matinv.threads(2):
        with threadpoolctl.threadpool_limits(1):
            assert matinv.get_num_threads() == 1  # the limit holds inside threads(2)
            assert ctypes.CDLL(_matinv.__file__).matinv_get_num_threads() == 1
        assert matinv.get_num_threads() == 2
    assert matinv.get_num_threads() == 3
    assert matinv._threads.get_cap() is None


@pytest.mark.parametrize(
    "limits", [{"limits": 1, "user_api": "blas"}, {"limits": None}, {"limits": {"openblas": 1}}]
)
def test_blocks_that_do_not_limit_matinv_leave_it_alone(limits):
    # Regression (review): threadpoolctl restores every library at a block's end, those it
    # did not limit too; that restore opened a cap on matinv for good.
    with matinv.threads(1):
        with threadpoolctl.threadpool_limits(**limits):
            assert matinv.get_num_threads() == 1
    assert matinv._threads.get_cap() is None and matinv._threads._default is None


def test_a_limit_equal_to_the_count_read_is_still_a_limit():
    # Regression (review): a restore was told from a new limit by its value.
    controller = threadpoolctl.ThreadpoolController()
    matinv.set_num_threads(8)
    with controller.limit(limits=4):
        with controller.limit(limits=8):
            assert matinv.get_num_threads() == 8
            matinv.set_num_threads(16)
            assert matinv.get_num_threads() == 8  # the inner limit holds
        assert matinv.get_num_threads() == 4
    assert matinv.get_num_threads() == 16 and matinv._threads.get_cap() is None


def test_overlapping_blocks_of_two_threads_end_with_no_limit():
    import threading

    a_open, b_open, a_closed = threading.Event(), threading.Event(), threading.Event()
    seen = []

    def a():
        with threadpoolctl.threadpool_limits(2):
            a_open.set()
            b_open.wait()
        a_closed.set()

    def b():
        a_open.wait()
        with threadpoolctl.threadpool_limits(1):
            b_open.set()
            a_closed.wait()
            seen.append(matinv.get_num_threads())  # b's limit, still open

    threads = [threading.Thread(target=f) for f in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [1]
    assert matinv._threads.get_cap() is None


def test_a_direct_set_is_the_process_wide_count():
    (lib,) = threadpoolctl.ThreadpoolController().select(internal_api="matinv").lib_controllers
    lib.set_num_threads(3)
    assert matinv._threads._default == 3 and matinv._threads.get_cap() is None
    lib.set_num_threads(0)  # below 1: back to the default, as OpenBLAS
    assert matinv._threads._default is None


def test_debugging_info_changes_no_setting():
    # Regression (review): its scope probe sets the count from a helper thread and back,
    # which became an explicit process-wide count (inside threads(1): 1 for good).
    with matinv.threads(1):
        threadpoolctl.threadpool_info(debugging_info=True)
        assert matinv.get_num_threads() == 1
    with threadpoolctl.threadpool_limits(1):
        threadpoolctl.threadpool_info(debugging_info=True)
    assert matinv._threads._default is None and matinv._threads.get_cap() is None


def test_nested_limits_restore_in_turn():
    matinv.set_num_threads(4)
    with threadpoolctl.threadpool_limits(3):
        with threadpoolctl.threadpool_limits(1):
            assert matinv.get_num_threads() == 1
            with threadpoolctl.threadpool_limits(2):
                assert matinv.get_num_threads() == 2
            assert matinv.get_num_threads() == 1
        assert matinv.get_num_threads() == 3
    assert matinv.get_num_threads() == 4
    assert matinv._threads.get_cap() is None
    controller = threadpoolctl.ThreadpoolController()
    with controller.limit(limits=1):
        with controller.limit(limits=2):
            assert matinv.get_num_threads() == 2
        assert matinv.get_num_threads() == 1
    assert matinv.get_num_threads() == 4 and matinv._threads.get_cap() is None


@pytest.mark.parametrize("limit", [0, -1, 10**6])
def test_out_of_range_limits_are_clamped_as_openblas_does(limit):
    # Regression: ValueError once matinv was imported; numpy alone accepts them.
    matinv.set_num_threads(2)
    with threadpoolctl.threadpool_limits(limit):
        assert matinv.get_num_threads() == 2  # below 1: no limit; huge: no lower one
        matinv.inv(np.eye(3))
    assert matinv.get_num_threads() == 2 and matinv._threads.get_cap() is None


def run_python(code, **env):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=dict(os.environ, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_failed_import_leaves_threadpoolctl_working():
    # Regression: the controller was registered before the import failed, and every later
    # threadpool_info() / threadpool_limits() raised matinv's error.
    r = run_python(
        """
        import sys
        sys.modules["matinv._svd"] = None  # makes `import matinv` fail midway
        try:
            import matinv
        except ImportError:
            pass
        else:
            raise SystemExit("the import did not fail")
        import threadpoolctl
        assert not [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "matinv"]
        with threadpoolctl.threadpool_limits(1):
            pass
        print("ok")
        """
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


@pytest.mark.parametrize("value", ["0", "lots", "-2"])
def test_a_bad_environment_count_warns_and_is_ignored(value):
    # As OpenBLAS ignores a bad OPENBLAS_NUM_THREADS: the import succeeds, with a warning.
    r = run_python(
        """
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import matinv
        import threadpoolctl
        messages = [str(w.message) for w in caught if w.category is RuntimeWarning]
        assert any("MATINV_NUM_THREADS must be a positive integer" in m for m in messages)
        assert matinv._threads._default is None
        info = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "matinv"]
        assert info[0]["num_threads"] == matinv.get_num_threads()
        with threadpoolctl.threadpool_limits(1):
            assert matinv.get_num_threads() == 1
        print("ok")
        """,
        MATINV_NUM_THREADS=value,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_the_patched_loop_count_follows_concurrent_settings(monkeypatch):
    # Regression (review): `_default` and the patched loop's copy were updated without a
    # lock: a thread preempted between computing the loop's count and storing it left the
    # loop an older count than `_default`. Thread A is held right there while thread B
    # sets another count; with the lock, B waits for A instead.
    import threading

    real = _matinv
    a_inside, b_done = threading.Event(), threading.Event()

    class HoldThreadA:
        def __getattr__(self, name):
            return getattr(real, name)

        def set_loop_threads(self, n):
            if threading.current_thread().name == "A":
                a_inside.set()
                b_done.wait(timeout=1)
            real.set_loop_threads(n)

    monkeypatch.setattr(matinv._threads, "_matinv", HoldThreadA())

    def b():
        a_inside.wait(timeout=10)
        matinv.set_num_threads(5)
        b_done.set()

    threads = [
        threading.Thread(target=matinv.set_num_threads, args=(3,), name="A"),
        threading.Thread(target=b, name="B"),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lib = ctypes.CDLL(_matinv.__file__)
    assert matinv._threads._default == 5
    assert lib.matinv_get_num_threads() == 5
