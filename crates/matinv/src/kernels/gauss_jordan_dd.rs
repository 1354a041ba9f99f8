//! Gauss-Jordan elimination in double-double arithmetic, in place on a row-major matrix:
//! the kernel of [`crate::Precision::Extended`]. With partial pivoting (rows), singular at
//! the first exact zero pivot; without, for Hermitian positive definite matrices, failing
//! at the first pivot that is not positive, which is where Cholesky (`potrf`) fails: the
//! pivots of elimination without exchanges are the ratios of consecutive leading minors.
//!
//! Gauss-Jordan with partial pivoting is forward stable (Higham, *Accuracy and Stability
//! of Numerical Algorithms*, 2nd ed., section 14.4): its inverse's error is bounded as
//! LU's, here with double-double's unit roundoff. Rows whose entry in the pivot column is
//! an exact zero are skipped, so a triangular or diagonal matrix keeps its zeros.

use crate::double_double::{Dd, DoubleDouble};
use crate::simd::{Isa, IsaRun};

/// Why elimination stopped: at 0-based column `k`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// An exact zero pivot (with pivoting).
    ZeroPivot(usize),
    /// A pivot that is not positive and finite (without pivoting).
    NotPositive(usize),
}

/// Inverts the `n x n` row-major `a` in place; `perm` (`n` entries) is scratch for the
/// row exchanges. `pivoting`: partial pivoting; else none, for Hermitian positive
/// definite matrices.
#[inline(always)]
pub(crate) fn invert<W: DoubleDouble>(
    a: &mut [W],
    n: usize,
    perm: &mut [usize],
    pivoting: bool,
) -> Result<(), Stop> {
    let a = &mut a[..n * n];
    for k in 0..n {
        if pivoting {
            let p = largest_from(k, n, |i| a[i * n + k].magnitude());
            perm[k] = p;
            if p != k {
                let (top, bottom) = a.split_at_mut(p * n);
                top[k * n..(k + 1) * n].swap_with_slice(&mut bottom[..n]);
            }
        }
        let pivot = a[k * n + k];
        match pivoting {
            true if pivot.is_zero() => return Err(Stop::ZeroPivot(k)),
            false if !pivot.positive_real() => return Err(Stop::NotPositive(k)),
            _ => {}
        }
        let r = pivot.recip();
        a[k * n + k] = W::ONE;
        let (before, rest) = a.split_at_mut(k * n);
        let (row_k, after) = rest.split_at_mut(n);
        for x in row_k.iter_mut() {
            *x = x.scale_by(r);
        }
        let row_k = &*row_k;
        for row in before.chunks_exact_mut(n).chain(after.chunks_exact_mut(n)) {
            let f = row[k];
            if f.is_zero() {
                continue;
            }
            row[k] = W::ZERO;
            for (x, &y) in row.iter_mut().zip(row_k) {
                *x = x.sub(f.mul(y));
            }
        }
    }
    if pivoting {
        // inv(A) = inv(P A) P: the row exchanges, undone on the columns in reverse order.
        for k in (0..n).rev() {
            let p = perm[k];
            if p != k {
                for row in a.chunks_exact_mut(n) {
                    row.swap(k, p);
                }
            }
        }
    }
    Ok(())
}

/// A pass's row updates are shared among threads when there are at least twice this
/// many, each task getting rows worth this many: from n = 512 (measured on one pivot step
/// per pass; Intel Xeon, 2 cores,
/// one matrix: n = 256 took 22.6 ms in two tasks per step against about 15 ms on one
/// thread; n = 512, 72 ms in two).
const PARALLEL_UPDATES: usize = 1 << 17;

/// [`invert`] for real matrices held as two planes of doubles, `hi` and `lo` (each `n x n`,
/// row-major): the same steps and the same bits, with each row a pair of slices, so that
/// LLVM vectorises the updates (double-double arithmetic is double arithmetic on each
/// lane), and with the rows of each step shared among the threads of the current rayon
/// pool when `threads`. `scratch` (`6 n` entries) holds two pivot rows and a column.
///
/// From [`PAIRED_MIN_N`] on, two pivot steps share one pass over the matrix: there the
/// elimination is bound by memory (every step reads and writes all of it), and the pass
/// does per entry exactly the two updates the steps would, in their order. Step `k + 1`'s
/// pivot is chosen from column `k + 1` as step `k` leaves it, computed first, and the one
/// row step `k + 1` needs whole (its pivot row) is updated before the pass.
#[inline(always)]
pub(crate) fn invert_real(
    hi: &mut [f64],
    lo: &mut [f64],
    n: usize,
    perm: &mut [usize],
    scratch: &mut [f64],
    pivoting: bool,
    threads: bool,
) -> Result<(), Stop> {
    invert_planes(hi, lo, n, perm, scratch, pivoting, threads, PAIRED_MIN_N)
}

/// The order from which [`invert_real`] does two steps per pass. Same bits either way;
/// on an AMD EPYC Zen 4, 2 threads, one step against two at every order (3 runs each,
/// bench/results/issue27-two-steps-per-pass.txt): one n = 2048 0.67-0.82x the time, 1024
/// 0.87-1.06x, but 64 and 256 1.06-1.32x and stacks of 4 x 4 1.11-1.27x (in cache the
/// two-step loop is the slower one).
const PAIRED_MIN_N: usize = 1024;

/// [`invert_real`], pairing steps from order `paired_from` on (tests pair at every order).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn invert_planes(
    hi: &mut [f64],
    lo: &mut [f64],
    n: usize,
    perm: &mut [usize],
    scratch: &mut [f64],
    pivoting: bool,
    threads: bool,
    paired_from: usize,
) -> Result<(), Stop> {
    let (hi, lo) = (&mut hi[..n * n], &mut lo[..n * n]);
    let (first_row, rest) = scratch[..6 * n].split_at_mut(2 * n);
    let (second_row, column) = rest.split_at_mut(2 * n);
    let (ah, al) = first_row.split_at_mut(n);
    let (bh, bl) = second_row.split_at_mut(n);
    let (ch, cl) = column.split_at_mut(n);
    let mut k = 0;
    while k < n {
        pivot_step(hi, lo, n, k, perm, pivoting)?;
        ah.copy_from_slice(&hi[k * n..(k + 1) * n]);
        al.copy_from_slice(&lo[k * n..(k + 1) * n]);
        let first = PivotRow {
            k,
            hi: &*ah,
            lo: &*al,
        };
        if k + 1 == n || n < paired_from {
            update_rows(hi, lo, n, first, None, threads);
            k += 1;
            continue;
        }
        // Column k + 1 as step k leaves it, every row.
        for i in 0..n {
            let x = Dd {
                hi: hi[i * n + k + 1],
                lo: lo[i * n + k + 1],
            };
            let f = Dd {
                hi: hi[i * n + k],
                lo: lo[i * n + k],
            };
            let c = match i == k || f.is_zero() {
                true => x,
                false => x.sub(f.mul(Dd {
                    hi: ah[k + 1],
                    lo: al[k + 1],
                })),
            };
            (ch[i], cl[i]) = (c.hi, c.lo);
        }
        // Step k + 1's exchange (on rows step k has not reached: each takes its own
        // multiplier with it), then its pivot row brought through step k.
        let j = k + 1;
        if pivoting {
            let p = largest_from(j, n, |i| ch[i].abs());
            perm[j] = p;
            if p != j {
                for plane in [&mut *hi, &mut *lo] {
                    let (top, bottom) = plane.split_at_mut(p * n);
                    top[j * n..(j + 1) * n].swap_with_slice(&mut bottom[..n]);
                }
                ch.swap(j, p);
                cl.swap(j, p);
            }
        }
        let f = Dd {
            hi: hi[j * n + k],
            lo: lo[j * n + k],
        };
        if !f.is_zero() {
            hi[j * n + k] = 0.0;
            lo[j * n + k] = 0.0;
            let (rh, rl) = (&mut hi[j * n..(j + 1) * n], &mut lo[j * n..(j + 1) * n]);
            eliminate_row(rh, rl, f, &*ah, &*al);
        }
        scale_pivot_row(hi, lo, n, j, pivoting)?;
        bh.copy_from_slice(&hi[j * n..(j + 1) * n]);
        bl.copy_from_slice(&lo[j * n..(j + 1) * n]);
        let second = SecondStep {
            hi: &*bh,
            lo: &*bl,
            ch: &*ch,
            cl: &*cl,
        };
        update_rows(hi, lo, n, first, Some(second), threads);
        k += 2;
    }
    if pivoting {
        for k in (0..n).rev() {
            let p = perm[k];
            if p != k {
                for plane in [&mut *hi, &mut *lo] {
                    for row in plane.chunks_exact_mut(n) {
                        row.swap(k, p);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Partial pivoting's row: the largest `magnitude(i)` among rows `k..n`, the first of
/// equals (comparisons with NaN are false, so a NaN is never chosen over row `k`).
#[inline(always)]
fn largest_from(k: usize, n: usize, magnitude: impl Fn(usize) -> f64) -> usize {
    let mut p = k;
    let mut best = magnitude(k);
    for i in k + 1..n {
        let m = magnitude(i);
        if m > best {
            best = m;
            p = i;
        }
    }
    p
}

/// Step `k` up to its row updates: with `pivoting`, the exchange that brings the largest
/// entry of column `k` (rows `k..`) to the diagonal; then [`scale_pivot_row`].
#[inline(always)]
fn pivot_step(
    hi: &mut [f64],
    lo: &mut [f64],
    n: usize,
    k: usize,
    perm: &mut [usize],
    pivoting: bool,
) -> Result<(), Stop> {
    if pivoting {
        let p = largest_from(k, n, |i| hi[i * n + k].abs());
        perm[k] = p;
        if p != k {
            for plane in [&mut *hi, &mut *lo] {
                let (top, bottom) = plane.split_at_mut(p * n);
                top[k * n..(k + 1) * n].swap_with_slice(&mut bottom[..n]);
            }
        }
    }
    scale_pivot_row(hi, lo, n, k, pivoting)
}

/// The pivot's check (an exact zero with `pivoting`, else not positive), then row `k`
/// scaled by its reciprocal, the pivot's own place first set to one (so that it ends as
/// the reciprocal: the inverse is built in place).
#[inline(always)]
fn scale_pivot_row(
    hi: &mut [f64],
    lo: &mut [f64],
    n: usize,
    k: usize,
    pivoting: bool,
) -> Result<(), Stop> {
    let d = Dd {
        hi: hi[k * n + k],
        lo: lo[k * n + k],
    };
    match pivoting {
        true if d.is_zero() => return Err(Stop::ZeroPivot(k)),
        false if !d.positive_real() => return Err(Stop::NotPositive(k)),
        _ => {}
    }
    let r = d.recip();
    hi[k * n + k] = 1.0;
    lo[k * n + k] = 0.0;
    for j in 0..n {
        let x = Dd {
            hi: hi[k * n + j],
            lo: lo[k * n + j],
        }
        .scale_by(r);
        (hi[k * n + j], lo[k * n + j]) = (x.hi, x.lo);
    }
    Ok(())
}

/// Every row but the pivot rows through step `first.k` and, with `second`, step
/// `first.k + 1` too: on this thread, or shared among the pool's.
#[inline(always)]
fn update_rows(
    hi: &mut [f64],
    lo: &mut [f64],
    n: usize,
    first: PivotRow<'_>,
    second: Option<SecondStep<'_>>,
    threads: bool,
) {
    if threads && n * n >= 2 * PARALLEL_UPDATES {
        use rayon::prelude::*;
        // Each task enters the instruction set's copy again: a closure run by rayon
        // is compiled without the caller's target features.
        let isa = Isa::selected();
        let rows = PARALLEL_UPDATES.div_ceil(n);
        hi.par_chunks_mut(rows * n)
            .zip(lo.par_chunks_mut(rows * n))
            .enumerate()
            .for_each(|(t, (rh, rl))| {
                isa.run(Rows {
                    first_row: t * rows,
                    n,
                    hi: rh,
                    lo: rl,
                    first,
                    second,
                })
            });
    } else {
        Rows {
            first_row: 0,
            n,
            hi,
            lo,
            first,
            second,
        }
        .run();
    }
}

/// Step `k`'s pivot row, scaled (a copy: the rows updated may include its own).
#[derive(Clone, Copy)]
struct PivotRow<'p> {
    k: usize,
    hi: &'p [f64],
    lo: &'p [f64],
}

/// Step `k + 1` done in the same pass as step `k`: its pivot row (scaled, after step `k`)
/// and column `k + 1` as step `k` leaves it (the multipliers, every row).
#[derive(Clone, Copy)]
struct SecondStep<'p> {
    hi: &'p [f64],
    lo: &'p [f64],
    ch: &'p [f64],
    cl: &'p [f64],
}

/// Consecutive rows `first_row..` of the planes, eliminated with one or two pivot rows.
struct Rows<'r> {
    first_row: usize,
    n: usize,
    hi: &'r mut [f64],
    lo: &'r mut [f64],
    first: PivotRow<'r>,
    second: Option<SecondStep<'r>>,
}

impl IsaRun for Rows<'_> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        let Rows {
            first_row,
            n,
            hi,
            lo,
            first,
            second,
        } = self;
        let k = first.k;
        for (i, (rh, rl)) in hi
            .chunks_exact_mut(n)
            .zip(lo.chunks_exact_mut(n))
            .enumerate()
        {
            let row = first_row + i;
            let f = match row == k {
                true => Dd::ZERO, // step k's pivot row: only step k + 1 reaches it
                false => Dd {
                    hi: rh[k],
                    lo: rl[k],
                },
            };
            let Some(s) = second else {
                if row != k && !f.is_zero() {
                    rh[k] = 0.0;
                    rl[k] = 0.0;
                    eliminate_row(rh, rl, f, first.hi, first.lo);
                }
                continue;
            };
            if row == k + 1 {
                continue; // step k + 1's pivot row, through step k already
            }
            let g = Dd {
                hi: s.ch[row],
                lo: s.cl[row],
            };
            match (f.is_zero(), g.is_zero()) {
                (true, true) => {}
                (false, true) => {
                    rh[k] = 0.0;
                    rl[k] = 0.0;
                    eliminate_row(rh, rl, f, first.hi, first.lo);
                }
                (true, false) => {
                    rh[k + 1] = 0.0;
                    rl[k + 1] = 0.0;
                    eliminate_row(rh, rl, g, s.hi, s.lo);
                }
                (false, false) => {
                    rh[k] = 0.0;
                    rl[k] = 0.0;
                    eliminate_two(rh, rl, f, first.hi, first.lo, g, s.hi, s.lo);
                    // Entry k + 1: step k + 1 sets it to zero before its update.
                    let x = Dd::ZERO.sub(g.mul(Dd {
                        hi: s.hi[k + 1],
                        lo: s.lo[k + 1],
                    }));
                    (rh[k + 1], rl[k + 1]) = (x.hi, x.lo);
                }
            }
        }
    }
}

/// `x -= f y` on rows of planes: the elimination's inner loop.
#[inline(always)]
fn eliminate_row(xh: &mut [f64], xl: &mut [f64], f: Dd, yh: &[f64], yl: &[f64]) {
    for (((xh, xl), &yh), &yl) in xh.iter_mut().zip(xl.iter_mut()).zip(yh).zip(yl) {
        let x = Dd { hi: *xh, lo: *xl }.sub(f.mul(Dd { hi: yh, lo: yl }));
        (*xh, *xl) = (x.hi, x.lo);
    }
}

/// `x = (x - f y) - g z` on rows of planes: two steps' updates in one pass.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn eliminate_two(
    xh: &mut [f64],
    xl: &mut [f64],
    f: Dd,
    yh: &[f64],
    yl: &[f64],
    g: Dd,
    zh: &[f64],
    zl: &[f64],
) {
    let n = xh.len();
    let (xl, yh, yl, zh, zl) = (&mut xl[..n], &yh[..n], &yl[..n], &zh[..n], &zl[..n]);
    for j in 0..n {
        let x = Dd {
            hi: xh[j],
            lo: xl[j],
        }
        .sub(f.mul(Dd {
            hi: yh[j],
            lo: yl[j],
        }))
        .sub(g.mul(Dd {
            hi: zh[j],
            lo: zl[j],
        }));
        (xh[j], xl[j]) = (x.hi, x.lo);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::double_double::Dd;

    fn dd(x: f64) -> Dd {
        Dd::new(x, 0.0)
    }

    #[test]
    fn inverts_with_row_exchanges() {
        // [[0, 1], [2, 3]]: a zero first pivot, exchanged; inverse [[-1.5, 0.5], [1, 0]].
        let mut a = [dd(0.0), dd(1.0), dd(2.0), dd(3.0)];
        let mut perm = [0; 2];
        invert(&mut a, 2, &mut perm, true).unwrap();
        assert_eq!(a, [dd(-1.5), dd(0.5), dd(1.0), dd(0.0)]);
    }

    #[test]
    fn planes_give_the_bits_of_the_generic_kernel() {
        // Large enough for the threaded updates (n^2 >= 2 PARALLEL_UPDATES).
        let n = 513; // (odd: the last step of the paired passes alone)
        let a: Vec<Dd> = (0..n * n)
            .map(|k| Dd::new(((k * 7919) % 101) as f64 / 7.0 - 7.0, 0.0))
            .collect();
        for pivoting in [true, false] {
            let mut want = a.clone();
            if !pivoting {
                // Symmetric and diagonally dominant, so positive definite.
                for i in 0..n {
                    for j in 0..n {
                        want[i * n + j] = a[i.min(j) * n + i.max(j)];
                    }
                    want[i * n + i] = Dd::new(4000.0, 0.0);
                }
            }
            let input = want.clone();
            let r1 = invert(&mut want, n, &mut vec![0; n], pivoting);
            // One step per pass (as n = 512 runs) and two (as from PAIRED_MIN_N).
            for (threads, paired_from) in [(false, usize::MAX), (true, usize::MAX), (true, 0)] {
                let (r2, got) = on_planes(&input, n, pivoting, threads, paired_from);
                assert_eq!(r1, r2);
                assert_eq!(got, want, "pivoting {pivoting}, threads {threads}");
            }
        }
    }

    /// `invert_planes` on `a` split into its planes: the outcome and the matrix after.
    fn on_planes(
        a: &[Dd],
        n: usize,
        pivoting: bool,
        threads: bool,
        paired_from: usize,
    ) -> (Result<(), Stop>, Vec<Dd>) {
        let mut h: Vec<f64> = a.iter().map(|x| x.hi).collect();
        let mut l: Vec<f64> = a.iter().map(|x| x.lo).collect();
        let (perm, scratch) = (&mut vec![0; n], &mut vec![0.0; 6 * n]);
        let r = invert_planes(
            &mut h,
            &mut l,
            n,
            perm,
            scratch,
            pivoting,
            threads,
            paired_from,
        );
        (
            r,
            h.iter().zip(&l).map(|(&hi, &lo)| Dd { hi, lo }).collect(),
        )
    }

    /// The planes kernel against the generic one (one step per pass), bit for bit, on
    /// matrices that take every branch of the two-step pass: zero multipliers in either
    /// step or both, exchanges in either step (ties included), odd orders (a last single
    /// step), zeros of both signs, NaN and infinities, and zero pivots (a zero column)
    /// and pivots that are not positive (without pivoting) at even and odd steps.
    #[test]
    fn two_steps_per_pass_give_the_bits_of_one() {
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u32
        };
        let (mut stops, mut not_positive) = ([0usize; 2], [0usize; 2]);
        for case in 0..400 {
            let n = 1 + case % 13;
            // Small numbers, a third of them zeros of either sign: ties and zero multipliers
            // are common; every tenth case a NaN or an infinity somewhere.
            let mut a: Vec<Dd> = (0..n * n)
                .map(|_| match next() % 6 {
                    0 => dd(0.0),
                    1 => dd(-0.0),
                    r => dd(r as f64 - 3.5 + (next() % 3) as f64 / 3.0),
                })
                .collect();
            if case % 10 == 3 {
                let special = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY][next() as usize % 3];
                a[next() as usize % (n * n)] = dd(special);
            }
            if case % 4 == 0 {
                // A zero column: singular, the zero pivot at that step (even or odd).
                let c = next() as usize % n;
                for i in 0..n {
                    a[i * n + c] = dd(0.0);
                }
            }
            for pivoting in [true, false] {
                let mut b = a.clone();
                if !pivoting {
                    if case % 4 == 0 {
                        continue; // (a zero column has no positive pivot to test)
                    }
                    for i in 0..n {
                        b[i * n + i] = dd(100.0 + i as f64);
                    }
                    if case % 3 == 1 {
                        // An indefinite matrix: the first pivot that is not positive is
                        // at this step (odd or even) or earlier.
                        let i = next() as usize % n;
                        b[i * n + i] = dd(-1.0);
                    }
                }
                let mut want = b.clone();
                let r1 = invert(&mut want, n, &mut vec![0; n], pivoting);
                let (r2, got) = on_planes(&b, n, pivoting, false, 0);
                assert_eq!(r1, r2, "case {case}, pivoting {pivoting}");
                match r1 {
                    Err(Stop::ZeroPivot(k)) => stops[k % 2] += 1,
                    Err(Stop::NotPositive(k)) => not_positive[k % 2] += 1,
                    Ok(()) => {
                        let same = got.iter().zip(&want).all(|(x, y)| {
                            x.hi.to_bits() == y.hi.to_bits() && x.lo.to_bits() == y.lo.to_bits()
                        });
                        assert!(same, "case {case}, pivoting {pivoting}");
                    }
                }
            }
        }
        assert!(
            stops[0] > 0 && stops[1] > 0,
            "zero pivots at even and odd steps: {stops:?}"
        );
        assert!(
            not_positive[0] > 0 && not_positive[1] > 0,
            "pivots that are not positive at even and odd steps: {not_positive:?}"
        );
    }

    #[test]
    fn stops_at_the_first_zero_pivot() {
        let mut a = [dd(1.0), dd(2.0), dd(2.0), dd(4.0)];
        assert_eq!(
            invert(&mut a, 2, &mut [0; 2], true),
            Err(Stop::ZeroPivot(1))
        );
    }

    #[test]
    fn without_pivoting_stops_where_cholesky_does() {
        // Leading minors 1, -3: not positive definite at order 2.
        let mut a = [dd(1.0), dd(2.0), dd(2.0), dd(1.0)];
        assert_eq!(
            invert(&mut a, 2, &mut [0; 2], false),
            Err(Stop::NotPositive(1))
        );
        let mut a = [dd(4.0), dd(2.0), dd(2.0), dd(3.0)];
        invert(&mut a, 2, &mut [0; 2], false).unwrap();
        assert_eq!(a, [dd(0.375), dd(-0.25), dd(-0.25), dd(0.5)]);
    }
}
