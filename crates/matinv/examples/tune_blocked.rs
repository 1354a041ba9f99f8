//! Times blocked Gauss-Jordan per block width, on one thread and on all, against the
//! whole dispatch (`inv_into_with`): a tuning aid for `default_block` and the thresholds in
//! `Params`, not a benchmark. Medians of repeated runs.
//!
//! `cargo run --release -p matinv --example tune_blocked -- r 1024 64 128 256`
//! (`r` real, `c` complex; the order; block widths)
use faer::Par;
use matinv::kernels::gauss_jordan_blocked::{invert_in_place, Workspace};
use matinv::{c64, inv_into_with, Field, Params, StackView};
use std::time::Instant;

fn time<Fn: FnMut()>(reps: usize, mut f: Fn) -> f64 {
    let mut ts: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    ts.sort_by(|a, b| a.partial_cmp(b).unwrap());
    ts[ts.len() / 2]
}

fn run<F: Field + matinv::Element>(n: usize, blocks: &[usize], make: impl Fn(usize) -> F) {
    let a: Vec<F> = (0..n * n).map(make).collect();
    let reps = if n >= 2048 {
        3
    } else if n >= 512 {
        9
    } else {
        200
    };
    let nf = n as f64;
    let fl = 2.0 * nf * nf * nf * if F::REAL { 1.0 } else { 4.0 };
    let v = StackView::c_contiguous(&a, &[n, n]).unwrap();
    let mut out = a.clone();
    let p = Params::default();
    let t = time(reps, || inv_into_with(&v, &mut out, &p).unwrap());
    let mut line = format!(
        "n={n} real={} current {:.3} ms ({:.1} GF/s)",
        F::REAL,
        t * 1e3,
        fl / t / 1e9
    );
    for &b in blocks {
        for par in [Par::Seq, Par::rayon(0)] {
            let mut ws = Workspace::<F>::new(n, b).unwrap();
            let mut x = a.clone();
            let t = time(reps, || {
                x.copy_from_slice(&a);
                invert_in_place(&mut x, par, &mut ws).unwrap()
            });
            line += &format!(
                " | b={b} {}: {:.3} ms ({:.1})",
                if par.degree() > 1 { "par" } else { "seq" },
                t * 1e3,
                fl / t / 1e9
            );
        }
    }
    println!("{line}");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let complex = args[0] == "c";
    let n: usize = args[1].parse().unwrap();
    let blocks: Vec<usize> = args[2..].iter().map(|s| s.parse().unwrap()).collect();
    let val = |k: usize| {
        (((k * 7919) % 1000) as f64) / 1000.0 + if k % (n + 1) == 0 { n as f64 } else { 0.0 }
    };
    if complex {
        run::<c64>(n, &blocks, |k| c64::new(val(k), val(k + 17) - 0.5));
    } else {
        run::<f64>(n, &blocks, val);
    }
}
