"""Allocation failure under a memory limit is a MemoryError, never an abort.

faer's matrix product (private-gemm-x86, on x86-64 with AVX2 and FMA) makes a packing
buffer per thread on the thread's first product, with an allocation that aborts the process
when it fails; matinv reserves it fallibly first (crates/matinv/src/kernels/gemm_buffer.rs).
Each case runs in a child process under an address-space limit (RLIMIT_AS) that leaves room
for the input, the output and the workspaces but not for that buffer, and must raise
MemoryError there; with room for the buffer, the same call must give numpy's result.
"""

import os
import subprocess
import sys

import pytest


def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


_FLAGS = _cpu_flags()
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not ({"avx2", "fma"} <= _FLAGS or "avx512f" in _FLAGS),
    reason="the buffer is reserved where faer's product uses private-gemm-x86 on Linux "
    "(x86-64 with AVX2 and FMA); elsewhere its allocation stays infallible (README)",
)

# The child: builds its inputs and starts matinv's threads, then sets RLIMIT_AS to its
# address space plus `room` bytes and runs one case. Prints OK (result checked against
# numpy) or MemoryError.
CHILD = r"""
import resource, sys
import numpy as np
import matinv

def vmsize():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) << 10

case, n, room = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(0)
g = rng.standard_normal((n, n))
c = g + 1j * rng.standard_normal((n, n))
a = g + n * np.eye(n)
spd = g @ g.T + n * np.eye(n)
hpd = c @ c.conj().T + n * np.eye(n)
upper = np.triu(a)
inv = np.linalg.inv

CASES = {
    "inv": (lambda: matinv.inv(a), lambda: inv(a)),
    "inv_complex": (lambda: matinv.inv(c + n * np.eye(n)), lambda: inv(c + n * np.eye(n))),
    "inv_float32": (lambda: matinv.inv(a.astype(np.float32)), lambda: inv(a.astype(np.float32))),
    "inv_ex": (lambda: matinv.inv_ex(a)[0], lambda: inv(a)),
    "pos": (lambda: matinv.inv(spd, assume_a="pos"), lambda: inv(spd)),
    "sym": (lambda: matinv.inv(spd, assume_a="sym"), lambda: inv(spd)),
    "her": (lambda: matinv.inv(hpd, assume_a="her"), lambda: inv(hpd)),
    "auto_real": (lambda: matinv.inv(spd, assume_a="auto"), lambda: inv(spd)),
    "auto_complex": (lambda: matinv.inv(hpd, assume_a="auto"), lambda: inv(hpd)),
    "upper": (lambda: matinv.inv(upper, assume_a="upper triangular"), lambda: inv(upper)),
    "svd": (lambda: matinv.svd(a)[1], lambda: np.linalg.svd(a)[1]),
    # Two matrices: one per thread, or (in older builds) both threads inside each.
    "svd_pair": (
        lambda: matinv.svd(np.stack([a, a]))[1],
        lambda: np.linalg.svd(np.stack([a, a]))[1],
    ),
    "svd_thin": (lambda: matinv.svd(a, full_matrices=False)[1], lambda: np.linalg.svd(a)[1]),
    "svd_no_uv": (lambda: matinv.svd(a, compute_uv=False), lambda: np.linalg.svd(a)[1]),
    "svd_hermitian": (lambda: matinv.svd(spd, hermitian=True)[1], lambda: np.linalg.svd(spd)[1]),
    "svdvals": (lambda: matinv.svdvals(a), lambda: np.linalg.svd(a)[1]),
}
for p in [None, 2, -2, 1, -1, np.inf, -np.inf, "fro", "nuc"]:
    CASES[f"cond_{p}"] = (lambda p=p: matinv.cond(a, p), lambda p=p: np.linalg.cond(a, p))
run, want = CASES[case]

# Everything but the case itself before the limit: imports, numpy's results, and
# matinv's threads (a stack of small matrices runs over them without a matrix product).
expected = want()
matinv.inv(np.tile(np.eye(8), (20000, 1, 1)))
limit = vmsize() + int(room)
resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
try:
    got = run()
except MemoryError as e:
    print("MemoryError", e)
    sys.exit(0)
resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
print("OK")
"""

CASES = [
    "inv",
    "inv_complex",
    "inv_float32",
    "inv_ex",
    "pos",
    "sym",
    "her",
    "auto_real",
    "auto_complex",
    "upper",
    "svd",
    "svd_thin",
    "svd_no_uv",
    "svd_hermitian",
    "svdvals",
    *(f"cond_{p}" for p in [None, 2, -2, 1, -1, "inf", "-inf", "fro", "nuc"]),
]


def _child(case, n, room, threads):
    env = dict(os.environ, MATINV_NUM_THREADS=str(threads))
    r = subprocess.run(
        [sys.executable, "-c", CHILD, case, str(n), str(room)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    # An abort is returncode -6 (SIGABRT), with "memory allocation of ... failed".
    assert r.returncode == 0, (case, r.returncode, r.stderr[-2000:])
    return r.stdout.strip()


@pytest.fixture(scope="module")
def buffer_bytes():
    """The address space one thread's first matrix product takes (its packing buffer and
    the call's own needs), measured in a child without a limit."""
    code = r"""
import numpy as np, matinv
def vmsize():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) << 10
a = np.eye(200) * 2
matinv.inv(np.eye(8))
before = vmsize()
matinv.inv(a)
print(vmsize() - before)
"""
    env = dict(os.environ, MATINV_NUM_THREADS="1")
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert r.returncode == 0, r.stderr
    size = int(r.stdout)
    # private-gemm-x86's buffer is twice its estimate of the L3 cache, at least 2 MiB.
    assert size >= 4 << 20
    return size


@pytest.mark.parametrize("case", CASES)
def test_no_room_for_the_product_buffer_is_a_memory_error(case, buffer_bytes):
    # Room for everything but the buffer: half of it (at least 2 MiB, with the call's own
    # needs well below a megabyte at n = 200).
    out = _child(case, 200, buffer_bytes // 2, threads=1)
    assert out.startswith("MemoryError"), out


@pytest.mark.parametrize("case", ["inv", "pos", "auto_complex", "svd_pair"])
def test_every_thread_reserves_its_buffer(case, buffer_bytes):
    # n = 512 with two threads runs both inside each matrix (the pool threads multiply
    # too), or for the SVD one matrix per thread: room for one thread's buffer, not for
    # the others'.
    out = _child(case, 512, buffer_bytes + buffer_bytes // 2, threads=2)
    assert out.startswith("MemoryError"), out


@pytest.mark.parametrize("case", ["inv", "svd"])
def test_room_for_all_but_a_megabyte_of_the_buffer_is_a_memory_error(case, buffer_bytes):
    # The reservation asks for no less than the buffer: had it asked for a megabyte less, it
    # would succeed here and the buffer's own allocation abort.
    out = _child(case, 200, buffer_bytes - (1 << 20), threads=1)
    assert out.startswith("MemoryError"), out


@pytest.mark.parametrize("case", ["inv", "inv_ex", "her", "upper", "svd", "cond_None"])
def test_room_for_the_buffer_gives_the_result(case, buffer_bytes):
    # The reservation asks for the buffer's size, not more: with room for it (plus 16 MiB
    # for the rest of the call) every case completes, and agrees with numpy.
    assert _child(case, 200, buffer_bytes + (16 << 20), threads=1) == "OK"


@pytest.mark.parametrize("case", ["inv", "pos", "auto_complex", "svd", "svd_pair"])
def test_room_for_every_threads_buffer_gives_the_result(case, buffer_bytes):
    # Two threads: the calling thread's buffer and the pool threads' (three at most) plus
    # 128 MiB for the rest (the threads' malloc arenas among it) are enough: no product,
    # faer's threaded Cholesky and SVD included, asks for a buffer beyond one per thread.
    assert _child(case, 512, 3 * buffer_bytes + (128 << 20), threads=2) == "OK"


# The cache description could not be read at the first large product (every file
# descriptor taken): that must not leave later threads unreserved (it did: the size was
# remembered as unknown, and a new thread's first product under a limit aborted).
UNREADABLE_FIRST = r"""
import os, resource, threading
import numpy as np
import matinv

a = np.eye(97) * 2  # the first order of the blocked kernel, whose products reserve buffers
fds = []
try:
    while True:
        fds.append(os.open("/dev/null", os.O_RDONLY))
except OSError:
    pass
matinv.inv(a)
for fd in fds:
    os.close(fd)
with open("/proc/self/status") as f:
    vm = next(int(l.split()[1]) << 10 for l in f if l.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (vm + (64 << 20), resource.RLIM_INFINITY))

def work():
    try:
        matinv.inv(a)
        print("OK")
    except MemoryError:
        print("MemoryError")

t = threading.Thread(target=work)
t.start()
t.join()
"""


def test_a_cache_description_unreadable_once_is_read_again():
    env = dict(os.environ, MATINV_NUM_THREADS="1")
    r = subprocess.run(
        [sys.executable, "-c", UNREADABLE_FIRST],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    assert r.stdout.strip() == "MemoryError", r.stdout + r.stderr
