//! LU with partial pivoting and the inverse from its factors, for n > 4.
//!
//! faer provides the blocked, recursive factorisation and the triangular inverses and
//! products (getri's 2n^3 flops in all); it divides by a zero pivot instead of reporting it,
//! so [`factor::factor`] reads the pivots back to keep LAPACK's singularity rule.

pub mod factor;
pub mod inverse;

use crate::element::Field;
use faer::dyn_stack::{MemBuffer, StackReq};
use faer::Par;

/// Scratch memory for factoring and inverting one `n x n` matrix; reused across a chunk of
/// a stack so that kernels never allocate per matrix.
pub struct Workspace<F: Field> {
    pub(crate) lu: Vec<F>,
    pub(crate) inv: Vec<F>,
    pub(crate) perm: Vec<usize>,
    pub(crate) perm_inv: Vec<usize>,
    pub(crate) work: Vec<F>,
    pub(crate) stack: MemBuffer,
}

impl<F: Field> Workspace<F> {
    /// Room for matrices of order `n`; `with_inv` adds an `n x n` buffer for results that
    /// must be rounded before they are stored.
    pub fn new(n: usize, par: Par, with_inv: bool) -> Self {
        let req = StackReq::any_of(&[
            factor::scratch::<F>(n, par),
            inverse::scratch::<F>(n, par),
        ]);
        Self {
            lu: vec![F::ZERO; n * n],
            inv: if with_inv { vec![F::ZERO; n * n] } else { Vec::new() },
            perm: vec![0; n],
            perm_inv: vec![0; n],
            work: vec![F::ZERO; 2 * n],
            stack: MemBuffer::new(req),
        }
    }
}
