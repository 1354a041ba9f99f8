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

use crate::double_double::DoubleDouble;

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
            *x = x.mul(r);
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
