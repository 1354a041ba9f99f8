//! How close a stack of small matrices comes to the memory floor: inverting a C-contiguous
//! stack against a plain two-thread copy of the same bytes, both into an output buffer
//! reused from the call before and into fresh memory advised for transparent huge pages
//! (what numpy hands `matinv.inv` for a large result: the kernel zeroes every page on first
//! touch). Interleaved rounds, medians and minima. Not a benchmark of numpy: see
//! `bench/bench_inv.py`.
//!
//! `cargo run --release -p matinv --example memory_floor -- 4 1000000` (order, count)
use matinv::{invert, InvOptions, Request, StackView};
use rayon::prelude::*;
use std::alloc::{alloc, dealloc, Layout};
use std::time::Instant;

unsafe extern "C" {
    fn madvise(addr: *mut u8, len: usize, advice: i32) -> i32;
}
const MADV_HUGEPAGE: i32 = 14;

/// Runs `f` on `len` doubles of fresh, untouched memory advised for huge pages.
fn fresh(len: usize, f: impl FnOnce(&mut [f64])) {
    let layout = Layout::from_size_align(len * 8, 2 << 20).unwrap();
    // SAFETY: a non-zero layout; the memory is handed out as doubles (any bits are a valid
    // f64, and `f` only writes before reading) and freed with the same layout.
    unsafe {
        let p = alloc(layout);
        assert!(!p.is_null());
        madvise(p, len * 8, MADV_HUGEPAGE);
        f(std::slice::from_raw_parts_mut(p.cast::<f64>(), len));
        dealloc(p, layout);
    }
}

fn summary(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    format!("{:7.2} / {:7.2}", v[v.len() / 2] * 1e3, v[0] * 1e3)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|s| s.parse().unwrap())
        .collect();
    let (n, count) = (args[0], args[1]);
    let mut s = 1u64;
    let a: Vec<f64> = (0..count * n * n)
        .map(|i| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let diag = if (i / n) % n == i % n { n as f64 } else { 0.0 };
            (s >> 11) as f64 / (1u64 << 53) as f64 + diag
        })
        .collect();
    let view = StackView::c_contiguous(&a, &[count, n, n]).unwrap();
    let opts = InvOptions::default();
    let copy = |o: &mut [f64]| {
        o.par_chunks_mut(1 << 16)
            .zip(a.par_chunks(1 << 16))
            .for_each(|(o, i)| o.copy_from_slice(i))
    };
    let mut out = vec![0.0; a.len()];
    let mut t = [(); 4].map(|()| Vec::new());
    for _ in 0..15 {
        let start = Instant::now();
        invert(Request::new(&view, &mut out).with_options(opts)).unwrap();
        t[0].push(start.elapsed().as_secs_f64());
        fresh(a.len(), |o| {
            let start = Instant::now();
            invert(Request::new(&view, o).with_options(opts)).unwrap();
            t[1].push(start.elapsed().as_secs_f64());
        });
        let start = Instant::now();
        copy(&mut out);
        t[2].push(start.elapsed().as_secs_f64());
        fresh(a.len(), |o| {
            let start = Instant::now();
            copy(o);
            t[3].push(start.elapsed().as_secs_f64());
        });
    }
    let [inv_reused, inv_fresh, copy_reused, copy_fresh] = t.map(summary);
    println!("{count} x {n}x{n} f64, ms (median / min):");
    println!(
        "  inverse into a reused buffer  {inv_reused}   copy into a reused buffer  {copy_reused}"
    );
    println!(
        "  inverse into fresh memory     {inv_fresh}   copy into fresh memory     {copy_fresh}"
    );
}
