//! The `matinv` command run as a process: every error path of the issue, exit codes,
//! atomic output, stdin, precision, stats.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn matinv() -> Command {
    Command::cargo_bin("matinv").expect("binary built")
}

/// An `.npy` file (format 1.0) made by hand, so that headers can lie.
fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
    let dict = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
        if fortran { "True" } else { "False" }
    );
    npy_raw(&dict, data)
}

/// An `.npy` file (format 1.0) with the header dict given as text.
fn npy_raw(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut header = dict.as_bytes().to_vec();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(b' ');
    }
    header.push(b'\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header);
    out.extend(data);
    out
}

fn f64s(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    fs::write(&p, bytes).unwrap();
    p
}

/// `stack.npy` in `dir`: three 2x2 float64 matrices, the second and third singular (zero
/// pivots in columns 2 and 1).
fn singular_stack(dir: &TempDir) -> PathBuf {
    let data = f64s(&[1., 0., 0., 1., 1., 2., 2., 4., 0., 0., 0., 0.]);
    write(dir, "stack.npy", &npy("<f8", false, "(3, 2, 2)", &data))
}

/// Runs `matinv inv` on a file and expects exit 2 and one error line containing `want`.
fn input_error(name: &str, bytes: &[u8], want: &str) {
    let dir = TempDir::new().unwrap();
    let p = write(&dir, name, bytes);
    let out = dir.path().join("out.npy");
    let assert = matinv()
        .arg("inv")
        .arg(&p)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("matinv: error: "), "{stderr}");
    assert!(stderr.contains(name), "names the file: {stderr}");
    assert!(stderr.contains(want), "expected {want:?} in {stderr}");
    assert!(!out.exists(), "no output written");
    assert_eq!(fs::read(&p).unwrap(), bytes, "input untouched");
}

#[test]
fn missing_file() {
    matinv()
        .args(["inv", "does-not-exist.npy"])
        .assert()
        .code(2)
        .stderr("matinv: error: does-not-exist.npy: cannot read: no such file or directory\n");
}

#[test]
fn directory_as_input() {
    let dir = TempDir::new().unwrap();
    matinv()
        .arg("inv")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read"));
}

#[test]
fn truncated_npy() {
    let full = npy("<f8", false, "(2, 2)", &f64s(&[1.0, 2.0, 3.0, 4.0]));
    input_error("t.npy", &full[..full.len() - 3], "truncated");
    input_error("h.npy", &full[..40], "truncated");
    input_error("m.npy", &full[..7], "truncated .npy header");
}

#[test]
fn corrupt_magic_and_header() {
    let mut bad = npy("<f8", false, "(1, 1)", &f64s(&[2.0]));
    bad[1] = b'X';
    input_error("magic.npy", &bad, "not a .npy file");
    input_error(
        "dict.npy",
        &npy("<f8", false, "(1, 1", &f64s(&[2.0])),
        "corrupt .npy header",
    );
    input_error(
        "nest.npy",
        &npy("<f8", false, &"(".repeat(5000), &[]),
        "nested too deeply",
    );
    input_error(
        "ver.npy",
        b"\x93NUMPY\x09\x00\x10\x00{}",
        "unsupported .npy format version 9",
    );
}

#[test]
fn lying_headers_allocate_nothing() {
    // A shape of 10^18 elements over 8 bytes of data.
    input_error(
        "huge.npy",
        &npy("<f8", false, "(1000000000, 1000000000, 1)", &f64s(&[1.0])),
        "square",
    );
    input_error(
        "huge2.npy",
        &npy("<f8", false, "(1000000000, 1000000000, 1000000000)", &[]),
        "",
    );
    input_error(
        "big.npy",
        &npy("<f8", false, "(100000, 100000)", &f64s(&[1.0])),
        "truncated",
    );
    input_error(
        "overflow.npy",
        &npy("<f8", false, "(0, 4294967296, 4294967296, 4294967296)", &[]),
        "overflows",
    );
    // Format 2.0 with a header length of almost 4 GiB.
    let mut v2 = b"\x93NUMPY\x02\x00".to_vec();
    v2.extend(0xFFFF_FFF0u32.to_le_bytes());
    v2.extend(b"{'descr': '<f8'");
    input_error("hdr.npy", &v2, "header claims to be 4294967280 bytes long");
}

#[test]
fn unsupported_dtypes() {
    input_error(
        "h.npy",
        &npy("<f2", false, "(1, 1)", &[0, 60]),
        "array type float16 is unsupported in linalg",
    );
    input_error(
        "o.npy",
        &npy("|O", false, "(1, 1)", &[0; 8]),
        "unsupported dtype 'object'",
    );
    input_error(
        "u.npy",
        &npy("<U3", false, "(1, 1)", &[0; 12]),
        "unsupported dtype '<U3'",
    );
    input_error(
        "s.npy",
        &npy("|S2", false, "(1, 1)", &[0; 2]),
        "unsupported dtype",
    );
    input_error(
        "ld.npy",
        &npy("<f16", false, "(1, 1)", &[0; 16]),
        "float128 is unsupported",
    );
    input_error(
        "dt.npy",
        &npy("<M8[s]", false, "(1, 1)", &[0; 8]),
        "unsupported dtype",
    );
    input_error(
        "rec.npy",
        &npy_raw(
            "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1, 1)}",
            &[0; 8],
        ),
        "structured",
    );
}

#[test]
fn non_square_and_1d() {
    input_error(
        "ns.npy",
        &npy("<f8", false, "(2, 3)", &f64s(&[0.0; 6])),
        "Last 2 dimensions of the array must be square",
    );
    input_error(
        "1d.npy",
        &npy("<f8", false, "(4,)", &f64s(&[0.0; 4])),
        "1-dimensional array given",
    );
    input_error("ns.csv", b"1,2,3\n4,5,6\n", "must be square (shape (2, 3))");
}

#[test]
fn text_errors_name_line_and_field() {
    input_error(
        "ragged.csv",
        b"1,2\n3,4,5\n",
        "line 2 has 3 fields, line 1 has 2 (ragged rows)",
    );
    input_error(
        "word.csv",
        b"1,2\n3,four\n",
        "line 2, field 2: 'four' is not a number",
    );
    input_error(
        "nan.txt",
        b"1 2\n3 NaN\n",
        "line 2, field 2: 'NaN' is not finite",
    );
    input_error("inf.csv", b"inf,2\n3,4\n", "line 1, field 1");
    input_error("empty.csv", b"", "no numbers found");
    input_error("quote.csv", b"\"1,2\n", "");
}

#[test]
fn mtx_errors() {
    input_error(
        "c.mtx",
        b"%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1\n",
        "coordinate (sparse)",
    );
    input_error(
        "t.mtx",
        b"%%MatrixMarket matrix array real general\n2 2\n1\n2\n",
        "truncated: 2 of the 4 entries",
    );
    input_error(
        "h.mtx",
        b"%%MatrixMarket matrix array real general\n99999 99999\n1\n",
        "truncated",
    );
    input_error(
        "x.mtx",
        b"%%MatrixMarket matrix array real general\n1 1\nabc\n",
        "line 3: 'abc' is not a number",
    );
    input_error("b.mtx", b"hello\n", "not a Matrix Market file");
}

#[test]
fn singular_fails_whole_run_and_writes_nothing() {
    let dir = TempDir::new().unwrap();
    let p = write(&dir, "s.csv", b"1,0\n0,1\n\n");
    let stack = singular_stack(&dir);
    let out = dir.path().join("out.npy");
    matinv()
        .arg("inv")
        .arg(&stack)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "Singular matrix: matrix 1 (zero pivot in column 2) and 1 more; nothing written",
        ));
    assert!(!out.exists());
    // An existing output file is left as it was.
    fs::write(&out, b"old").unwrap();
    matinv()
        .arg("inv")
        .arg(&stack)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1);
    assert_eq!(fs::read(&out).unwrap(), b"old");
    // ... and replaced whole on success, with no temporary file left behind.
    matinv()
        .arg("inv")
        .arg(&p)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(0);
    assert!(fs::read(&out).unwrap().starts_with(b"\x93NUMPY"));
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn allow_singular_writes_nan_and_lists_indices() {
    let dir = TempDir::new().unwrap();
    let stack = singular_stack(&dir);
    let out = dir.path().join("out.txt");
    matinv()
        .arg("inv")
        .arg(&stack)
        .arg("-o")
        .arg(&out)
        .arg("--allow-singular")
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "2 singular matrices written as NaN: 1, 2",
        ));
    let text = fs::read_to_string(&out).unwrap();
    assert_eq!(
        text,
        "# matrix 0\n1 0\n0 1\n\n# matrix 1\nnan nan\nnan nan\n\n# matrix 2\nnan nan\nnan nan\n"
    );
}

#[test]
fn untrustworthy_writes_and_exits_1() {
    let dir = TempDir::new().unwrap();
    let p = write(&dir, "ill.csv", b"2,4,6\n2,0,2\n6,8,14\n");
    let out = dir.path().join("out.csv");
    matinv()
        .arg("inv")
        .arg(&p)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("rcond below eps")
                .and(predicate::str::contains("cannot be trusted")),
        );
    assert!(out.exists());
    // --quiet silences the warning, not the exit status.
    matinv()
        .arg("inv")
        .arg(&p)
        .arg("-o")
        .arg(&out)
        .arg("-q")
        .assert()
        .code(1)
        .stderr("");
}

#[test]
fn stdin_and_stdout() {
    matinv()
        .args(["inv", "-"])
        .write_stdin("1,2\n3,4\n")
        .assert()
        .code(0)
        .stdout("-1.9999999999999996 0.9999999999999998\n1.4999999999999998 -0.4999999999999999\n");
    matinv()
        .args(["inv", "-", "--format", "csv"])
        .write_stdin("4 0\n0 2\n")
        .assert()
        .code(0)
        .stdout("0.25,0\n0,0.5\n");
    // Binary input on stdin is recognised by its magic string.
    matinv()
        .args(["inv", "-"])
        .write_stdin(npy("<f8", false, "(1, 1)", &f64s(&[8.0])))
        .assert()
        .code(0)
        .stdout("0.125\n");
    matinv()
        .args(["inv", "-"])
        .write_stdin("1 2\n3 x\n")
        .assert()
        .code(2)
        .stderr("matinv: error: <stdin>: line 2, field 2: 'x' is not a number\n");
}

#[test]
fn precision() {
    matinv()
        .args(["inv", "-", "--precision", "3"])
        .write_stdin("3 0\n0 1\n")
        .assert()
        .code(0)
        .stdout("3.33e-1 0.00e0\n0.00e0 1.00e0\n");
    matinv()
        .args(["inv", "-", "--precision", "0"])
        .write_stdin("1")
        .assert()
        .code(2);
}

#[test]
fn json_and_table_stats() {
    let dir = TempDir::new().unwrap();
    let p = write(
        &dir,
        "a.npy",
        &npy(
            "<f8",
            false,
            "(2, 2, 2)",
            &f64s(&[1., 2., 3., 4., 1., 2., 2., 4.]),
        ),
    );
    let out = dir.path().join("x.npz");
    let assert = matinv()
        .arg("inv")
        .arg(&p)
        .arg("-o")
        .arg(&out)
        .args(["--json", "--allow-singular", "-q"])
        .assert()
        .code(0);
    let doc: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    let m = &doc["matrices"];
    assert_eq!(m[0]["singular"], false);
    assert!(m[0]["rcond"].as_f64().unwrap() > 0.04);
    assert!(m[0]["residual"].as_f64().unwrap() < 30.0);
    assert_eq!(m[1]["singular"], true);
    assert_eq!(m[1]["pivot"], 2);
    assert_eq!(doc["arrays"][0]["dtype"], "float64");
    // The table, on stderr when the inverse goes to stdout.
    matinv()
        .args(["inv", "-", "--stats"])
        .write_stdin("1,2\n3,4\n")
        .assert()
        .code(0)
        .stderr(predicate::str::contains("rcond").and(predicate::str::contains("ok")));
}

#[test]
fn formats_round_trip_in_process() {
    use matinv_cli::array::{Array, Data};
    use matinv_cli::formats::{read, Format};
    use matinv_cli::output::serialize;
    let a = Array::new(vec![2, 2], Data::F32(vec![1.0, 2.0, 3.0, 4.5])).unwrap();
    for f in [
        Format::Npy,
        Format::Npz,
        Format::Mtx,
        Format::Csv,
        Format::Txt,
    ] {
        let bytes = serialize(&[("arr_0".into(), a.clone())], f, None).unwrap();
        let back = read(&bytes, f).unwrap();
        // Text formats read back as float64, with the same values.
        let vals = match &back[0].1.data {
            Data::F32(v) => v.iter().map(|&x| x as f64).collect::<Vec<_>>(),
            Data::F64(v) => v.clone(),
            d => panic!("{d:?}"),
        };
        assert_eq!(vals, vec![1.0, 2.0, 3.0, 4.5], "{f:?}");
    }
}

#[test]
fn fortran_order_and_big_endian() {
    let dir = TempDir::new().unwrap();
    // [[1, 2], [3, 4]] stored column-major, big-endian.
    let be: Vec<u8> = [1.0f64, 3.0, 2.0, 4.0]
        .iter()
        .flat_map(|x| x.to_be_bytes())
        .collect();
    let p = write(&dir, "f.npy", &npy(">f8", true, "(2, 2)", &be));
    matinv()
        .arg("inv")
        .arg(&p)
        .assert()
        .code(0)
        .stdout("-1.9999999999999996 0.9999999999999998\n1.4999999999999998 -0.4999999999999999\n");
    // int8 input gives float64, as numpy does.
    let p = write(&dir, "i.npy", &npy("|i1", false, "(2, 2)", &[2, 0, 0, 4]));
    matinv()
        .arg("inv")
        .arg(&p)
        .assert()
        .code(0)
        .stdout("0.5 0\n0 0.25\n");
}

#[test]
fn usage_errors() {
    matinv().assert().code(2);
    matinv().args(["inv"]).assert().code(2);
    matinv().args(["frobnicate"]).assert().code(2);
    let dir = TempDir::new().unwrap();
    let p = write(&dir, "a.csv", b"1,2\n3,4\n");
    matinv()
        .arg("inv")
        .arg(&p)
        .arg("-o")
        .arg(dir.path().join("x.xyz"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot tell the output format"));
    // Never over the input.
    matinv()
        .arg("inv")
        .arg(&p)
        .arg("-o")
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is the input file"));
    assert_eq!(fs::read(&p).unwrap(), b"1,2\n3,4\n");
    // A stack has no Matrix Market form.
    let s = write(
        &dir,
        "s.npy",
        &npy("<f8", false, "(2, 1, 1)", &f64s(&[1.0, 2.0])),
    );
    matinv()
        .arg("inv")
        .arg(&s)
        .arg("-o")
        .arg(dir.path().join("x.mtx"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Matrix Market holds one matrix"));
    assert!(!Path::new(&dir.path().join("x.mtx")).exists());
}

#[test]
fn demo_needs_no_file() {
    matinv()
        .arg("demo")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("rcond").and(predicate::str::contains("singular")));
}

// ---- Hardening: sizes declared by the input, and where the output goes. ----

/// The binary as a plain `std` command, under an address-space limit (RLIMIT_AS) of
/// `limit` bytes when given, with SIGINT and SIGTERM at their default actions (a test
/// runner started in the background may have them ignored).
#[cfg(unix)]
fn raw_matinv(limit: Option<u64>) -> std::process::Command {
    raw_matinv_ignoring(limit, None)
}

/// [`raw_matinv`], with `ignored` (a signal number) set to be ignored, as `nohup` does.
#[cfg(unix)]
fn raw_matinv_ignoring(limit: Option<u64>, ignored: Option<i32>) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_matinv"));
    // SAFETY: between fork and exec only async-signal-safe calls (setrlimit, signal) are
    // made, on values owned by the closure.
    unsafe {
        c.pre_exec(move || {
            if let Some(limit) = limit {
                let r = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: limit,
                };
                if libc::setrlimit(libc::RLIMIT_AS, &r) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                let action = if Some(sig) == ignored {
                    libc::SIG_IGN
                } else {
                    libc::SIG_DFL
                };
                libc::signal(sig, action);
            }
            Ok(())
        });
    }
    c
}

/// 256 MiB of address space: the binary runs in it, the old code's 850 MB did not.
#[cfg(unix)]
const SMALL_MEMORY: u64 = 256 << 20;

#[cfg(unix)]
#[test]
fn many_empty_matrices_cost_no_memory() {
    let dir = TempDir::new().unwrap();
    for count in [3_000_000u64, 100_000_000, 1_000_000_000_000_000_000] {
        let shape = format!("({count}, 0, 0)");
        let p = write(&dir, "e.npy", &npy("<f8", false, &shape, &[]));
        assert!(fs::metadata(&p).unwrap().len() <= 128);
        let out = dir.path().join("x.npy");
        let t = std::time::Instant::now();
        let r = raw_matinv(Some(SMALL_MEMORY))
            .arg("inv")
            .arg(&p)
            .arg("-o")
            .arg(&out)
            .arg("--stats")
            .output()
            .unwrap();
        assert_eq!(
            r.status.code(),
            Some(0),
            "{count}: {:?} {}",
            r.status,
            String::from_utf8_lossy(&r.stderr)
        );
        assert!(
            t.elapsed().as_secs_f64() < 5.0,
            "{count}: {:?}",
            t.elapsed()
        );
        // Empty matrices have no statistics rows: the table is its header.
        assert_eq!(String::from_utf8(r.stdout).unwrap().lines().count(), 1);
        let back = matinv_cli::formats::npy::read(&fs::read(&out).unwrap()).unwrap();
        assert_eq!(back.shape, vec![count as usize, 0, 0]);
        assert_eq!(back.data, matinv_cli::array::Data::F64(vec![]));
        // Text on stdout: one line for the whole stack; JSON: no matrices.
        let r = raw_matinv(Some(SMALL_MEMORY))
            .arg("inv")
            .arg(&p)
            .arg("--json")
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(0), "{count}: {:?}", r.status);
        assert_eq!(
            String::from_utf8(r.stdout).unwrap(),
            format!("# empty matrices, shape {shape}\n")
        );
        let doc: serde_json::Value = serde_json::from_slice(&r.stderr).unwrap();
        assert_eq!(doc["matrices"], serde_json::json!([]));
        assert_eq!(doc["arrays"][0]["shape"], serde_json::json!([count, 0, 0]));
    }
}

#[cfg(unix)]
fn limited_input_error(name: &str, bytes: &[u8], want: &str) {
    let dir = TempDir::new().unwrap();
    let p = write(&dir, name, bytes);
    let out = dir.path().join("out.npy");
    let r = raw_matinv(Some(SMALL_MEMORY))
        .arg("inv")
        .arg(&p)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{name}: {:?} {stderr}", r.status);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("matinv: error: "), "{stderr}");
    assert!(stderr.contains(want), "expected {want:?} in {stderr}");
    assert!(!out.exists());
}

#[cfg(unix)]
#[test]
fn declared_data_that_is_absent_allocates_nothing() {
    // 10^12 elements declared, 8 bytes present.
    limited_input_error(
        "huge.npy",
        &npy("<f8", false, "(1000000, 1000, 1000)", &f64s(&[1.0])),
        "truncated: the header claims shape (1000000, 1000, 1000)",
    );
    limited_input_error(
        "huge.mtx",
        b"%%MatrixMarket matrix array real general\n1000000 1000000\n1\n",
        "truncated",
    );
}

#[cfg(unix)]
#[test]
fn out_of_memory_is_an_input_error_not_an_abort() {
    // Honest inputs too big for the memory there is: each allocation that grows with the
    // input fails cleanly, exit 2. int8 data becomes float64 (8x the file).
    limited_input_error(
        "i8.npy",
        &npy("|i1", false, "(6000, 6000)", &vec![1u8; 36_000_000]),
        "Unable to allocate",
    );
    // 16 million 1x1 float32 matrices: 64 MB of data, 256 MB of statuses.
    limited_input_error(
        "many.npy",
        &npy("<f4", false, "(16000000, 1, 1)", &vec![0u8; 64_000_000]),
        "Unable to allocate",
    );
    // Text: 24 bytes per number read from two bytes of text.
    let mut text = Vec::new();
    for _ in 0..3300 {
        text.extend(b"1 ".repeat(3300));
        text.push(b'\n');
    }
    limited_input_error("big.txt", &text, "Unable to allocate");
    // An endless input: reading it fails cleanly when the memory runs out.
    if Path::new("/dev/zero").exists() {
        let r = raw_matinv(Some(SMALL_MEMORY))
            .args(["inv", "/dev/zero", "--input-format", "npy"])
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(2), "{:?}", r.status);
        assert_eq!(
            String::from_utf8_lossy(&r.stderr),
            "matinv: error: /dev/zero: cannot read: out of memory\n"
        );
    }
}

/// A 2x2 input and the `.npy` bytes of its inverse, as `-o x.npy` writes them.
fn small_case(dir: &TempDir) -> (PathBuf, Vec<u8>) {
    let p = write(dir, "a.csv", b"4,0\n0,2\n");
    let out = dir.path().join("ref.npy");
    matinv()
        .arg("inv")
        .arg(&p)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(0);
    let want = fs::read(&out).unwrap();
    fs::remove_file(&out).unwrap();
    (p, want)
}

#[cfg(unix)]
fn no_temp_files(dir: &Path) {
    let left: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".matinv-"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[cfg(unix)]
#[test]
fn output_onto_a_fifo_is_written_through() {
    use std::os::unix::fs::FileTypeExt;
    let dir = TempDir::new().unwrap();
    let (p, want) = small_case(&dir);
    let fifo = dir.path().join("pipe.npy");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read(fifo).unwrap())
    };
    matinv()
        .arg("inv")
        .arg(&p)
        .arg("-o")
        .arg(&fifo)
        .assert()
        .code(0);
    // Checked before joining: the old code renamed a regular file over the FIFO, and the
    // reader then waits forever.
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(reader.join().unwrap(), want);
    no_temp_files(dir.path());
}

#[cfg(unix)]
#[test]
fn output_onto_a_character_device_is_written_through() {
    use std::os::unix::fs::FileTypeExt;
    let dir = TempDir::new().unwrap();
    let (p, _) = small_case(&dir);
    // A private null device (major 1, minor 3) where we may make one (root), so that a
    // broken build cannot replace the system's /dev/null; else /dev/null, which only root
    // could have replaced anyway.
    let own = dir.path().join("null");
    let dev = if std::process::Command::new("mknod")
        .arg(&own)
        .args(["c", "1", "3"])
        .status()
        .is_ok_and(|s| s.success())
    {
        own
    } else {
        PathBuf::from("/dev/null")
    };
    for format in ["npy", "npz", "txt"] {
        matinv()
            .arg("inv")
            .arg(&p)
            .arg("-o")
            .arg(&dev)
            .args(["--format", format])
            .assert()
            .code(0)
            .stderr("");
        assert!(fs::symlink_metadata(&dev)
            .unwrap()
            .file_type()
            .is_char_device());
    }
    no_temp_files(dir.path());
}

#[cfg(unix)]
#[test]
fn output_through_a_symlink_replaces_the_file_it_names() {
    let dir = TempDir::new().unwrap();
    let (p, want) = small_case(&dir);
    // A link to an existing file: the file is replaced, the link stays.
    fs::create_dir(dir.path().join("sub")).unwrap();
    let real = dir.path().join("sub/real.npy");
    fs::write(&real, b"old").unwrap();
    let link = dir.path().join("link.npy");
    std::os::unix::fs::symlink("sub/real.npy", &link).unwrap();
    matinv()
        .arg("inv")
        .arg(&p)
        .arg("-o")
        .arg(&link)
        .assert()
        .code(0);
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read_link(&link).unwrap(), Path::new("sub/real.npy"));
    assert_eq!(fs::read(&real).unwrap(), want);
    // A dangling link: the file it names is created.
    let dangling = dir.path().join("dangling.npy");
    std::os::unix::fs::symlink("sub/new.npy", &dangling).unwrap();
    matinv()
        .arg("inv")
        .arg(&p)
        .arg("-o")
        .arg(&dangling)
        .assert()
        .code(0);
    assert!(fs::symlink_metadata(&dangling)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read(dir.path().join("sub/new.npy")).unwrap(), want);
    no_temp_files(dir.path());
    no_temp_files(&dir.path().join("sub"));
    // A link to the input is the input.
    let to_input = dir.path().join("in-link.csv");
    std::os::unix::fs::symlink(&p, &to_input).unwrap();
    matinv()
        .arg("inv")
        .arg(&p)
        .arg("-o")
        .arg(&to_input)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is the input file"));
    assert_eq!(fs::read(&p).unwrap(), b"4,0\n0,2\n");
}

#[cfg(unix)]
#[test]
fn output_keeps_the_permissions_of_the_file_it_replaces() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new().unwrap();
    let (p, want) = small_case(&dir);
    let out = dir.path().join("private.npy");
    fs::write(&out, b"old").unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o600)).unwrap();
    matinv()
        .arg("inv")
        .arg(&p)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(0);
    assert_eq!(fs::read(&out).unwrap(), want);
    assert_eq!(
        fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn output_onto_a_directory_is_an_error() {
    let dir = TempDir::new().unwrap();
    let (p, _) = small_case(&dir);
    let sub = dir.path().join("d.npy");
    fs::create_dir(&sub).unwrap();
    matinv()
        .arg("inv")
        .arg(&p)
        .arg("-o")
        .arg(&sub)
        .assert()
        .code(2)
        .stderr(format!(
            "matinv: error: {}: cannot write: is a directory\n",
            sub.display()
        ));
    assert!(sub.is_dir());
}

#[test]
fn dash_output_is_stdout() {
    let dir = TempDir::new().unwrap();
    let (p, want) = small_case(&dir);
    for format in ["npy", "npz", "csv"] {
        let file = dir.path().join(format!("x.{format}"));
        matinv()
            .arg("inv")
            .arg(&p)
            .arg("-o")
            .arg(&file)
            .assert()
            .code(0);
        let r = matinv()
            .arg("inv")
            .arg(&p)
            .args(["-o", "-", "--format", format])
            .assert()
            .code(0);
        assert_eq!(r.get_output().stdout, fs::read(&file).unwrap(), "{format}");
    }
    assert_eq!(fs::read(dir.path().join("x.npy")).unwrap(), want);
    assert!(!dir.path().join("-").exists());
}

/// Sends `signal` to a run writing a big output once its temporary file exists.
#[cfg(unix)]
fn interrupted_write(signal: i32) {
    interrupted_write_ignoring(signal, false)
}

/// [`interrupted_write`]; with `ignored`, the signal is ignored from the start, and the
/// run must finish its output as if nothing had happened.
#[cfg(unix)]
fn interrupted_write_ignoring(signal: i32, ignored: bool) {
    use std::os::unix::process::ExitStatusExt;
    let dir = TempDir::new().unwrap();
    // Two million 1x1 matrices: 16 MB in, about 40 MB of text out.
    let count = 2_000_000;
    let p = write(
        &dir,
        "big.npy",
        &npy(
            "<f8",
            false,
            &format!("({count}, 1, 1)"),
            &f64s(&vec![2.0; count]),
        ),
    );
    let out = dir.path().join("out.txt");
    let mut child = raw_matinv_ignoring(None, ignored.then_some(signal))
        .arg("inv")
        .arg(&p)
        .arg("-o")
        .arg(&out)
        .spawn()
        .unwrap();
    let t = std::time::Instant::now();
    let seen = loop {
        let tmp = fs::read_dir(dir.path()).unwrap().any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".matinv-")
        });
        if tmp {
            break true;
        }
        if child.try_wait().unwrap().is_some() || t.elapsed().as_secs() > 60 {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    };
    assert!(seen, "the run ended before its temporary file was seen");
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
    let status = child.wait().unwrap();
    no_temp_files(dir.path());
    if ignored {
        assert_eq!(status.code(), Some(0), "{status:?}");
        let text = fs::read_to_string(&out).unwrap();
        assert_eq!(text.lines().filter(|l| *l == "0.5").count(), count);
    } else {
        assert_eq!(status.signal(), Some(signal), "{status:?}");
        assert!(!out.exists());
    }
}

#[cfg(unix)]
#[test]
fn sigterm_during_the_write_leaves_no_temporary_file() {
    interrupted_write(libc::SIGTERM);
}

#[cfg(unix)]
#[test]
fn sigint_during_the_write_leaves_no_temporary_file() {
    interrupted_write(libc::SIGINT);
}

#[cfg(unix)]
#[test]
fn sighup_during_the_write_leaves_no_temporary_file() {
    interrupted_write(libc::SIGHUP);
}

#[cfg(unix)]
#[test]
fn an_ignored_signal_stays_ignored_during_the_write() {
    interrupted_write_ignoring(libc::SIGTERM, true);
}
