//! Gauss-Jordan's pivot steps per pass, and where it should hand over to blocked
//! Gauss-Jordan: a tuning aid for `KernelParams`, not a benchmark. Configurations alternate
//! (the order flips every round) on the same seeded matrices (uniform in [-1, 1): they
//! pivot), and each prints its median time per matrix and its ratio to the first.
//!
//! `AB_N=64,96 AB_STEPS=0,2,3,3t [AB_COUNT=200] cargo run --release -p matinv --example
//! tune_gauss_jordan [THREADS]` (THREADS: 1 by default). A step count of 0 runs the kernels
//! without Gauss-Jordan (unblocked LU to n = 32, blocked Gauss-Jordan above); the others run
//! Gauss-Jordan at every order with that many steps per pass. A `t` after the count puts
//! all THREADS inside each single matrix (each of a stack of fewer matrices than
//! threads); without it a single matrix runs on one thread.
use matinv::{invert, InvOptions, KernelParams, Params, Request, StackView, ThreadParams};
use std::time::Instant;

fn main() {
    let threads: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    let ns: Vec<usize> = std::env::var("AB_N")
        .map(|v| v.split(',').map(|x| x.parse().unwrap()).collect())
        .unwrap_or(vec![12, 17, 24, 32, 48, 64, 80, 96, 112, 128]);
    let steps: Vec<String> = std::env::var("AB_STEPS")
        .map(|v| v.split(',').map(String::from).collect())
        .unwrap_or(vec!["1".into(), "2".into(), "3".into()]);
    for n in ns {
        for single in [false, true] {
            let fixed: Option<usize> = std::env::var("AB_COUNT").ok().map(|c| c.parse().unwrap());
            let count = if single {
                1
            } else {
                fixed.unwrap_or((2_000_000 / (n * n * n)).clamp(4, 20_000))
            };
            let mut a = vec![0.0f64; count * n * n];
            let mut s = 7u64;
            for x in a.iter_mut() {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *x = (s >> 11) as f64 / (1u64 << 52) as f64 - 1.0; // uniform in [-1, 1): pivots
            }
            let v = StackView::c_contiguous(&a, &[count, n, n]).unwrap();
            let mut out = vec![0.0; a.len()];
            let mut times = vec![Vec::new(); steps.len()];
            let reps = if single { 200 } else { 1 };
            for round in 0..(if single { 31 } else { 11 }) {
                for j in 0..steps.len() {
                    let ci = if round % 2 == 0 {
                        j
                    } else {
                        steps.len() - 1 - j
                    };
                    let inside = steps[ci].ends_with('t');
                    let st: usize = steps[ci].trim_end_matches('t').parse().unwrap();
                    let mut k = KernelParams::default();
                    k.lanes_max_n = 0;
                    k.gauss_jordan_max_n = if st == 0 { 0 } else { 512 };
                    k.gauss_jordan_steps = st.max(1);
                    let mut t = ThreadParams::default();
                    t.num_threads = threads;
                    let min_n = if inside { 0 } else { usize::MAX };
                    (t.single_parallel_min_n, t.gauss_jordan_parallel_min_n) = (min_n, min_n);
                    let p = InvOptions::default()
                        .with_params(Params::default().with_kernels(k).with_threads(t));
                    invert(Request::new(&v, &mut out).with_options(p)).ok();
                    let t0 = Instant::now();
                    for _ in 0..reps {
                        invert(Request::new(&v, &mut out).with_options(p)).ok();
                    }
                    times[ci].push(t0.elapsed().as_secs_f64() / (reps * count) as f64 * 1e9);
                }
            }
            let med: Vec<f64> = times
                .iter_mut()
                .map(|t| {
                    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
                    t[t.len() / 2]
                })
                .collect();
            let mut line = format!(
                "n={n:3} {:6} count={count:5}: ns/mat",
                if single { "single" } else { "stack" }
            );
            for (st, m) in steps.iter().zip(&med) {
                line += &format!("  steps{st:2} {m:9.0} ({:.3})", m / med[0]);
            }
            println!("{line}");
        }
    }
}
