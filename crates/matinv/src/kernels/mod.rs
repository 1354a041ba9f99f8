//! Per-matrix inversion kernels. Each reports singularity the way LAPACK's `getrf` does:
//! the 0-based column of the first exact zero pivot of partial-pivoting LU.

pub mod gauss_jordan;
pub mod gauss_jordan_blocked;
pub mod lanes;
pub mod lu;
pub mod unblocked;

/// 0-based column of the first exact zero pivot met by partial-pivoting LU.
pub type ZeroPivot = usize;

/// A column-major (or row-major: the same draw) `n x n` test matrix with entries in
/// [-1, 1) plus `diag` on the diagonal, from a seeded LCG.
#[cfg(test)]
pub(crate) fn test_matrix(n: usize, seed: u64, diag: f64) -> Vec<f64> {
    let mut s = seed;
    (0..n * n)
        .map(|k| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let v = (s >> 11) as f64 / (1u64 << 52) as f64 - 1.0;
            if k % (n + 1) == 0 {
                v + diag
            } else {
                v
            }
        })
        .collect()
}
