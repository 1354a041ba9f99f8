"""The `matinv` command on files numpy writes: numpy writes, matinv inverts, numpy reads
the result back and compares it with np.linalg.inv (same dtype, values within rounding).

The binary is taken from $MATINV_CLI, else target/release/matinv, else target/debug/matinv;
scripts/test.sh builds it, so these tests never skip in CI.
"""

import io
import json
import os
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

import matinv

ROOT = Path(__file__).resolve().parent.parent


def _binary():
    env = os.environ.get("MATINV_CLI")
    candidates = [Path(env)] if env else []
    candidates += [ROOT / "target" / "release" / "matinv", ROOT / "target" / "debug" / "matinv"]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    return None


BIN = _binary()
pytestmark = pytest.mark.skipif(
    BIN is None, reason="the matinv binary is not built (cargo build -p matinv-cli --release)"
)


def run(*args, stdin=None, code=0):
    p = subprocess.run([str(BIN), *map(str, args)], input=stdin, capture_output=True)
    assert p.returncode == code, (p.returncode, p.stderr.decode())
    return p


def result_dtype(dt):
    dt = np.dtype(dt)
    if dt.kind in "biu":
        return np.dtype(np.float64)
    return dt.newbyteorder("=")


def check(got, a):
    want = np.linalg.inv(a)
    assert got.dtype == want.dtype == result_dtype(a.dtype)
    assert got.shape == want.shape
    tol = 1e-4 if want.dtype in (np.float32, np.complex64) else 1e-11
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.abs(want).max(initial=1))


def well_conditioned(shape, dtype, rng):
    a = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    if np.dtype(dtype).kind in "biu":
        # unsigned types would wrap negative entries to ~2**64: keep them non-negative
        a = rng.integers(0 if np.dtype(dtype).kind == "u" else -5, 6, size=shape)
    n = shape[-1]
    a = a + (3 * n) * np.eye(n)  # diagonally dominant: well conditioned, never singular
    return a.astype(dtype)


DTYPES = [
    "<f8",
    ">f8",
    "<f4",
    ">f4",
    "<c16",
    ">c16",
    "<c8",
    "|i1",
    "<i2",
    ">i4",
    "<i8",
    "|u1",
    "<u2",
    "<u8",
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", [(3, 3), (4, 2, 2), (2, 3, 5, 5), (1, 40, 40)])
def test_npy_round_trip(tmp_path, dtype, order, shape):
    rng = np.random.default_rng(zlib.crc32(repr((dtype, order, shape)).encode()))
    a = np.asarray(well_conditioned(shape, dtype, rng), order=order)
    assert a.dtype == np.dtype(dtype)
    np.save(tmp_path / "a.npy", a)
    run("inv", tmp_path / "a.npy", "-o", tmp_path / "x.npy")
    check(np.load(tmp_path / "x.npy"), a)


def test_bool_npy(tmp_path):
    a = np.array([[True, False], [True, True]])
    np.save(tmp_path / "a.npy", a)
    run("inv", tmp_path / "a.npy", "-o", tmp_path / "x.npy")
    check(np.load(tmp_path / "x.npy"), a)


def test_empty_stacks(tmp_path):
    for shape in [(0, 0), (0, 3, 3), (2, 0, 0)]:
        a = np.zeros(shape)
        np.save(tmp_path / "a.npy", a)
        run("inv", tmp_path / "a.npy", "-o", tmp_path / "x.npy")
        check(np.load(tmp_path / "x.npy"), a)


@pytest.mark.parametrize("saver", [np.savez, np.savez_compressed])
def test_npz_round_trip(tmp_path, saver):
    rng = np.random.default_rng(1)
    arrays = {
        "a": well_conditioned((3, 3), np.float64, rng),
        "b": well_conditioned((5, 4, 4), np.complex64, rng),
        "c": well_conditioned((2, 2), np.int16, rng),
    }
    saver(tmp_path / "in.npz", **arrays)
    run("inv", tmp_path / "in.npz", "-o", tmp_path / "out.npz")
    with np.load(tmp_path / "out.npz") as out:
        assert sorted(out.files) == ["a", "b", "c"]
        for k, a in arrays.items():
            check(out[k], a)


def write_mtx(path, a, symmetry="general"):
    field = "complex" if np.iscomplexobj(a) else "real"
    lines = [
        f"%%MatrixMarket matrix array {field} {symmetry}",
        "% written by numpy",
        f"{a.shape[0]} {a.shape[1]}",
    ]
    for j in range(a.shape[1]):
        for i in range(a.shape[0]):
            if symmetry == "symmetric" and i < j:
                continue
            v = a[i, j]
            lines.append(
                f"{float(v.real)!r} {float(v.imag)!r}" if field == "complex" else repr(float(v))
            )
    path.write_text("\n".join(lines) + "\n")


def read_mtx(path):
    lines = [line for line in path.read_text().splitlines() if not line.startswith("%")]
    m, n = map(int, lines[0].split())
    vals = [
        complex(*map(float, line.split())) if len(line.split()) == 2 else float(line)
        for line in lines[1:]
    ]
    return np.array(vals).reshape(n, m).T


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_mtx_round_trip(tmp_path, dtype):
    a = well_conditioned((6, 6), dtype, np.random.default_rng(2))
    write_mtx(tmp_path / "a.mtx", a)
    run("inv", tmp_path / "a.mtx", "-o", tmp_path / "x.mtx")
    got = read_mtx(tmp_path / "x.mtx").astype(dtype)
    check(got, a)
    head = (tmp_path / "x.mtx").read_text().splitlines()[0]
    assert (
        head
        == f"%%MatrixMarket matrix array {'complex' if dtype == np.complex128 else 'real'} general"
    )


def test_mtx_symmetric(tmp_path):
    a = well_conditioned((5, 5), np.float64, np.random.default_rng(3))
    a = a + a.T
    write_mtx(tmp_path / "s.mtx", a, "symmetric")
    run("inv", tmp_path / "s.mtx", "-o", tmp_path / "x.npy")
    check(np.load(tmp_path / "x.npy"), a)


@pytest.mark.parametrize("ext,delim", [(".csv", ","), (".txt", " "), (".tsv", "\t")])
def test_text_round_trip_is_exact(tmp_path, ext, delim):
    a = well_conditioned((7, 7), np.float64, np.random.default_rng(4))
    np.savetxt(tmp_path / f"a{ext}", a, delimiter=delim, fmt="%.17g")
    run("inv", tmp_path / f"a{ext}", "-o", tmp_path / f"x{ext}")
    got = np.loadtxt(tmp_path / f"x{ext}", delimiter="," if ext == ".csv" else None)
    check(got, a)
    # Round-trip exact: the text holds exactly the float64 the .npy output holds.
    run("inv", tmp_path / f"a{ext}", "-o", tmp_path / "x.npy")
    assert np.array_equal(got, np.load(tmp_path / "x.npy"))


def test_stdin_to_stdout_and_complex_text(tmp_path):
    a = well_conditioned((3, 3), np.complex128, np.random.default_rng(5))
    buf = io.StringIO()
    np.savetxt(buf, a, delimiter=",")  # numpy writes " (re+imj)" fields
    p = run("inv", "-", stdin=buf.getvalue().encode())
    got = np.loadtxt(io.StringIO(p.stdout.decode()), dtype=complex)
    check(got, a)


def test_precision(tmp_path):
    a = np.array([[3.0, 0.0], [0.0, 7.0]])
    np.savetxt(tmp_path / "a.csv", a, delimiter=",")
    p = run("inv", tmp_path / "a.csv", "--precision", "4")
    assert p.stdout.decode() == "3.333e-1 0.000e0\n0.000e0 1.429e-1\n"


def test_extended(tmp_path):
    # Hilbert 12 (cond about 1e16): the working inverse is flagged untrustworthy (exit 1),
    # the double-double one is the extended inverse of matinv.inv, bit for bit, and trusted.
    h = np.array([[1 / (i + j + 1) for j in range(12)] for i in range(12)])
    np.save(tmp_path / "h.npy", h)
    p = run("inv", tmp_path / "h.npy", "-o", tmp_path / "w.npy", code=1)
    assert b"cannot be trusted" in p.stderr
    p = run("inv", tmp_path / "h.npy", "-o", tmp_path / "x.npy", "--extended", "--json")
    assert p.stderr == b""
    assert json.loads(p.stdout)["matrices"][0]["ill_conditioned"] is False
    np.testing.assert_array_equal(np.load(tmp_path / "x.npy"), matinv.inv(h, precision="extended"))


def test_stats_json(tmp_path):
    a = np.stack(
        [np.eye(3) * 2, np.array([[2, 4, 6], [2, 0, 2], [6, 8, 14]], float), np.ones((3, 3))]
    )
    np.save(tmp_path / "a.npy", a)
    p = run(
        "inv",
        tmp_path / "a.npy",
        "-o",
        tmp_path / "x.npy",
        "--json",
        "--allow-singular",
        "-q",
        code=1,
    )
    doc = json.loads(p.stdout)
    m = doc["matrices"]
    assert [x["singular"] for x in m] == [False, False, True]
    assert [x["ill_conditioned"] for x in m] == [False, True, False]
    assert m[0]["rcond"] == pytest.approx(1.0)
    cond = np.linalg.cond(a[1], 1)
    assert m[1]["rcond"] < 1e-15 and cond > 1e15
    assert m[0]["residual"] < 30
    x = np.load(tmp_path / "x.npy")
    assert np.isnan(x[2]).all()
    check(x[0], a[0])


def test_singular_exits_1_without_output(tmp_path):
    np.save(tmp_path / "a.npy", np.array([[1.0, 2.0], [2.0, 4.0]]))
    p = run("inv", tmp_path / "a.npy", "-o", tmp_path / "x.npy", code=1)
    assert b"Singular matrix" in p.stderr
    assert not (tmp_path / "x.npy").exists()


@pytest.mark.parametrize(
    "dtype,message",
    [
        (np.float16, "array type float16 is unsupported in linalg"),
        (np.str_, "unsupported dtype"),
        (object, "object"),
    ],
)
def test_unsupported_dtypes(tmp_path, dtype, message):
    a = np.ones((2, 2), dtype=dtype)
    np.save(tmp_path / "a.npy", a, allow_pickle=True)
    p = run("inv", tmp_path / "a.npy", code=2)
    assert message in p.stderr.decode()
    if dtype is np.float16:
        with pytest.raises(TypeError, match=message):
            np.linalg.inv(a)


def test_demo():
    p = run("demo")
    out = p.stdout.decode()
    assert "rcond" in out and "singular" in out


def _npy_header_only(path, shape):
    """An .npy file that declares `shape` of float64 and holds no data (all of it empty)."""
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape!r}, }}"
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())


@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_AS is POSIX")
@pytest.mark.parametrize("count", [3_000_000, 100_000_000])
def test_many_empty_matrices_in_little_memory(tmp_path, count):
    import resource
    import time

    limit = 256 << 20

    def small():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    _npy_header_only(tmp_path / "e.npy", (count, 0, 0))
    assert (tmp_path / "e.npy").stat().st_size <= 128
    t = time.monotonic()
    p = subprocess.run(
        [str(BIN), "inv", tmp_path / "e.npy", "-o", tmp_path / "x.npy"],
        capture_output=True,
        preexec_fn=small,
    )
    assert p.returncode == 0, (p.returncode, p.stderr.decode())
    assert time.monotonic() - t < 5
    x = np.load(tmp_path / "x.npy")
    assert x.shape == (count, 0, 0) and x.dtype == np.float64


def test_binary_output_to_a_terminal_is_refused(tmp_path):
    pty = pytest.importorskip("pty")
    np.save(tmp_path / "a.npy", np.array([[2.0, 0.0], [0.0, 4.0]]))
    master, slave = pty.openpty()
    try:
        for fmt in ["npy", "npz"]:
            p = subprocess.run(
                [str(BIN), "inv", tmp_path / "a.npy", "-o", "-", "--format", fmt],
                stdout=slave,
                stderr=subprocess.PIPE,
            )
            assert p.returncode == 2, p.stderr.decode()
            assert "is a terminal; refusing to write binary" in p.stderr.decode()
        # Text to a terminal is what the command is for.
        p = subprocess.run(
            [str(BIN), "inv", tmp_path / "a.npy"], stdout=slave, stderr=subprocess.PIPE
        )
        assert p.returncode == 0, p.stderr.decode()
        assert os.read(master, 1000).replace(b"\r", b"") == b"0.5 0\n0 0.25\n"
    finally:
        os.close(slave)
        os.close(master)


# Hardening, second pass (issue 25, finding 7): inputs numpy reads that the command
# refused or misread.


def test_bool_bytes_other_than_one_are_true(tmp_path):
    raw = np.array([[2, 0], [255, 1]], dtype=np.uint8).view(np.bool_)
    np.save(tmp_path / "a.npy", raw)
    a = np.load(tmp_path / "a.npy")
    assert a.tolist() == [[True, False], [True, True]]  # numpy reads them as True
    run("inv", tmp_path / "a.npy", "-o", tmp_path / "x.npy")
    check(np.load(tmp_path / "x.npy"), a)


def test_native_order_descr(tmp_path):
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    np.save(tmp_path / "a.npy", a)
    data = (tmp_path / "a.npy").read_bytes().replace(b"'<f8'", b"'=f8'")
    (tmp_path / "a.npy").write_bytes(data)
    assert np.load(tmp_path / "a.npy").dtype == np.float64  # numpy accepts it
    run("inv", tmp_path / "a.npy", "-o", tmp_path / "x.npy")
    check(np.load(tmp_path / "x.npy"), a)


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"])
def test_text_line_endings_and_inline_comments_as_loadtxt(tmp_path, ending):
    text = ending.join(["# head", "4 1 # row 0", "1 3#row 1", "# tail", ""])
    (tmp_path / "a.txt").write_bytes(text.encode())
    a = np.loadtxt(tmp_path / "a.txt")
    assert a.shape == (2, 2)
    p = run("inv", tmp_path / "a.txt")
    np.testing.assert_allclose(np.loadtxt(io.StringIO(p.stdout.decode())), np.linalg.inv(a))
    csv = ending.join(["4,1 # row 0, with a comma", "1,3", ""])
    (tmp_path / "a.csv").write_bytes(csv.encode())
    p = run("inv", tmp_path / "a.csv")
    got = np.loadtxt(io.StringIO(p.stdout.decode().replace(",", " ")))
    np.testing.assert_allclose(got, np.linalg.inv(np.loadtxt(tmp_path / "a.csv", delimiter=",")))


def test_npz_with_two_members_of_one_name_is_refused(tmp_path):
    import zipfile

    buf = io.BytesIO()
    np.save(buf, np.eye(2))
    with zipfile.ZipFile(tmp_path / "dup.npz", "w") as z:
        with pytest.warns(UserWarning, match="Duplicate name"):
            z.writestr("a.npy", buf.getvalue())
            z.writestr("a.npy", buf.getvalue())
    p = run("inv", tmp_path / "dup.npz", "-o", tmp_path / "x.npz", code=2)
    assert "two members named 'a'" in p.stderr.decode()
    assert not (tmp_path / "x.npz").exists()


def test_member_names_with_newlines_stay_one_line(tmp_path):
    np.savez(tmp_path / "a.npz", **{"x\ny": np.eye(2) * 2, "z": np.eye(2) * 4})
    p = run("inv", tmp_path / "a.npz")
    headers = [line for line in p.stdout.decode().splitlines() if line.startswith("# array")]
    assert headers == ["# array x\\ny", "# array z"]
    got = np.loadtxt(io.StringIO(p.stdout.decode()))  # the headers are comments
    np.testing.assert_allclose(got, np.vstack([np.eye(2) / 2, np.eye(2) / 4]))


def test_output_to_a_hard_link_of_the_input_is_refused(tmp_path):
    a = np.array([[2.0, 0.0], [0.0, 4.0]])
    np.save(tmp_path / "a.npy", a)
    os.link(tmp_path / "a.npy", tmp_path / "link.npy")
    before = (tmp_path / "a.npy").read_bytes()
    p = run("inv", tmp_path / "a.npy", "-o", tmp_path / "link.npy", code=2)
    assert "is the input file" in p.stderr.decode()
    assert (tmp_path / "a.npy").read_bytes() == before
