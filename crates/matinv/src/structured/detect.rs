//! `Auto`: what a matrix is, read from its entries, stopping at the first entry that rules
//! a class out (a general matrix costs a handful of reads, not O(n^2)).

use crate::element::{Field, Widened};
use crate::layout::MatrixPtr;

/// The structure detected in one matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// Every off-diagonal entry is zero.
    Diagonal,
    /// The strictly lower triangle is zero.
    Upper,
    /// The strictly upper triangle is zero.
    Lower,
    /// Exactly Hermitian (`a[i][j] == conj(a[j][i])`, real diagonal) with a positive
    /// diagonal: a candidate for Cholesky.
    Hermitian,
    /// None of the above.
    General,
}

/// Classifies the `n x n` matrix `m`; without `hermitian`, a Hermitian matrix counts as
/// general (the Hermitian test is the one that reads the whole matrix, in transposed
/// order: 27% of the inversion time of a stack of 32 x 32 matrices).
pub(crate) fn classify<T: Widened>(m: MatrixPtr<T>, n: usize, hermitian: bool) -> Class {
    // SAFETY: i, j < n, inside the matrix.
    let get = |i: usize, j: usize| unsafe { m.get(i, j) }.to_compute();
    // Row by row, as numpy's C order stores them.
    let lower_zero = (1..n).all(|i| (0..i).all(|j| get(i, j).is_zero()));
    let upper_zero = (0..n).all(|i| (i + 1..n).all(|j| get(i, j).is_zero()));
    match (lower_zero, upper_zero) {
        (true, true) => Class::Diagonal,
        (true, false) => Class::Upper,
        (false, true) => Class::Lower,
        (false, false) => {
            let diagonal_positive = (0..n).all(|i| {
                let d = get(i, i);
                d.re() > 0.0 && d == <T::Compute as Field>::from_re(d.re())
            });
            let is_hermitian = || {
                (0..n).all(|i| {
                    (i + 1..n).all(|j| get(i, j) == faer::traits::math_utils::conj(&get(j, i)))
                })
            };
            if hermitian && diagonal_positive && is_hermitian() {
                Class::Hermitian
            } else {
                Class::General
            }
        }
    }
}
