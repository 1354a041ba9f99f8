//! Tiny matrices (n <= 4) held in registers, fully unrolled by const generics.
//!
//! The algorithm is in-place Gauss-Jordan with partial (row) pivoting. Its pivot choices and
//! pivot values are exactly those of LAPACK's unblocked LU: rows below the pivot are updated
//! with the same multipliers `l = a_ik * (1/d)` and the same products `l * a_kj` as in getf2,
//! so "singular" means what it means in numpy (an exact zero pivot), not a determinant test.

use super::ZeroPivot;
use crate::element::Field;

/// Inverts the row-major `N x N` matrix `a` in place, or returns the column of the first
/// exact zero pivot (then `a` holds garbage).
#[inline(always)]
pub fn invert<F: Field, const N: usize>(a: &mut [[F; N]; N]) -> Result<(), ZeroPivot> {
    let mut swaps = [0usize; N];
    for k in 0..N {
        // i?amax: the first row with the largest |re| + |im| at or below the diagonal.
        let mut p = k;
        let mut best = a[k][k].abs1();
        for (i, row) in a.iter().enumerate().skip(k + 1) {
            let v = row[k].abs1();
            if v > best {
                best = v;
                p = i;
            }
        }
        if a[p][k].is_zero() {
            return Err(k);
        }
        a.swap(k, p);
        swaps[k] = p;
        let d = a[k][k];
        // getf2 multiplies by the reciprocal unless it would overflow, then divides.
        let tiny = d.abs1() < f64::MIN_POSITIVE;
        let r = d.pivot_recip();
        let pivot_row = a[k];
        for (i, row) in a.iter_mut().enumerate() {
            if i == k {
                continue;
            }
            let l = if tiny { row[k].pivot_div(d) } else { row[k] * r };
            for j in 0..N {
                row[j] = row[j] - l * pivot_row[j];
            }
            row[k] = -l;
        }
        for j in 0..N {
            a[k][j] = if tiny { a[k][j].pivot_div(d) } else { a[k][j] * r };
        }
        a[k][k] = if tiny { F::ONE.pivot_div(d) } else { r };
    }
    // Row swaps of A become column swaps of inv(A), undone in reverse order.
    for k in (0..N).rev() {
        let p = swaps[k];
        if p != k {
            for row in a.iter_mut() {
                row.swap(k, p);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::element::c64;

    fn residual<const N: usize>(a: &[[f64; N]; N], x: &[[f64; N]; N]) -> f64 {
        let mut worst: f64 = 0.0;
        for i in 0..N {
            for j in 0..N {
                let mut s = if i == j { -1.0 } else { 0.0 };
                for k in 0..N {
                    s += x[i][k] * a[k][j];
                }
                worst = worst.max(s.abs());
            }
        }
        worst
    }

    #[test]
    fn inverts_a_matrix_that_needs_pivoting() {
        let a = [[0.0, 2.0, 1.0], [1.0, 1.0, 0.0], [3.0, 0.0, 1.0]];
        let mut x = a;
        invert(&mut x).unwrap();
        assert!(residual(&a, &x) < 1e-15);
    }

    #[test]
    fn reports_the_first_zero_pivot_like_getrf() {
        // Second column is twice the first: the pivot of column 1 is exactly zero.
        let mut a = [[1.0, 2.0, 0.0], [2.0, 4.0, 1.0], [3.0, 6.0, 5.0]];
        assert_eq!(invert(&mut a), Err(1));
        let mut z = [[0.0f64; 2]; 2];
        assert_eq!(invert(&mut z), Err(0));
    }

    #[test]
    fn a_zero_determinant_is_not_always_a_zero_pivot() {
        // numpy's own near-singular example: det is 0 in exact arithmetic, but getrf meets
        // no exact zero pivot, so numpy returns a (huge) inverse. So must we.
        let mut a = [[2.0, 4.0, 6.0], [2.0, 0.0, 2.0], [6.0, 8.0, 14.0]];
        assert!(invert(&mut a).is_ok());
        assert!(a[0][0].abs() > 1e14);
    }

    #[test]
    fn multipliers_use_the_pivot_reciprocal_like_getf2() {
        // 49 * (1/49) = 0.9999999999999999, so getf2 (and numpy) leave a tiny nonzero pivot
        // where exact division would give zero: this matrix is not "singular" in numpy.
        let mut a = [[49.0, 1.0], [49.0, 1.0]];
        assert!(invert(&mut a).is_ok());
        assert!((a[1][0] - -9.007199254740992e15).abs() < 1.0);
    }

    #[test]
    fn complex_inverse() {
        let i = c64::new(0.0, 1.0);
        let o = c64::ONE;
        let mut a = [[o, i], [i, o]]; // inverse is [[1, -i], [-i, 1]] / 2
        invert(&mut a).unwrap();
        assert!((a[0][1] - c64::new(0.0, -0.5)).norm() < 1e-16);
        assert!((a[1][1] - c64::new(0.5, 0.0)).norm() < 1e-16);
    }
}
