//! Times the kernels per size with different parameters: a tuning aid for `Params`, not a
//! benchmark. `cargo run --release -p matinv --example tune [single | COUNT]` (COUNT:
//! matrices per size; by default fewer as n grows).
use matinv::{invert, InvOptions, KernelParams, Params, Request, StackView};
use std::time::Instant;

fn main() {
    let arg = std::env::args().nth(1);
    let single = arg.as_deref() == Some("single");
    let fixed: Option<usize> = arg.and_then(|a| a.parse().ok());
    for n in [
        2usize, 3, 4, 5, 8, 9, 10, 12, 14, 16, 24, 32, 48, 64, 80, 96, 112, 128, 192,
    ] {
        if fixed.is_some() && n > 16 {
            break; // a fixed count is for the stacks of the lanes kernel
        }
        let count = if single {
            1
        } else if let Some(count) = fixed {
            count
        } else {
            (4_000_000 / (n * n * n)).clamp(10, 200_000)
        };
        let mut a = vec![0.0f64; count * n * n];
        let mut s = 1u64;
        for (i, x) in a.iter_mut().enumerate() {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *x = (s >> 11) as f64 / (1u64 << 53) as f64
                + if (i / n) % n == i % n { n as f64 } else { 0.0 };
        }
        let v = StackView::c_contiguous(&a, &[count, n, n]).unwrap();
        let mut out = vec![0.0; a.len()];
        let mut line = format!("n={n:3} count={count:6}:");
        // Each configuration sends real sizes to other kernels: the default dispatch; the
        // lanes kernel up to 8 only (the default before it took 9..16); the unblocked LU
        // up to 64 (no lanes, no Gauss-Jordan); Gauss-Jordan from 2 to 192; blocked
        // Gauss-Jordan from 5 on; the "-2" ones apply two pivot steps per pass of the
        // Gauss-Jordan kernel (default: two to n = 64, three above).
        for (name, lanes, gauss_jordan, unblocked, steps) in [
            ("default", 16usize, 96usize, 32usize, 0usize),
            ("default-2", 16, 96, 32, 2),
            ("lanes-8", 8, 96, 32, 0),
            ("unblocked-lu", 0, 0, 64, 0),
            ("gauss-jordan", 0, 192, 4, 0),
            ("gauss-jordan-2", 0, 192, 4, 2),
            ("blocked", 0, 0, 4, 0),
        ] {
            let mut k = KernelParams::default();
            k.gauss_jordan_steps = steps;
            k.lanes_max_n = lanes;
            k.gauss_jordan_max_n = gauss_jordan;
            k.unblocked_max_n = unblocked;
            let p = InvOptions::default().with_params(Params::default().with_kernels(k));
            invert(Request::new(&v, &mut out).with_options(p)).unwrap();
            let mut best = f64::MAX;
            for _ in 0..(if single { 50 } else { 5 }) {
                let t = Instant::now();
                invert(Request::new(&v, &mut out).with_options(p)).unwrap();
                best = best.min(t.elapsed().as_secs_f64());
            }
            line += &format!("  {name} {:8.1} ns/mat", best / count as f64 * 1e9);
        }
        println!("{line}");
    }
}
