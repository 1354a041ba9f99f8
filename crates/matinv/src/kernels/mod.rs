//! Per-matrix inversion kernels. Each reports singularity the way LAPACK's `getrf` does:
//! the 0-based column of the first exact zero pivot of partial-pivoting LU.

pub mod gauss_jordan;
pub mod lanes;
pub mod lu;
pub mod unblocked;

/// 0-based column of the first exact zero pivot met by partial-pivoting LU.
pub type ZeroPivot = usize;
