//! One real matrix inverted by matinv and by faer's own LU inverse, side by side (issue 29's
//! Rust peer): each on every core, its storage allocated before the timing, results
//! checked against each other. Medians of interleaved samples, back to back ("hot": after
//! untimed calls) and one call after a pause ("paused", as a program calls between other
//! work), and faer's time over matinv's.
//!
//! `cargo run --release -p matinv --example vs_faer -- [PAUSE_S] [N ...]`
//! (defaults: 0.3 s; n = 64 128 256 512 1024 2048)
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::lu::partial_pivoting::{factor, inverse};
use faer::{Mat, Par};
use matinv::{invert, InvOptions, Request, StackView};
use std::time::{Duration, Instant};

/// faer's LU inverse with preallocated storage: factor in place, then invert from the
/// factors into `out`.
struct Faer {
    lu: Mat<f64>,
    out: Mat<f64>,
    perm: Vec<usize>,
    perm_inv: Vec<usize>,
    stack: MemBuffer,
    par: Par,
}

impl Faer {
    fn new(n: usize, par: Par) -> Self {
        let req = factor::lu_in_place_scratch::<usize, f64>(n, n, par, Default::default())
            .or(inverse::inverse_scratch::<usize, f64>(n, par));
        Self {
            lu: Mat::zeros(n, n),
            out: Mat::zeros(n, n),
            perm: vec![0; n],
            perm_inv: vec![0; n],
            stack: MemBuffer::new(req),
            par,
        }
    }

    fn invert(&mut self, a: &Mat<f64>) {
        self.lu.copy_from(a);
        let (_, p) = factor::lu_in_place(
            self.lu.as_mut(),
            &mut self.perm,
            &mut self.perm_inv,
            self.par,
            MemStack::new(&mut self.stack),
            Default::default(),
        );
        let (l, u) = (self.lu.as_ref(), self.lu.as_ref());
        inverse::inverse(
            self.out.as_mut(),
            l,
            u,
            p,
            self.par,
            MemStack::new(&mut self.stack),
        );
    }
}

fn median(mut t: Vec<f64>) -> f64 {
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

/// Seconds per call back to back: untimed calls for 0.1 s (at least one), then a timed loop
/// of at least 50 ms (at least two calls).
fn hot(mut call: impl FnMut()) -> f64 {
    let start = Instant::now();
    loop {
        call();
        if start.elapsed() >= Duration::from_millis(100) {
            break;
        }
    }
    let (start, mut calls) = (Instant::now(), 0);
    while calls < 2 || start.elapsed() < Duration::from_millis(50) {
        call();
        calls += 1;
    }
    start.elapsed().as_secs_f64() / calls as f64
}

fn paused(pause: Duration, mut call: impl FnMut()) -> f64 {
    std::thread::sleep(pause);
    let start = Instant::now();
    call();
    start.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let pause = Duration::from_secs_f64(args.first().map_or(0.3, |s| s.parse().unwrap()));
    let sizes: Vec<usize> = if args.len() > 1 {
        args[1..].iter().map(|s| s.parse().unwrap()).collect()
    } else {
        vec![64, 128, 256, 512, 1024, 2048]
    };
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let par = Par::rayon(threads);
    println!(
        "one n x n float64, {threads} threads each, medians; paused = one call after {:.1} s idle",
        pause.as_secs_f64()
    );
    println!(
        "{:>6} {:>11} {:>11} {:>11} {:>11} {:>10} {:>10}",
        "n", "matinv hot", "faer hot", "matinv psd", "faer psd", "faer/mi", "(paused)"
    );
    for n in sizes {
        let a = Mat::<f64>::from_fn(n, n, |i, j| {
            let k = i * n + j;
            ((k * 7919) % 1000) as f64 / 1000.0 + if i == j { n as f64 } else { 0.0 }
        });
        // matinv reads row-major storage: the same matrix, row by row.
        let rows: Vec<f64> = (0..n * n).map(|k| a[(k / n, k % n)]).collect();
        let view = StackView::c_contiguous(&rows, &[n, n]).unwrap();
        let mut out = vec![0.0; n * n];
        let opts = InvOptions::default();
        let mut fa = Faer::new(n, par);
        invert(Request::new(&view, &mut out).with_options(opts)).unwrap();
        fa.invert(&a);
        let diff = (0..n * n)
            .map(|k| (out[k] - fa.out[(k / n, k % n)]).abs())
            .fold(0.0, f64::max);
        assert!(diff < 1e-12, "n = {n}: matinv and faer differ by {diff:e}");
        let reps = if n >= 1024 { 5 } else { 9 };
        let (mut t_mi, mut t_fa, mut p_mi, mut p_fa) = (vec![], vec![], vec![], vec![]);
        for r in 0..reps {
            // Alternate which goes first, pausing before every sample.
            for first in [r % 2 == 0, r % 2 != 0] {
                if first {
                    p_mi.push(paused(pause, || {
                        invert(Request::new(&view, &mut out).with_options(opts)).unwrap()
                    }));
                    t_mi.push(hot(|| {
                        invert(Request::new(&view, &mut out).with_options(opts)).unwrap()
                    }));
                } else {
                    p_fa.push(paused(pause, || fa.invert(&a)));
                    t_fa.push(hot(|| fa.invert(&a)));
                }
            }
        }
        let (t_mi, t_fa, p_mi, p_fa) = (median(t_mi), median(t_fa), median(p_mi), median(p_fa));
        let ms = |s: f64| format!("{:.3} ms", s * 1e3);
        println!(
            "{n:>6} {:>11} {:>11} {:>11} {:>11} {:>10.2} {:>10.2}",
            ms(t_mi),
            ms(t_fa),
            ms(p_mi),
            ms(p_fa),
            t_fa / t_mi,
            p_fa / p_mi
        );
    }
}
