"""threadpoolctl sees and limits matinv's threads (python/matinv/_threadpool.py)."""

import ctypes

import pytest

threadpoolctl = pytest.importorskip("threadpoolctl", minversion="3.5")

import matinv  # noqa: E402
from matinv import _matinv  # noqa: E402


@pytest.fixture(autouse=True)
def restore_threads():
    old = matinv._threads._default
    yield
    matinv._threads._default = old
    matinv._threads._sync_patched_loop(old)


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
