//! Under an address-space limit that leaves no room for faer's per-thread packing buffer
//! (at least 4 MiB: twice an L3 estimate of at least 2 MiB), the calls that run faer's
//! matrix products fail with `Error::TooLarge` instead of aborting the process. Each case
//! runs in a child process (this test binary again, running the ignored `child` test),
//! which sets `RLIMIT_AS` to its own address space plus 3 MiB, less than any such buffer
//! and more than the calls need besides it at n = 100.
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use matinv::{Error, InvOptions, Norm, Params, StackView, Structure, Vectors};
use std::process::Command;

const CASES: [&str; 8] = [
    "inv",
    "inv_complex",
    "inv_ex",
    "pos",
    "svd",
    "svdvals",
    "cond_two",
    "cond_one",
];

/// Whether faer's products use private-gemm-x86 here (the buffer matinv reserves).
fn reserved_here() -> bool {
    std::is_x86_feature_detected!("avx512f")
        || (std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma"))
}

#[test]
fn no_room_for_the_product_buffer_is_too_large_not_an_abort() {
    if !reserved_here() {
        eprintln!("skipped: faer's products do not use private-gemm-x86 on this CPU");
        return;
    }
    let exe = std::env::current_exe().unwrap();
    for case in CASES {
        let out = Command::new(&exe)
            .args([
                "child",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("MATINV_MEMORY_CASE", case)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        // An abort is a signal (SIGABRT), with "memory allocation of ... failed".
        assert!(
            out.status.success(),
            "{case}: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(&format!("{case}: TooLarge")),
            "{case}: {stdout}"
        );
    }
}

#[repr(C)]
struct RLimit {
    cur: u64,
    max: u64,
}

unsafe extern "C" {
    fn setrlimit(resource: i32, limit: *const RLimit) -> i32;
}

/// Linux's `RLIMIT_AS`.
const RLIMIT_AS: i32 = 9;

fn vmsize() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmSize:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib << 10
}

#[test]
#[ignore = "run by no_room_for_the_product_buffer_is_too_large_not_an_abort in a child"]
fn child() {
    let Ok(case) = std::env::var("MATINV_MEMORY_CASE") else {
        return;
    };
    let n = 100;
    let a: Vec<f64> = (0..n * n)
        .map(|k| ((k * 7919) % 13) as f64 + if k % (n + 1) == 0 { 100.0 } else { 0.0 })
        .collect();
    let c: Vec<matinv::c64> = a.iter().map(|&x| matinv::c64::new(x, 1.0)).collect();
    // A * A^T + n I: positive definite.
    let spd: Vec<f64> = (0..n * n)
        .map(|k| {
            let (i, j) = (k / n, k % n);
            (0..n).map(|l| a[i * n + l] * a[j * n + l]).sum::<f64>()
                + if i == j { n as f64 } else { 0.0 }
        })
        .collect();
    let view = StackView::c_contiguous(&a, &[n, n]).unwrap();
    let cview = StackView::c_contiguous(&c, &[n, n]).unwrap();
    let sview = StackView::c_contiguous(&spd, &[n, n]).unwrap();
    let mut out = vec![0.0; n * n];
    let mut status = vec![matinv::Status::default(); 1];
    let one_thread = Params::default().with_num_threads(1);
    let opts = InvOptions::default().with_params(one_thread);
    // rayon's global pool first (the calls with default parameters ask its size): its
    // threads' stacks are not what this tests.
    matinv::default_num_threads();
    let limit = vmsize() + (3 << 20);
    let rl = RLimit {
        cur: limit,
        max: u64::MAX,
    };
    // SAFETY: a valid pointer to a properly laid out `struct rlimit` (two 64-bit values).
    assert_eq!(unsafe { setrlimit(RLIMIT_AS, &rl) }, 0);
    let result: Result<(), Error> = match case.as_str() {
        "inv" => matinv::invert(matinv::Request::new(&view, &mut out).with_options(opts)),
        "inv_complex" => matinv::inv(&cview).map(drop),
        "inv_ex" => matinv::invert(
            matinv::Request::new(&view, &mut out)
                .with_status(&mut status)
                .with_options(opts),
        ),
        "pos" => matinv::invert(
            matinv::Request::new(&sview, &mut out)
                .with_options(opts.with_structure(Structure::PositiveDefinite { lower: false })),
        ),
        "svd" => matinv::svd(&view, Vectors::Full, false).map(drop),
        "svdvals" => matinv::svdvals(&view).map(drop),
        "cond_two" => matinv::cond_with(&view, Norm::Two, &one_thread).map(drop),
        "cond_one" => matinv::cond_with(&view, Norm::One, &one_thread).map(drop),
        other => panic!("unknown case {other}"),
    };
    match result {
        Err(Error::TooLarge) => println!("{case}: TooLarge"),
        other => println!("{case}: {other:?}"),
    }
}
