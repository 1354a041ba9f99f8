//! Every instruction-set copy of matinv's kernels computes the same bits. The test reruns
//! itself in child processes with `MATINV_ISA` capping the set at each one this CPU has
//! (baseline, AVX2, AVX-512), and compares a fingerprint of every inverse, status and
//! reciprocal condition number with its own: all kernels (tiny, lanes, Gauss-Jordan, LU,
//! blocked), all element types, stacks with singular and NaN matrices, the structured
//! inverses and extended precision. So a machine with AVX-512 also tests the AVX2 and
//! baseline copies its users on older CPUs get.

use matinv::{c64, inv_ex, InvOptions, Precision, StackView, Structure};
use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;

mod common;
use common::{random_matrix, Rng, TestElement};

const CHILD: &str = "MATINV_ISA_TEST_CHILD";
const NAME: &str = "every_instruction_set_computes_the_same_bits";
const SETS: [&str; 3] = ["baseline", "avx2", "avx512"];

/// `count` matrices of order `n` in one stack; with `count > 2`, matrix 1 is singular
/// (two equal rows) and matrix 2 holds a NaN.
fn stack<T: TestElement>(rng: &mut Rng, count: usize, n: usize, spd: bool) -> Vec<T> {
    let mut a = Vec::with_capacity(count * n * n);
    for m in 0..count {
        let mut x: Vec<T> = if spd {
            // B B^H + n I: Hermitian positive definite.
            let b: Vec<c64> = random_matrix(rng, n, 0.0);
            (0..n * n)
                .map(|k| {
                    let (i, j) = (k / n, k % n);
                    let mut s = c64::new(if i == j { n as f64 } else { 0.0 }, 0.0);
                    for l in 0..n {
                        s += b[i * n + l] * b[j * n + l].conj();
                    }
                    T::from_parts(s.re, s.im)
                })
                .collect()
        } else {
            random_matrix(rng, n, 0.5)
        };
        if count > 2 && n > 1 && m == 1 {
            let row: Vec<T> = x[..n].to_vec();
            x[(n - 1) * n..].copy_from_slice(&row);
        }
        if count > 2 && m == 2 {
            x[n * n / 2] = T::from_parts(f64::NAN, 0.0);
        }
        a.extend(x);
    }
    a
}

/// Hashes of every bit of the inverses, and of the statuses and reciprocal condition
/// numbers (or of the error's message).
fn fingerprint<T: TestElement>(a: &[T], count: usize, n: usize, opts: &InvOptions) -> String {
    let view = StackView::c_contiguous(a, &[count, n, n]).unwrap();
    let (mut hx, mut hs) = (DefaultHasher::new(), DefaultHasher::new());
    match inv_ex(&view, opts) {
        Ok((x, status)) => {
            // NaNs count as one value: their sign and payload follow from which operand
            // an instruction propagates (numpy's verdicts only ask whether it is NaN).
            let bits = |v: f64| {
                if v.is_nan() {
                    f64::NAN.to_bits()
                } else {
                    v.to_bits()
                }
            };
            for v in x {
                let v = v.widen();
                hx.write_u64(bits(v.re));
                hx.write_u64(bits(v.im));
            }
            for s in status {
                hs.write_u32(s.info);
                hs.write_u64(bits(s.rcond));
            }
        }
        Err(e) => hx.write(e.to_string().as_bytes()),
    }
    format!("x={:016x} status={:016x}", hx.finish(), hs.finish())
}

/// One line per case: its name and fingerprint, the same in every process for the same bits.
fn fingerprints() -> Vec<String> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut lines = Vec::new();
    let mut case = |name: String, print: String| lines.push(format!("{name}: {print}"));
    let general = InvOptions::default();
    for n in [
        1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 31, 32, 33, 48, 64, 65, 100,
    ] {
        let count = if n <= 17 { 11 } else { 3 };
        macro_rules! each_type {
            ($($t:ty),*) => {$(
                let a = stack::<$t>(&mut rng, count, n, false);
                let name = format!("general {} n={n} count={count}", stringify!($t));
                case(name, fingerprint(&a, count, n, &general));
            )*};
        }
        each_type!(f64, f32, c64, matinv::c32);
    }
    let structures = [
        ("pos-lower", Structure::PositiveDefinite { lower: true }),
        ("sym-upper", Structure::Symmetric { lower: false }),
        ("her-lower", Structure::Hermitian { lower: true }),
        ("upper", Structure::UpperTriangular),
        ("lower", Structure::LowerTriangular),
        ("diagonal", Structure::Diagonal),
        ("auto", Structure::Auto),
    ];
    for (label, structure) in structures {
        for n in [3, 6, 20, 40] {
            let opts = InvOptions::default().with_structure(structure);
            let a = stack::<f64>(&mut rng, 4, n, true);
            case(format!("{label} f64 n={n}"), fingerprint(&a, 4, n, &opts));
            let a = stack::<c64>(&mut rng, 4, n, true);
            case(format!("{label} c64 n={n}"), fingerprint(&a, 4, n, &opts));
        }
    }
    for n in [3, 10, 40] {
        for (label, structure) in [("general", Structure::General), ("pos", structures[0].1)] {
            let opts = InvOptions::default()
                .with_structure(structure)
                .with_precision(Precision::Extended);
            let a = stack::<f64>(&mut rng, 3, n, true);
            case(
                format!("extended {label} f64 n={n}"),
                fingerprint(&a, 3, n, &opts),
            );
            let a = stack::<c64>(&mut rng, 3, n, true);
            case(
                format!("extended {label} c64 n={n}"),
                fingerprint(&a, 3, n, &opts),
            );
        }
    }
    lines
}

#[test]
fn every_instruction_set_computes_the_same_bits() {
    if std::env::var_os(CHILD).is_some() {
        println!("set {}", matinv::instruction_set());
        for line in fingerprints() {
            println!("case {line}");
        }
        return;
    }
    let own = fingerprints();
    let widest = SETS
        .iter()
        .position(|s| *s == widest_set())
        .expect("a known instruction set");
    let mut failures = Vec::new();
    for set in &SETS[..=widest] {
        let stdout = run_child(NAME, Some(set));
        assert!(
            stdout.contains(&format!("set {set}\n")),
            "MATINV_ISA={set}: {stdout}"
        );
        let theirs: Vec<&str> = stdout
            .lines()
            .filter_map(|l| l.strip_prefix("case "))
            .collect();
        assert_eq!(theirs.len(), own.len(), "{stdout}");
        let differ: Vec<_> = own
            .iter()
            .zip(&theirs)
            .filter(|(a, b)| a != b)
            .map(|(a, b)| format!("{a} | {b}"))
            .collect();
        if !differ.is_empty() {
            failures.push(format!("MATINV_ISA={set} changes the bits of {differ:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn an_unknown_or_too_wide_cap_is_not_obeyed_blindly() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    // Names are case-insensitive, "scalar" is baseline's other name, unknown ones cap
    // nothing, and a cap wider than the CPU gives the CPU's set.
    let widest = widest_set();
    let widest = widest.as_str();
    for (value, want) in [
        ("SCALAR", "baseline"),
        (
            " Avx2 ",
            if widest == "baseline" {
                "baseline"
            } else {
                "avx2"
            },
        ),
        ("avx512", widest),
        ("sse9", widest),
    ] {
        let stdout = run_child("prints_the_set", Some(value));
        assert!(
            stdout.contains(&format!("set {want}\n")),
            "MATINV_ISA={value:?}: {stdout}"
        );
    }
}

/// The set a child process without `MATINV_ISA` runs: this CPU's widest (this process may
/// run under a cap of its own).
fn widest_set() -> String {
    let stdout = run_child("prints_the_set", None);
    let line = stdout.lines().find_map(|l| l.strip_prefix("set "));
    line.expect("the child prints its set").to_string()
}

/// Test `name` of this binary, run again in a child process with `MATINV_ISA=isa` (None:
/// unset); its standard output, after checking that it passed.
fn run_child(name: &str, isa: Option<&str>) -> String {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", name, "--test-threads=1", "--nocapture"])
        .env(CHILD, "1");
    match isa {
        Some(isa) => command.env("MATINV_ISA", isa),
        None => command.env_remove("MATINV_ISA"),
    };
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "MATINV_ISA={isa:?}: {stdout}\n{stderr}"
    );
    stdout
}

#[test]
fn prints_the_set() {
    if std::env::var_os(CHILD).is_some() {
        // On a line of its own: libtest's "test prints_the_set ... " precedes it.
        println!("\nset {}", matinv::instruction_set());
    }
}
