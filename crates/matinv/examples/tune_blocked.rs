//! Times blocked Gauss-Jordan per block width, on one thread and on all, against the
//! default dispatch (`invert` with default options): a tuning aid for the default block
//! width and the thresholds in `Params`, not a benchmark. Medians of repeated runs. Each
//! block width runs through the public API: `KernelParams::block_size`, with the smaller
//! kernels switched off (so every order goes to blocked Gauss-Jordan) and threads inside
//! the matrix or not.
//!
//! `cargo run --release -p matinv --example tune_blocked -- r 1024 64 128 256`
//! (`r` real, `c` complex; the order; block widths)
use matinv::{c64, invert, InvOptions, KernelParams, Params, Request, StackView, ThreadParams};
use std::time::Instant;

fn run<F: matinv::Element>(n: usize, blocks: &[usize], make: impl Fn(usize) -> F) {
    let a: Vec<F> = (0..n * n).map(make).collect();
    let reps = if n >= 2048 {
        5
    } else if n >= 512 {
        15
    } else {
        200
    };
    let nf = n as f64;
    let fl = 2.0
        * nf
        * nf
        * nf
        * if F::DTYPE.starts_with("float") {
            1.0
        } else {
            4.0
        };
    let v = StackView::c_contiguous(&a, &[n, n]).unwrap();
    // Every configuration once per round, rounds repeated: on a shared machine, drifts in
    // speed then hit all of them alike.
    let mut configs: Vec<(String, InvOptions)> =
        vec![("whole dispatch".into(), InvOptions::default())];
    for &b in blocks {
        for par in [false, true] {
            let mut k = KernelParams::default();
            (k.lanes_max_n, k.gauss_jordan_max_n, k.unblocked_max_n) = (0, 0, 0);
            k.block_size = b;
            let mut t = ThreadParams::default();
            if par {
                // Threads inside the matrix at any order.
                (t.parallel_min_n, t.single_parallel_min_n) = (0, 0);
            } else {
                t.num_threads = 1;
            }
            let name = format!("b={b} {}", if par { "par" } else { "seq" });
            let p = Params::default().with_kernels(k).with_threads(t);
            configs.push((name, InvOptions::default().with_params(p)));
        }
    }
    let mut out = a.clone();
    let mut times = vec![Vec::new(); configs.len()];
    for _ in 0..reps {
        for (c, (_, opts)) in configs.iter().enumerate() {
            let t = Instant::now();
            invert(Request::new(&v, &mut out).with_options(*opts)).unwrap();
            times[c].push(t.elapsed().as_secs_f64());
        }
    }
    println!(
        "n = {n}, {}, {reps} rounds:",
        if F::DTYPE.starts_with("float") {
            "real"
        } else {
            "complex"
        }
    );
    for ((name, _), ts) in configs.iter().zip(&mut times) {
        ts.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let (med, min) = (ts[ts.len() / 2], ts[0]);
        println!(
            "  {name:16} median {:9.3} ms  min {:9.3} ms  ({:.1} GF/s at the median)",
            med * 1e3,
            min * 1e3,
            fl / med / 1e9
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let complex = args[0] == "c";
    let n: usize = args[1].parse().unwrap();
    let blocks: Vec<usize> = args[2..].iter().map(|s| s.parse().unwrap()).collect();
    let val = |k: usize| {
        (((k * 7919) % 1000) as f64) / 1000.0
            + if k.is_multiple_of(n + 1) {
                n as f64
            } else {
                0.0
            }
    };
    if complex {
        run::<c64>(n, &blocks, |k| c64::new(val(k), val(k + 17) - 0.5));
    } else {
        run::<f64>(n, &blocks, val);
    }
}
