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
            let mut p = k;
            let mut best = a[k * n + k].magnitude();
            for i in k + 1..n {
                let m = a[i * n + k].magnitude();
                if m > best {
                    best = m;
                    p = i;
                }
            }
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

/// A pivot step's row updates are shared among threads when there are at least twice
/// this many, each task getting rows worth this many: from n = 512 (Intel Xeon, 2 cores,
/// one matrix: n = 256 took 22.6 ms in two tasks per step against about 15 ms on one
/// thread; n = 512, 72 ms in two).
const PARALLEL_UPDATES: usize = 1 << 17;

/// [`invert`] for real matrices held as two planes of doubles, `hi` and `lo` (each `n x n`,
/// row-major): the same steps and the same bits, with each row a pair of slices, so that
/// LLVM vectorises the updates (double-double arithmetic is double arithmetic on each
/// lane), and with the rows of each step shared among the threads of the current rayon
/// pool when `threads`. `pivot` (`2 n` entries) is scratch for the pivot row.
#[inline(always)]
pub(crate) fn invert_real(
    hi: &mut [f64],
    lo: &mut [f64],
    n: usize,
    perm: &mut [usize],
    pivot: &mut [f64],
    pivoting: bool,
    threads: bool,
) -> Result<(), Stop> {
    let (hi, lo) = (&mut hi[..n * n], &mut lo[..n * n]);
    let (ph, pl) = pivot[..2 * n].split_at_mut(n);
    for k in 0..n {
        if pivoting {
            let mut p = k;
            let mut best = hi[k * n + k].abs();
            for i in k + 1..n {
                let m = hi[i * n + k].abs();
                if m > best {
                    best = m;
                    p = i;
                }
            }
            perm[k] = p;
            if p != k {
                for plane in [&mut *hi, &mut *lo] {
                    let (top, bottom) = plane.split_at_mut(p * n);
                    top[k * n..(k + 1) * n].swap_with_slice(&mut bottom[..n]);
                }
            }
        }
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
        ph.copy_from_slice(&hi[k * n..(k + 1) * n]);
        pl.copy_from_slice(&lo[k * n..(k + 1) * n]);
        let pivot_row = PivotRow {
            k,
            hi: &*ph,
            lo: &*pl,
        };
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
                        first: t * rows,
                        n,
                        hi: rh,
                        lo: rl,
                        pivot: pivot_row,
                    })
                });
        } else {
            Rows {
                first: 0,
                n,
                hi: &mut *hi,
                lo: &mut *lo,
                pivot: pivot_row,
            }
            .run();
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

/// Step `k`'s pivot row, scaled (a copy: the rows updated may include its own).
#[derive(Clone, Copy)]
struct PivotRow<'p> {
    k: usize,
    hi: &'p [f64],
    lo: &'p [f64],
}

/// Consecutive rows `first..` of the planes, eliminated with the pivot row.
struct Rows<'r> {
    first: usize,
    n: usize,
    hi: &'r mut [f64],
    lo: &'r mut [f64],
    pivot: PivotRow<'r>,
}

impl IsaRun for Rows<'_> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        let Rows {
            first,
            n,
            hi,
            lo,
            pivot,
        } = self;
        let k = pivot.k;
        for (i, (rh, rl)) in hi
            .chunks_exact_mut(n)
            .zip(lo.chunks_exact_mut(n))
            .enumerate()
        {
            let f = Dd {
                hi: rh[k],
                lo: rl[k],
            };
            if first + i == k || f.is_zero() {
                continue;
            }
            rh[k] = 0.0;
            rl[k] = 0.0;
            eliminate_row(rh, rl, f, pivot.hi, pivot.lo);
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
        let n = 512;
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
            let mut hi: Vec<f64> = input.iter().map(|x| x.hi).collect();
            let mut lo: Vec<f64> = input.iter().map(|x| x.lo).collect();
            for threads in [false, true] {
                let (mut h, mut l) = (hi.clone(), lo.clone());
                let r2 = invert_real(
                    &mut h,
                    &mut l,
                    n,
                    &mut vec![0; n],
                    &mut vec![0.0; 2 * n],
                    pivoting,
                    threads,
                );
                assert_eq!(r1, r2);
                let got: Vec<Dd> = h.iter().zip(&l).map(|(&hi, &lo)| Dd { hi, lo }).collect();
                assert_eq!(got, want, "pivoting {pivoting}, threads {threads}");
            }
            hi.clear();
            lo.clear();
        }
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
