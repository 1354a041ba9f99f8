//! Per-matrix outcome of [`crate::inv_ex`]: LAPACK's `info` and the reciprocal condition
//! number, so that one bad matrix does not sink a whole stack.

use crate::element::{Element, Field};
use crate::layout::MatrixPtr;

/// What happened to one matrix of a stack.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Status {
    /// 0 when the matrix was inverted; otherwise the 1-based column of the first exact zero
    /// pivot of partial-pivoting LU (LAPACK's `info`), and its inverse is all NaN.
    pub info: u32,
    /// Reciprocal condition number in the 1-norm, `1 / (||A||_1 ||inv(A)||_1)`: 0 for a
    /// singular matrix, about `eps` or less where the inverse cannot be trusted, NaN when
    /// the input holds NaN. Computed from the inverse just made, in O(n^2).
    pub rcond: f64,
}

impl Status {
    /// The status of a matrix whose LU met a zero pivot in 0-based column `k`.
    pub(crate) fn singular(k: usize) -> Self {
        Self {
            info: k as u32 + 1,
            rcond: 0.0,
        }
    }

    /// The status of matrix `a` of order `n` with the computed inverse `x` (row-major).
    pub(crate) fn inverted<T: Element>(a: MatrixPtr<T>, n: usize, x: &[T]) -> Self {
        let mut norm_a = 0.0f64;
        let mut norm_x = 0.0f64;
        for j in 0..n {
            let (mut sa, mut sx) = (0.0, 0.0);
            for i in 0..n {
                // SAFETY: i, j < n, inside the matrix.
                sa += unsafe { a.get(i, j) }.to_compute().modulus();
                sx += x[i * n + j].to_compute().modulus();
            }
            // NaN-propagating maximum: a NaN column makes the norm NaN.
            norm_a = if sa.is_nan() || sa > norm_a { sa } else { norm_a };
            norm_x = if sx.is_nan() || sx > norm_x { sx } else { norm_x };
        }
        // At most 1 in exact arithmetic; rounding (of a single-precision result, say) can
        // push it a hair above. NaN stays NaN.
        let rcond = 1.0 / norm_a / norm_x;
        Self {
            info: 0,
            rcond: if rcond > 1.0 { 1.0 } else { rcond },
        }
    }
}

/// Fills the inverse of a singular matrix with NaN.
pub(crate) fn fill_nan<T: Element>(x: &mut [T]) {
    let nan = T::from_compute(<T::Compute as Field>::ONE.scale(f64::NAN));
    x.iter_mut().for_each(|v| *v = nan);
}
