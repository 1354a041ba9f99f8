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

use crate::double_double::{two_sum, Dd, DoubleDouble};
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

/// A pass's updates (entries times steps) are shared among threads when there are at
/// least twice this many, each task getting rows worth this many: with one pivot step per
/// pass from n = 512 (Intel Xeon, 2 cores, one matrix: n = 256 took 22.6 ms in two tasks
/// per step against about 15 ms on one thread; n = 512, 72 ms in two), with [`GROUP`]
/// steps from n = 182.
const PARALLEL_UPDATES: usize = 1 << 17;

/// Pivot steps per pass of [`invert_real`] from [`GROUPED_MIN_N`] on.
const GROUP: usize = 8;

/// The order from which [`invert_real`] takes [`GROUP`] pivot steps per pass: below it the
/// group's own steps (on rows of 8 columns) cost more than the pass saves. Grouped against
/// single steps on an AMD EPYC Zen 4 (bench/results/issue27-grouped-passes.txt): stacks
/// of 32 x 32 1.51x the time, one 64 1.00-1.05x, one 96 0.82-0.90x, one 128 0.72x.
const GROUPED_MIN_N: usize = 96;

/// The scratch [`invert_real`] needs for order `n`, in doubles.
pub(crate) fn scratch_len(n: usize) -> usize {
    match n < GROUPED_MIN_N {
        true => 2 * n,
        false => grouped_scratch_len(n),
    }
}

/// The scratch of grouped passes ([`Group`]).
fn grouped_scratch_len(n: usize) -> usize {
    2 * GROUP * (pivot_row_stride(n) + 2 * n)
}

/// Where the group's pivot rows start, one after another, in doubles: 64 bytes past a
/// multiple of 4 KiB, so that the pass's 16 streams of them fall in different sets of
/// the L1 cache (rows of a power-of-two `n` apart all map to one: on an AMD EPYC Zen 4,
/// n = 1024 ran at half the rate of n = 1040).
fn pivot_row_stride(n: usize) -> usize {
    n.next_multiple_of(512) + 8
}

/// [`invert`] for real matrices held as two planes of doubles, `hi` and `lo` (each `n x n`,
/// row-major), with each row a pair of slices, so that LLVM vectorises the updates
/// (double-double arithmetic is double arithmetic on each lane), and with the rows of each
/// pass shared among the threads of the current rayon pool when `threads`. `scratch`:
/// [`scratch_len`] entries.
///
/// Below [`GROUPED_MIN_N`], the steps and bits of [`invert`]. From it on, [`GROUP`] pivot
/// steps share one pass over the matrix ([`group`]), and each entry takes the group's
/// updates `x - f1 y1 - f2 y2 - ...` as one double-double sum of exact products
/// ([`eliminate_many`]): 12 double operations per update (8 additions, which bound the
/// rate) where an accurate double-double multiply and subtract takes 27 (23), and one load
/// and store of the entry per group rather than per step.
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
    invert_planes(hi, lo, n, perm, scratch, pivoting, threads, GROUPED_MIN_N)
}

/// [`invert_real`], grouping steps from order `grouped_from` on (tests group at every
/// order).
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
    grouped_from: usize,
) -> Result<(), Stop> {
    let (hi, lo) = (&mut hi[..n * n], &mut lo[..n * n]);
    if n < grouped_from {
        let (ah, al) = scratch[..2 * n].split_at_mut(n);
        for k in 0..n {
            pivot_step(hi, lo, n, k, perm, pivoting)?;
            ah.copy_from_slice(&hi[k * n..(k + 1) * n]);
            al.copy_from_slice(&lo[k * n..(k + 1) * n]);
            let pivot_row = PivotRow {
                k,
                hi: &*ah,
                lo: &*al,
            };
            update_rows(hi, lo, n, pivot_row, threads);
        }
    } else {
        let mut k = 0;
        while k < n {
            let m = GROUP.min(n - k);
            group(hi, lo, n, k, m, perm, scratch, pivoting, threads)?;
            k += m;
        }
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
            swap_rows(hi, lo, n, k, p);
        }
    }
    scale_pivot_row(hi, lo, n, k, pivoting)
}

/// Exchanges rows `k < p` of both planes (rows of `len` entries).
#[inline(always)]
fn swap_rows(hi: &mut [f64], lo: &mut [f64], len: usize, k: usize, p: usize) {
    for plane in [hi, lo] {
        let (top, bottom) = plane.split_at_mut(p * len);
        top[k * len..(k + 1) * len].swap_with_slice(&mut bottom[..len]);
    }
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

/// Every row but the pivot row through step `pivot_row.k`: on this thread, or shared
/// among the pool's.
#[inline(always)]
fn update_rows(hi: &mut [f64], lo: &mut [f64], n: usize, pivot_row: PivotRow<'_>, threads: bool) {
    on_rows(hi, lo, n, 1, threads, |first_row, hi, lo| Rows {
        first_row,
        n,
        hi,
        lo,
        pivot_row,
    });
}

/// Runs `pass(first_row, hi, lo)`, a pass of `steps` pivot steps, on consecutive rows of
/// the planes: on all of them on this thread, or, with `threads` and enough updates
/// ([`PARALLEL_UPDATES`]), on pieces shared among the pool's threads.
#[inline(always)]
fn on_rows<'a, W: IsaRun<Output = ()> + 'a>(
    hi: &'a mut [f64],
    lo: &'a mut [f64],
    n: usize,
    steps: usize,
    threads: bool,
    pass: impl Fn(usize, &'a mut [f64], &'a mut [f64]) -> W + Sync,
) {
    if threads && n * n * steps >= 2 * PARALLEL_UPDATES {
        use rayon::prelude::*;
        // Each task enters the instruction set's copy again: a closure run by rayon
        // is compiled without the caller's target features.
        let isa = Isa::selected();
        let rows = PARALLEL_UPDATES.div_ceil(n * steps);
        hi.par_chunks_mut(rows * n)
            .zip(lo.par_chunks_mut(rows * n))
            .enumerate()
            .for_each(|(t, (rh, rl))| isa.run(pass(t * rows, rh, rl)));
    } else {
        pass(0, hi, lo).run();
    }
}

/// Step `k`'s pivot row, scaled (a copy: the rows updated may include its own).
#[derive(Clone, Copy)]
struct PivotRow<'p> {
    k: usize,
    hi: &'p [f64],
    lo: &'p [f64],
}

/// Consecutive rows `first_row..` of the planes, eliminated with one pivot row.
struct Rows<'r> {
    first_row: usize,
    n: usize,
    hi: &'r mut [f64],
    lo: &'r mut [f64],
    pivot_row: PivotRow<'r>,
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
            pivot_row: p,
        } = self;
        let k = p.k;
        for (i, (rh, rl)) in hi
            .chunks_exact_mut(n)
            .zip(lo.chunks_exact_mut(n))
            .enumerate()
        {
            let f = Dd {
                hi: rh[k],
                lo: rl[k],
            };
            if first_row + i != k && !f.is_zero() {
                rh[k] = 0.0;
                rl[k] = 0.0;
                eliminate_row(rh, rl, f, p.hi, p.lo);
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

/// The state of a group of pivot steps `k..k + m`, in [`scratch_len`] doubles (each plane
/// pair `hi`, `lo`):
/// - `u`: the group's pivot rows, scaled, as each step uses it (`m` rows of `n`,
///   [`pivot_row_stride`] apart);
/// - `g`: the group's columns, every row, brought through the group's steps as they are
///   taken (`n` rows of [`GROUP`]);
/// - `f`: each row's multipliers of the group's steps not yet applied to the rest of the
///   row (`n` rows of [`GROUP`]; zero: nothing to apply).
struct Group<'s> {
    uh: &'s mut [f64],
    ul: &'s mut [f64],
    gh: &'s mut [f64],
    gl: &'s mut [f64],
    fh: &'s mut [f64],
    fl: &'s mut [f64],
}

/// Pivot steps `k..k + m` (`m <= GROUP`), in two parts. First the steps themselves on
/// the group's columns alone (`n x m` entries; a pivot row is brought through the
/// group's earlier steps whole, just before its own step), each row's multipliers kept;
/// then one pass applies each row's multipliers to the rest of the row ([`GroupRows`]).
/// Pivots are chosen, checked and exchanged as single steps do, on the group's columns as
/// the group's steps leave them (which, from the second group on, start from the grouped
/// passes' bits, not single steps').
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn group(
    hi: &mut [f64],
    lo: &mut [f64],
    n: usize,
    k: usize,
    m: usize,
    perm: &mut [usize],
    scratch: &mut [f64],
    pivoting: bool,
    threads: bool,
) -> Result<(), Stop> {
    let stride = pivot_row_stride(n);
    let (u, rest) = scratch[..grouped_scratch_len(n)].split_at_mut(2 * GROUP * stride);
    let (g, f) = rest.split_at_mut(2 * GROUP * n);
    let (uh, ul) = u.split_at_mut(GROUP * stride);
    let (gh, gl) = g.split_at_mut(GROUP * n);
    let (fh, fl) = f.split_at_mut(GROUP * n);
    let s = Group {
        uh,
        ul,
        gh,
        gl,
        fh,
        fl,
    };
    for i in 0..n {
        for c in 0..m {
            s.gh[i * GROUP + c] = hi[i * n + k + c];
            s.gl[i * GROUP + c] = lo[i * n + k + c];
        }
    }
    s.fh[..n * GROUP].fill(0.0);
    s.fl[..n * GROUP].fill(0.0);
    for t in 0..m {
        let j = k + t;
        if pivoting {
            let p = largest_from(j, n, |i| s.gh[i * GROUP + t].abs());
            perm[j] = p;
            if p != j {
                swap_rows(hi, lo, n, j, p);
                swap_rows(s.gh, s.gl, GROUP, j, p);
                swap_rows(s.fh, s.fl, GROUP, j, p);
            }
        }
        // Row j through the group's earlier steps: the rest of it by its multipliers
        // (then cleared: applied), the group's columns from `g`.
        let (rh, rl) = (&mut hi[j * n..(j + 1) * n], &mut lo[j * n..(j + 1) * n]);
        let (fjh, fjl) = (
            &mut s.fh[j * GROUP..(j + 1) * GROUP],
            &mut s.fl[j * GROUP..(j + 1) * GROUP],
        );
        apply_multipliers(rh, rl, &fjh[..t], &fjl[..t], s.uh, s.ul, stride);
        fjh.fill(0.0);
        fjl.fill(0.0);
        rh[k..k + m].copy_from_slice(&s.gh[j * GROUP..j * GROUP + m]);
        rl[k..k + m].copy_from_slice(&s.gl[j * GROUP..j * GROUP + m]);
        scale_pivot_row(hi, lo, n, j, pivoting)?;
        let (rh, rl) = (&hi[j * n..(j + 1) * n], &lo[j * n..(j + 1) * n]);
        s.uh[t * stride..t * stride + n].copy_from_slice(rh);
        s.ul[t * stride..t * stride + n].copy_from_slice(rl);
        s.gh[j * GROUP..j * GROUP + m].copy_from_slice(&rh[k..k + m]);
        s.gl[j * GROUP..j * GROUP + m].copy_from_slice(&rl[k..k + m]);
        // Step j on the group's columns of every other row, its multipliers kept.
        let pivot_row = t * stride + k..t * stride + k + m;
        let (ph, pl) = (&s.uh[pivot_row.clone()], &s.ul[pivot_row]);
        for i in (0..n).filter(|&i| i != j) {
            let f = Dd {
                hi: s.gh[i * GROUP + t],
                lo: s.gl[i * GROUP + t],
            };
            if f.is_zero() {
                continue;
            }
            (s.fh[i * GROUP + t], s.fl[i * GROUP + t]) = (f.hi, f.lo);
            s.gh[i * GROUP + t] = 0.0;
            s.gl[i * GROUP + t] = 0.0;
            let (xh, xl) = (
                &mut s.gh[i * GROUP..i * GROUP + m],
                &mut s.gl[i * GROUP..i * GROUP + m],
            );
            eliminate_row(xh, xl, f, ph, pl);
        }
    }
    let (u, g, f) = ((&*s.uh, &*s.ul), (&*s.gh, &*s.gl), (&*s.fh, &*s.fl));
    on_rows(hi, lo, n, m, threads, |first_row, hi, lo| GroupRows {
        first_row,
        n,
        stride,
        k,
        m,
        hi,
        lo,
        u,
        g,
        f,
    });
    Ok(())
}

/// Consecutive rows `first_row..` of the planes through a group's pass: each row's
/// multipliers applied, then the group's columns set from the group's own (see
/// [`Group`]).
struct GroupRows<'r> {
    first_row: usize,
    n: usize,
    stride: usize,
    k: usize,
    m: usize,
    hi: &'r mut [f64],
    lo: &'r mut [f64],
    u: (&'r [f64], &'r [f64]),
    g: (&'r [f64], &'r [f64]),
    f: (&'r [f64], &'r [f64]),
}

impl IsaRun for GroupRows<'_> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        let GroupRows {
            first_row,
            n,
            stride,
            k,
            m,
            hi,
            lo,
            u,
            g,
            f,
        } = self;
        for (i, (rh, rl)) in hi
            .chunks_exact_mut(n)
            .zip(lo.chunks_exact_mut(n))
            .enumerate()
        {
            let row = (first_row + i) * GROUP;
            let (fh, fl) = (&f.0[row..row + m], &f.1[row..row + m]);
            apply_multipliers(rh, rl, fh, fl, u.0, u.1, stride);
            rh[k..k + m].copy_from_slice(&g.0[row..row + m]);
            rl[k..k + m].copy_from_slice(&g.1[row..row + m]);
        }
    }
}

/// `x - f_1 y_1 - f_2 y_2 - ...` on a row of planes for the multipliers `f_t` (`fh`, `fl`)
/// that are not zero, `y_t` row `t` of `uh`, `ul` (rows `stride` apart).
#[inline(always)]
fn apply_multipliers(
    xh: &mut [f64],
    xl: &mut [f64],
    fh: &[f64],
    fl: &[f64],
    uh: &[f64],
    ul: &[f64],
    stride: usize,
) {
    let n = xh.len();
    let mut f = [Dd::ZERO; GROUP];
    let mut rows = [0; GROUP];
    let mut count = 0;
    for (t, (&hi, &lo)) in fh.iter().zip(fl).enumerate() {
        if hi != 0.0 {
            (f[count], rows[count]) = (Dd { hi, lo }, t);
            count += 1;
        }
    }
    macro_rules! dispatch {
        ($($c:literal)*) => {
            match count {
                $($c => eliminate_many::<$c>(
                    xh,
                    xl,
                    core::array::from_fn(|t| f[t]),
                    core::array::from_fn(|t| &uh[rows[t] * stride..rows[t] * stride + n]),
                    core::array::from_fn(|t| &ul[rows[t] * stride..rows[t] * stride + n]),
                ),)*
                _ => {}
            }
        };
    }
    dispatch!(1 2 3 4 5 6 7 8);
}

/// `x - f_1 y_1 - ... - f_C y_C` on a row of planes, as one double-double sum: each
/// product `f_t y_t` exact to about 106 bits (`p + e`, `p` its rounded high parts' product
/// and `e` the error with the cross terms), the `p`s added to `x`'s high part by TwoSum,
/// whose errors, with the `e`s, gather in `x`'s low part, normalized once at the end
/// (Ogita, Rump and Oishi's Dot2, widened to double-double inputs). The error is relative
/// to the sum of the terms' magnitudes (not to the result), the form of bound
/// elimination's analysis needs: of order 2^-106 times the square of the number of terms
/// at worst (Dot2's bound; the low parts are summed in double).
#[inline(always)]
fn eliminate_many<const C: usize>(
    xh: &mut [f64],
    xl: &mut [f64],
    f: [Dd; C],
    yh: [&[f64]; C],
    yl: [&[f64]; C],
) {
    let n = xh.len();
    let xl = &mut xl[..n];
    let yh = yh.map(|y| &y[..n]);
    let yl = yl.map(|y| &y[..n]);
    for j in 0..n {
        let (mut sh, mut sl) = (xh[j], xl[j]);
        for t in 0..C {
            let (uh, ul) = (yh[t][j], yl[t][j]);
            let p = f[t].hi * uh;
            let e = f[t].hi.mul_add(uh, -p);
            let e = f[t].hi.mul_add(ul, e);
            let e = f[t].lo.mul_add(uh, e);
            // (s, err) = TwoSum(sh, -p)
            let s = sh - p;
            let bb = s - sh;
            let err = (sh - (s - bb)) - (p + bb);
            sh = s;
            sl += err - e;
        }
        let (h, l) = two_sum(sh, sl);
        (xh[j], xl[j]) = (h, l);
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

    /// The largest entry's difference over the largest entry of `want`, in the high parts.
    fn difference(got: &[Dd], want: &[Dd]) -> f64 {
        let scale = want.iter().map(|x| x.hi.abs()).fold(0.0, f64::max);
        let diff = got
            .iter()
            .zip(want)
            .map(|(x, y)| (x.hi - y.hi + (x.lo - y.lo)).abs())
            .fold(0.0, f64::max);
        diff / scale
    }

    fn same_bits(got: &[Dd], want: &[Dd]) -> bool {
        got.iter()
            .zip(want)
            .all(|(x, y)| x.hi.to_bits() == y.hi.to_bits() && x.lo.to_bits() == y.lo.to_bits())
    }

    #[test]
    fn planes_agree_with_the_generic_kernel() {
        // Large enough for the threaded updates (n^2 >= 2 PARALLEL_UPDATES).
        let n = 513; // (not a multiple of GROUP: a last, shorter group)
        let mut seed = 11u64;
        let a: Vec<Dd> = (0..n * n)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                Dd::new(((seed >> 33) % 1009) as f64 / 7.0 - 72.0, 0.0)
            })
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
            assert_eq!(r1, Ok(()));
            // One step per pass: the generic kernel's bits, threaded or not.
            for threads in [false, true] {
                let (r2, got) = on_planes(&input, n, pivoting, threads, usize::MAX);
                assert_eq!(r1, r2);
                assert!(
                    same_bits(&got, &want),
                    "pivoting {pivoting}, threads {threads}"
                );
            }
            // Grouped: the same bits threaded or not, and the generic kernel's inverse to
            // about double-double's precision.
            let (r2, grouped) = on_planes(&input, n, pivoting, false, 0);
            let (r3, threaded) = on_planes(&input, n, pivoting, true, 0);
            assert_eq!((r2, r3), (r1, r1));
            assert!(same_bits(&threaded, &grouped), "pivoting {pivoting}");
            let d = difference(&grouped, &want);
            assert!(d < 1e-26, "pivoting {pivoting}: {d:e}");
            assert!(
                !same_bits(&grouped, &want),
                "the grouped arithmetic is another"
            );
        }
    }

    /// `invert_planes` on `a` split into its planes: the outcome and the matrix after.
    fn on_planes(
        a: &[Dd],
        n: usize,
        pivoting: bool,
        threads: bool,
        grouped_from: usize,
    ) -> (Result<(), Stop>, Vec<Dd>) {
        let mut h: Vec<f64> = a.iter().map(|x| x.hi).collect();
        let mut l: Vec<f64> = a.iter().map(|x| x.lo).collect();
        let (perm, scratch) = (&mut vec![0; n], &mut vec![0.0; grouped_scratch_len(n)]);
        let r = invert_planes(
            &mut h,
            &mut l,
            n,
            perm,
            scratch,
            pivoting,
            threads,
            grouped_from,
        );
        (
            r,
            h.iter().zip(&l).map(|(&hi, &lo)| Dd { hi, lo }).collect(),
        )
    }

    /// Grouped passes against the generic kernel (one step per pass) on matrices that take
    /// every branch of the group: zero multipliers, exchanges (ties included), orders up to
    /// and past one group (a second, shorter group), zeros of both signs, NaN and
    /// infinities, and zero pivots (a zero column) and pivots that are not positive
    /// (without pivoting). Up to `GROUP` one group covers every column, all of which come
    /// from the group's own steps (the generic kernel's arithmetic): the same bits, which
    /// checks the group's bookkeeping (pivots, exchanges, pivot rows); past it, where the
    /// pass's sums reach the later columns, the same verdicts, the inverse within 1e-24 of
    /// the generic one's largest entry, and with NaN or infinities, non-finite entries in
    /// both or neither.
    #[test]
    fn grouped_passes_agree_with_single_steps() {
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u32
        };
        let (mut stops, mut not_positive, mut compared) = ([0usize; 2], [0usize; 2], [0usize; 2]);
        let mut special_compared = 0;
        for case in 0..800 {
            let n = 1 + case % 13;
            let past = usize::from(n > GROUP);
            // Small numbers, a third of them zeros of either sign: ties and zero multipliers
            // are common; every tenth case a NaN or an infinity somewhere.
            let mut a: Vec<Dd> = (0..n * n)
                .map(|_| match next() % 6 {
                    0 => dd(0.0),
                    1 => dd(-0.0),
                    r => dd(r as f64 - 3.5 + (next() % 3) as f64 / 3.0),
                })
                .collect();
            let special = case % 10 == 3;
            if special {
                let x = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY][next() as usize % 3];
                a[next() as usize % (n * n)] = dd(x);
            }
            if case % 4 == 0 {
                // A zero column: singular, the zero pivot at that step or before.
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
                        // at this step or earlier.
                        let i = next() as usize % n;
                        b[i * n + i] = dd(-1.0);
                    }
                }
                let mut want = b.clone();
                let r1 = invert(&mut want, n, &mut vec![0; n], pivoting);
                let (r2, got) = on_planes(&b, n, pivoting, false, 0);
                if special && past == 1 {
                    // NaN and infinities: no verdict to compare past a group, but what
                    // both inverses hold is not finite in both.
                    let finite = |x: &[Dd]| x.iter().all(|x| x.hi.is_finite());
                    if r1.is_ok() && r2.is_ok() {
                        assert_eq!(finite(&got), finite(&want), "case {case}");
                        special_compared += 1;
                    }
                    continue;
                }
                assert_eq!(r1, r2, "case {case}, pivoting {pivoting}");
                match r1 {
                    Err(Stop::ZeroPivot(_)) => stops[past] += 1,
                    Err(Stop::NotPositive(_)) => not_positive[past] += 1,
                    Ok(()) if past == 0 => {
                        assert!(same_bits(&got, &want), "case {case}, pivoting {pivoting}");
                        compared[0] += 1;
                    }
                    Ok(()) => {
                        let d = difference(&got, &want);
                        assert!(d < 1e-24, "case {case}, pivoting {pivoting}: {d:e}");
                        compared[1] += 1;
                    }
                }
            }
        }
        for counts in [stops, not_positive, compared] {
            assert!(
                counts[0] > 0 && counts[1] > 0,
                "{stops:?} {not_positive:?} {compared:?}"
            );
        }
        assert!(special_compared > 0);
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
