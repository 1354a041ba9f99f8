//! A rayon global pool that cannot start (under `ulimit -v 2000000`, with the address space
//! filled so that not one thread stack fits): rayon panics at every parallel call made
//! outside a pool then; matinv must run on the calling thread instead, or on a pool of its
//! own when a smaller one is asked for. Each test reruns itself in a child under that limit.
//!
//! (Under that limit every thread running a large product also reserves twice the L3 cache
//! in private-gemm-x86's buffer, 520 MiB on a 260 MiB-L3 machine, so the large matrices
//! run on the calling thread in one child and on a pool of 2 threads in another.)

use matinv::{inv, invert, svd_into, InvOptions, Params, Request, StackView};

const CHILD: &str = "MATINV_POOL_FALLBACK_CHILD";

/// Runs test `name` again in a child with the pool made impossible; checks that it said
/// `done`.
fn in_child(name: &str, child: fn()) {
    if std::env::var_os(CHILD).is_some() {
        child();
        println!("child {name} done");
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {LIMIT_KIB} && exec \"$0\" --exact \"$1\" --test-threads=1 --nocapture"
        ))
        .arg(exe)
        .arg(name)
        .env(CHILD, "1")
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("child {name} done")), "{stdout}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The largest entry of `|a inv(a) - I|` over a stack of `count` matrices of order `n`.
fn residual(a: &[f64], x: &[f64], count: usize, n: usize) -> f64 {
    let mut worst = 0.0f64;
    for k in 0..count {
        let (a, x) = (&a[k * n * n..][..n * n], &x[k * n * n..][..n * n]);
        for i in 0..n {
            for j in 0..n {
                let dot: f64 = (0..n).map(|l| a[i * n + l] * x[l * n + j]).sum();
                worst = worst.max((dot - f64::from(u8::from(i == j))).abs());
            }
        }
    }
    worst
}

/// `count` diagonally dominant matrices of order `n`.
fn matrices(count: usize, n: usize) -> Vec<f64> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut a: Vec<f64> = (0..count * n * n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        })
        .collect();
    for k in 0..count {
        for i in 0..n {
            a[k * n * n + i * n + i] += n as f64;
        }
    }
    a
}

/// The `ulimit -v` of the child, in KiB.
const LIMIT_KIB: usize = 2_000_000;
/// What must be free once the failed start is over: the pools and products that follow
/// (two threads' packing buffers are 1040 MiB on a 260 MiB-L3 machine).
const NEEDED_KIB: usize = 1_200_000;
/// Left free while the global pool starts: less than one thread's 2 MiB stack, so its
/// first thread cannot be made, and enough for the allocations of the failed start.
const SPARE_KIB: usize = 1_536;

/// A number field of `/proc/self/status` (`VmSize` in KiB, `Threads`), None outside Linux.
fn status_field(name: &str) -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let value = status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))?;
    value.trim().trim_end_matches("kB").trim().parse().ok()
}

/// Makes rayon's global start fail before any of its threads exists, then gives the
/// address space back. (Letting 2000 threads run into the limit instead is a race: a thread
/// whose stack was mapped can find no room left for the signal stack the standard library
/// maps when it starts, which aborts the process; seen in CI.) The address space is
/// reserved (mapped, never touched) in ever smaller blocks until only [`SPARE_KIB`] is
/// free, checked through `VmSize`.
fn after_the_failed_pool_start() {
    let mut blocks: Vec<Vec<u8>> = Vec::with_capacity(64);
    let spare: Vec<u8> = Vec::with_capacity(SPARE_KIB * 1024);
    std::hint::black_box(&spare);
    let mut size = 1usize << 30;
    while size >= 64 * 1024 {
        let mut block = Vec::<u8>::new();
        if blocks.len() < blocks.capacity() && block.try_reserve_exact(size).is_ok() {
            blocks.push(std::hint::black_box(block));
        } else {
            size /= 2;
        }
    }
    drop(spare);
    let threads = status_field("Threads");
    if let Some(used) = status_field("VmSize") {
        assert!(
            LIMIT_KIB.saturating_sub(used) < 2048,
            "{used} KiB of the {LIMIT_KIB} KiB limit in use: room for a thread"
        );
    }
    assert_eq!(matinv::default_num_threads(), 1); // the failed start happens here
    assert_eq!(
        status_field("Threads"),
        threads,
        "a thread of the failed start ran"
    );
    drop(blocks);
    if let Some(used) = status_field("VmSize") {
        assert!(
            LIMIT_KIB.saturating_sub(used) >= NEEDED_KIB,
            "{used} KiB of the {LIMIT_KIB} KiB limit in use after the failed start"
        );
    }
}

fn params(num_threads: usize) -> Params {
    Params::default().with_num_threads(num_threads)
}

fn check_inv(count: usize, n: usize, threads: usize) {
    let a = matrices(count, n);
    let view = StackView::c_contiguous(&a, &[count, n, n]).unwrap();
    let mut x = vec![0.0; a.len()];
    invert(
        Request::new(&view, &mut x)
            .with_options(InvOptions::default().with_params(params(threads))),
    )
    .unwrap();
    let r = residual(&a, &x, count, n);
    assert!(r < 1e-12, "count {count} n {n} threads {threads}: {r}");
}

/// The singular values of `count` matrices of order `n`, checked: their squares add up to
/// the squared Frobenius norm.
fn check_svd(count: usize, n: usize, threads: usize) -> Vec<f64> {
    let a = matrices(count, n);
    let view = StackView::c_contiguous(&a, &[count, n, n]).unwrap();
    let mut s = vec![0.0; count * n];
    let (mut u, mut vh) = (vec![0.0; count * n * n], vec![0.0; count * n * n]);
    svd_into(
        &view,
        &mut s,
        Some((&mut u, &mut vh)),
        true,
        false,
        &params(threads),
    )
    .unwrap();
    for k in 0..count {
        let fro: f64 = a[k * n * n..][..n * n].iter().map(|x| x * x).sum();
        let sum: f64 = s[k * n..][..n].iter().map(|x| x * x).sum();
        assert!((fro - sum).abs() < 1e-10 * fro, "count {count} n {n}");
    }
    s
}

#[test]
fn the_calling_thread_when_the_global_pool_cannot_start() {
    in_child(
        "the_calling_thread_when_the_global_pool_cannot_start",
        || {
            after_the_failed_pool_start();
            let two = [4.0f64, 7.0, 2.0, 6.0];
            let x = inv(&StackView::c_contiguous(&two, &[2, 2]).unwrap()).unwrap();
            let want = [0.6f64, -0.7, -0.2, 0.4];
            assert!(
                x.iter().zip(want).all(|(x, w)| (x - w).abs() < 1e-15),
                "{x:?}"
            );
            // Stacks split into tasks, and matrices large enough for threads inside them.
            for (count, n) in [(10_000, 4), (1, 600), (2, 800)] {
                check_inv(count, n, 0);
            }
            check_svd(1, 300, 0);
            check_svd(200, 6, 0);
        },
    );
}

#[test]
fn a_pool_of_its_own_when_the_global_pool_cannot_start() {
    in_child(
        "a_pool_of_its_own_when_the_global_pool_cannot_start",
        || {
            // Threads inside one SVD: its `Par` must be the own pool's, not rayon's global one
            // (asking that one for its size panics). Only the pool's 2 threads run products
            // here (see the memory note above).
            after_the_failed_pool_start();
            check_svd(1, 300, 2);
            check_svd(200, 6, 2);
            check_inv(10_000, 4, 2);
        },
    );
}
