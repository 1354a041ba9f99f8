//! Core kernels per size (`cargo bench -p matinv`). Not part of the test run; the
//! side-by-side comparison with numpy is `bench/bench_inv.py`.

use divan::Bencher;
use matinv::{invert, InvOptions, Request, StackView};

fn main() {
    divan::main();
}

fn stack(count: usize, n: usize) -> Vec<f64> {
    let mut s = 0x9E3779B97F4A7C15u64;
    (0..count * n * n)
        .map(|k| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let diag = if (k / n) % n == k % n { n as f64 } else { 0.0 };
            (s >> 11) as f64 / (1u64 << 53) as f64 + diag
        })
        .collect()
}

fn run(b: Bencher, count: usize, n: usize, threads: usize) {
    let a = stack(count, n);
    let view = StackView::c_contiguous(&a, &[count, n, n]).unwrap();
    let mut out = vec![0.0; a.len()];
    let opts = InvOptions::default().with_num_threads(threads);
    b.counter(divan::counter::ItemsCount::new(count))
        .bench_local(|| invert(Request::new(&view, &mut out).with_options(opts)).unwrap());
}

/// Stacks of 10^5 small matrices, every core.
#[divan::bench(args = [2, 3, 4, 6, 8])]
fn batch_small(b: Bencher, n: usize) {
    run(b, 100_000, n, 0);
}

/// Mid sizes, 1000 matrices, every core.
#[divan::bench(args = [16, 32, 48, 64, 128])]
fn batch_mid(b: Bencher, n: usize) {
    run(b, 1000, n, 0);
}

/// One thread: the kernels alone.
#[divan::bench(args = [3, 4, 8, 32])]
fn batch_one_thread(b: Bencher, n: usize) {
    run(b, 10_000, n, 1);
}

/// Single large matrices.
#[divan::bench(args = [256, 512, 1024], sample_count = 5)]
fn single(b: Bencher, n: usize) {
    run(b, 1, n, 0);
}
