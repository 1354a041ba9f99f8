//! Per-matrix inversion kernels. Each reports singularity the way LAPACK's `getrf` does:
//! the 0-based column of the first exact zero pivot of partial-pivoting LU.

pub mod gauss_jordan;
pub mod gauss_jordan_blocked;
pub(crate) mod gemm_buffer;
pub mod lanes;
pub mod unblocked;

/// 0-based column of the first exact zero pivot met by partial-pivoting LU.
pub type ZeroPivot = usize;

/// A vector of `len` default values, or `Error::TooLarge` when it cannot be allocated.
pub(crate) fn zeros<T: Clone + Default>(len: usize) -> Result<Vec<T>, crate::Error> {
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| crate::Error::TooLarge)?;
    v.resize(len, T::default());
    Ok(v)
}

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
