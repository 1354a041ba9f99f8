//! Per-matrix outcome of an inversion with a status ([`crate::Request::with_status`]): LAPACK's `info` and the reciprocal condition
//! number, so that one bad matrix does not sink a whole stack.

use crate::element::{Field, Widened};
use crate::layout::MatrixPtr;

/// What happened to one matrix of a stack.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Status {
    /// 0 when the matrix was inverted; otherwise LAPACK's `info` and its inverse is all
    /// NaN: the 1-based column of LU's first exact zero pivot (`getrf`), of the first zero
    /// diagonal entry of a triangular or diagonal matrix (`trtri`), or the order of the
    /// first leading minor that is not positive definite (`potrf`).
    pub info: u32,
    /// Reciprocal condition number in the 1-norm, `1 / (||A||_1 ||inv(A)||_1)`: 0 for a
    /// singular matrix, about `eps` or less where the inverse cannot be trusted, NaN when
    /// the input holds NaN. Computed from the inverse just made, in O(n^2).
    pub rcond: f64,
}

impl Status {
    /// A status with these fields (to compare against, or to fill a buffer with).
    ///
    /// ```
    /// let s = matinv::Status::new(2, 0.0);
    /// assert_eq!((s.info, s.rcond), (2, 0.0));
    /// assert_eq!(matinv::Status::default(), matinv::Status::new(0, 0.0));
    /// ```
    pub fn new(info: u32, rcond: f64) -> Self {
        Self { info, rcond }
    }

    /// The status of a matrix whose LU met a zero pivot in 0-based column `k`.
    pub(crate) fn singular(k: usize) -> Self {
        Self {
            info: k as u32 + 1,
            rcond: 0.0,
        }
    }

    /// The status of matrix `a` of order `n` with the computed inverse `x` (row-major).
    pub(crate) fn inverted<T: Widened>(a: MatrixPtr<T>, n: usize, x: &[T]) -> Self {
        // SAFETY: i, j < n, inside the matrix.
        Self::inverted_by(n, |i, j| unsafe { a.get(i, j) }.to_compute(), x)
    }

    /// The status of an inverted matrix whose entries are `at(i, j)` (the matrix a
    /// structure implies, not necessarily the one stored), with the inverse `x` (row-major).
    pub(crate) fn inverted_by<F: Field, T: Widened>(
        n: usize,
        at: impl Fn(usize, usize) -> F,
        x: &[T],
    ) -> Self {
        let xt = |i: usize, j: usize| x[i * n + j].to_compute();
        let (ma, ea) = norm1_scaled(n, at);
        let (mx, ex) = norm1_scaled(n, xt);
        // 1 / (||A|| ||X||) = 2^-(ea + ex) / (ma mx), applied one power at a time so that
        // nothing overflows unless the result itself would. At most 1 in exact arithmetic;
        // rounding can push it a hair above. NaN (from NaN input) stays NaN.
        let e = -(ea + ex);
        let rcond = 1.0 / (ma * mx) * pow2(e / 2) * pow2(e - e / 2);
        Self {
            info: 0,
            rcond: if rcond > 1.0 { 1.0 } else { rcond },
        }
    }
}

/// The 1-norm of an `n x n` matrix as `(m, e)` with norm = m 2^e and m <= n: entries are
/// scaled by a power of two first, so the column sums cannot overflow.
fn norm1_scaled<F: Field>(n: usize, at: impl Fn(usize, usize) -> F) -> (f64, i32) {
    let mut big = 0.0f64;
    for j in 0..n {
        for i in 0..n {
            let m = at(i, j).max_component();
            big = if m.is_nan() || m > big { m } else { big };
        }
    }
    if !big.is_finite() || big == 0.0 {
        return (big, 0); // NaN, inf or 0: no scaling to do, and the result says it all
    }
    let e = (big.log2().floor() as i32 + 1).clamp(-1022, 1023);
    let s = pow2(-e);
    let mut norm = 0.0f64;
    for j in 0..n {
        // |z| s computed as |z s|: exact scaling, then the modulus.
        let sum: f64 = (0..n).map(|i| at(i, j).scale(s).modulus()).sum();
        norm = if sum.is_nan() || sum > norm {
            sum
        } else {
            norm
        };
    }
    (norm, e)
}

/// 2^e for |e| <= 1023 (subnormal results included).
fn pow2(e: i32) -> f64 {
    2f64.powi(e)
}

/// Fills the inverse of a singular matrix with NaN.
pub(crate) fn fill_nan<T: Widened>(x: &mut [T]) {
    let nan = T::from_compute(<T::Compute as Field>::ONE.scale(f64::NAN));
    x.iter_mut().for_each(|v| *v = nan);
}
