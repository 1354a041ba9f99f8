"""Thread control: set_num_threads, the threads() block, MATINV_NUM_THREADS."""

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import matinv
from matinv import _threads


@pytest.fixture(autouse=True)
def restore_default():
    saved = _threads._default
    yield
    _threads._default = saved


def stacks():
    rng = np.random.default_rng(5)
    for n, count in [(2, 5000), (3, 5001), (4, 777), (7, 300), (20, 50), (70, 3), (200, 1)]:
        yield rng.standard_normal((count, n, n)) + n * np.eye(n)
    # Threads inside one matrix (real from n = 448, complex from 269; stacks from 768).
    for n, count in [(500, 1), (1000, 1), (800, 2)]:
        yield rng.standard_normal((count, n, n))
    yield rng.standard_normal((300, 300)) + 1j * rng.standard_normal((300, 300))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_results_do_not_depend_on_thread_count(k):
    # Batches split matrices between threads; inside a matrix, threads take whole column
    # chunks of each product, whose sums run in the same order whatever the chunks.
    for a in stacks():
        with matinv.threads(k):
            got = matinv.inv(a)
        ref = matinv.inv(a)
        assert np.array_equal(got, ref), a.shape


def test_blocks_nest_and_restore():
    default = matinv.get_num_threads()
    assert default >= 1
    with matinv.threads(1):
        assert matinv.get_num_threads() == 1
        with matinv.threads(3):
            assert matinv.get_num_threads() == 3
        assert matinv.get_num_threads() == 1
    assert matinv.get_num_threads() == default
    matinv.set_num_threads(2)
    assert matinv.get_num_threads() == 2
    with matinv.threads(1):
        assert matinv.get_num_threads() == 1
    assert matinv.get_num_threads() == 2


def test_blocks_are_per_thread():
    seen = {}
    barrier = threading.Barrier(2)

    def worker(k):
        with matinv.threads(k):
            barrier.wait()
            seen[k] = matinv.get_num_threads()
            matinv.inv(np.eye(3) * k)

    ts = [threading.Thread(target=worker, args=(k,)) for k in (1, 4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert seen == {1: 1, 4: 4}


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", None, True, 2**64])
def test_bad_thread_counts(bad):
    with pytest.raises(ValueError, match="positive integer"):
        matinv.set_num_threads(bad)
    with pytest.raises(ValueError, match="positive integer"):
        with matinv.threads(bad):
            pass


def run_with_env(value, code):
    env = dict(os.environ, MATINV_NUM_THREADS=value)
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def test_environment_variable():
    r = run_with_env("1", "import matinv; print(matinv.get_num_threads())")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1"
    # Invalid: ignored with a warning, as OpenBLAS ignores a bad OPENBLAS_NUM_THREADS.
    r = run_with_env("lots", "import matinv; print(matinv._threads._default)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "None"
    assert "MATINV_NUM_THREADS must be a positive integer" in r.stderr


def test_forked_child_runs_single_threaded_instead_of_hanging():
    # Regression: a child forked after the pool started waited forever for its threads.
    code = """
import os, numpy as np, matinv
a = np.random.default_rng(0).standard_normal((4000, 8, 8)) + 8 * np.eye(8)
ref = matinv.inv(a)
pid = os.fork()
if pid == 0:
    os._exit(0 if np.array_equal(matinv.inv(a), ref) else 3)
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "0"


FORK_BEFORE_AND_AFTER_USE = """
import os, numpy as np, matinv
def child_threads():
    pid = os.fork()
    if pid == 0:
        os._exit(matinv.get_num_threads())
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)
before = child_threads()
matinv.inv(np.eye(3))
print(before, child_threads(), matinv.get_num_threads())
"""


def test_only_a_child_forked_after_use_runs_single_threaded():
    # Regression (review): with the fork handler registered at import, every child forked
    # after `import matinv` ran single-threaded; only children of a process that used
    # matinv (whose pools may have threads to lose) must.
    r = subprocess.run(
        [sys.executable, "-c", FORK_BEFORE_AND_AFTER_USE],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    before, after, parent = map(int, r.stdout.split())
    assert (before, after) == (parent, 1)


CHURN = """
import os, sys, threading, time
import numpy as np, matinv
rng = np.random.default_rng(0)
a = rng.standard_normal((100, 100)) + 10 * np.eye(100)
c = rng.standard_normal((40, 40)) + 1j * rng.standard_normal((40, 40)) + 10 * np.eye(40)
def churn():
    # Short-lived threads, each reserving its matrix-product buffer on its first product.
    while True:
        t = threading.Thread(target=matinv.inv, args=(a,))
        t.start()
        t.join()
for _ in range(4):
    threading.Thread(target=churn, daemon=True).start()
time.sleep(0.2)
results = []
for _ in range(int(sys.argv[1])):
    pid = os.fork()  # the main thread never inverted n >= 97 before
    if pid == 0:
        ok = np.allclose(matinv.inv(a) @ a, np.eye(100))
        ok &= np.allclose(matinv.inv(c) @ c, np.eye(40))
        ok &= bool(np.isfinite(matinv.cond(a))) and len(matinv.svd(a)) == 3
        os._exit(0 if ok else 3)
    deadline = time.monotonic() + 10
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            results.append(os.waitstatus_to_exitcode(status))
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            results.append("hung")
            break
        time.sleep(0.005)
print(results)
"""


def test_forked_children_under_thread_churn_never_hang():
    # Regression: a thread reserving its product buffer held a lock as another forked;
    # the child's first inversion with products (n >= 97 real, 33 complex, svd, cond)
    # waited on it forever (5 of 6 runs hung).
    # A hang needs a fork inside one thread's short reservation: with the lock of old,
    # 12-21 of 250 forks hung in each of 3 runs here (Intel Xeon, 2 cores).
    forks = 250
    r = subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", CHURN, str(forks)],
        capture_output=True,
        text=True,
        timeout=forks * 10 + 60,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str([0] * forks)


FORK_WHILE_HELD = """
import os, threading
import matinv
from matinv import _patch, _threadpool
held, release = threading.Event(), threading.Event()
def hold():
    with _patch._lock, _threadpool._lock:
        held.set()
        release.wait()
t = threading.Thread(target=hold)
t.start()
held.wait()
pid = os.fork()
if pid == 0:
    matinv.patch_numpy()  # takes _patch._lock
    import threadpoolctl
    with threadpoolctl.threadpool_limits(1):  # takes _threadpool._lock
        pass
    os._exit(0 if matinv.is_patched() else 3)
deadline = __import__("time").monotonic() + 10
while True:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        print(os.waitstatus_to_exitcode(status))
        break
    if __import__("time").monotonic() > deadline:
        os.kill(pid, 9)
        print("hung")
        break
release.set()
t.join()
"""


def test_python_locks_are_free_in_a_forked_child():
    # A thread holds the patch switch's and the threadpoolctl cap's locks as the process
    # forks: the child takes both (ForkSafeLock), where a plain lock would wait forever.
    pytest.importorskip("threadpoolctl")
    r = subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", FORK_WHILE_HELD],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "0"


def os_threads():
    return len(os.listdir("/proc/self/task"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")
def test_thread_counts_beyond_the_cores_do_not_pile_up_pools():
    # Regression: every distinct count built a pool of that many threads, kept forever.
    a = np.random.default_rng(1).standard_normal((2000, 6, 6)) + 6 * np.eye(6)
    ref = matinv.inv(a)
    with matinv.threads(2):
        matinv.inv(a)
    before = os_threads()
    for k in range(2, 40):
        with matinv.threads(k):
            np.testing.assert_array_equal(matinv.inv(a), ref)
    cores = os.cpu_count() or 1
    assert os_threads() <= before + cores


@pytest.mark.parametrize("call", ["fast path", "general path"])
def test_large_work_releases_the_gil(call):
    # Python code of another thread runs while a large stack is inverted (work of up to
    # 512 output elements keeps the GIL, as numpy's gufuncs do below 500): the main thread
    # timestamps its loop; with the GIL held for the call, no stamp could fall inside it.
    a = np.random.default_rng(1).standard_normal((20000, 32, 32)) + 32 * np.eye(32)
    out = np.empty_like(a) if call == "general path" else None  # out= skips the fast path
    window = []

    def worker():
        with matinv.threads(1):
            start = time.perf_counter()
            matinv.inv(a, out=out)
            window.extend([start, time.perf_counter()])

    t = threading.Thread(target=worker)
    stamps = []  # one in 1000, so that the list stays small
    t.start()
    k = 0
    while t.is_alive():
        k += 1
        if k % 1000 == 0:
            stamps.append(time.perf_counter())
    t.join()
    assert len(window) == 2, "the worker raised"
    start, end = window
    margin = (end - start) / 10
    inside = [s for s in stamps if start + margin < s < end - margin]
    assert end - start > 0.02, "too little work to tell"
    assert len(inside) > 10, (len(inside), end - start)
