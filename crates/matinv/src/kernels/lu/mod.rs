//! LU with partial pivoting and the inverse from its factors, for n > 4.
//!
//! faer provides the blocked, recursive factorisation and the triangular inverses and
//! products (getri's 2n^3 flops in all); it divides by a zero pivot instead of reporting it,
//! so [`factor::factor`] reads the pivots back to keep LAPACK's singularity rule.

pub mod factor;
pub mod inverse;

use crate::element::Field;
use crate::Error;
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
    /// A column-major copy and two columns for the real Gauss-Jordan kernel, grown on first
    /// use.
    pub(crate) real: Vec<f64>,
    pub(crate) stack: MemBuffer,
}

impl<F: Field> Workspace<F> {
    /// Room for matrices of order `n`; `with_inv` adds an `n x n` buffer for results that
    /// must be rounded before they are stored. Fails, rather than aborting the process,
    /// when the memory cannot be had.
    pub fn new(n: usize, par: Par, with_inv: bool) -> Result<Self, Error> {
        let req = StackReq::any_of(&[factor::scratch::<F>(n, par), inverse::scratch::<F>(n, par)]);
        let nn = n.checked_mul(n).ok_or(Error::TooLarge)?;
        Ok(Self {
            lu: zeros(nn)?,
            inv: zeros(if with_inv { nn } else { 0 })?,
            perm: zeros(n)?,
            perm_inv: zeros(n)?,
            work: zeros(2 * n)?,
            real: Vec::new(),
            stack: MemBuffer::try_new(req).map_err(|_| Error::TooLarge)?,
        })
    }
}

/// A vector of `len` default values, or `Error::TooLarge` when it cannot be allocated.
pub(crate) fn zeros<T: Clone + Default>(len: usize) -> Result<Vec<T>, Error> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| Error::TooLarge)?;
    v.resize(len, T::default());
    Ok(v)
}
