//! Scratch for the general kernels, sized from the [`KernelPlan`]: kernels never allocate
//! per matrix.

use crate::alloc::zeros;
use crate::element::Field;
use crate::kernels::gauss_jordan_blocked;
use crate::params::Params;
use crate::plan::{Kernel, KernelPlan};
use crate::Error;

/// Scratch for one thread of the general path.
pub(crate) struct Workspace<F: Field> {
    /// A column-major copy for the unblocked LU kernel.
    pub(super) lu: Vec<F>,
    /// Pivots (`n`), and the real Gauss-Jordan kernel's row map (`n` more, whatever the
    /// kernel: two words per order).
    pub(super) perm: Vec<usize>,
    pub(super) work: Vec<F>,
    /// A column-major copy and a column per pivot step of a pass for the real Gauss-Jordan
    /// kernel, grown on first use.
    pub(super) real: Vec<f64>,
    /// The double-precision result of the blocked kernel, for single-precision output.
    pub(super) inv: Vec<F>,
    pub(super) blocked: Option<gauss_jordan_blocked::Workspace<F>>,
}

impl<F: Field> Workspace<F> {
    /// Room for the kernel `plan` inverts its matrices with (and, for the lanes kernel,
    /// for its scalar remainder); `with_inv` adds an `n x n` buffer for results that must
    /// be rounded before they are stored. Fails, rather than aborting the process, when
    /// the memory cannot be had.
    pub(crate) fn new(plan: &KernelPlan, with_inv: bool, params: &Params) -> Result<Self, Error> {
        let n = plan.n;
        let nn = n.checked_mul(n).ok_or(Error::TooLarge)?;
        let blocked = plan.kernel == Kernel::GaussJordanBlocked;
        Ok(Self {
            lu: zeros(if plan.kernel.needs_lu_copy(n) { nn } else { 0 })?,
            perm: zeros(n.checked_mul(2).ok_or(Error::TooLarge)?)?,
            work: zeros(2 * n)?,
            real: Vec::new(),
            inv: zeros(if blocked && with_inv { nn } else { 0 })?,
            blocked: match blocked {
                true => Some(gauss_jordan_blocked::Workspace::new(
                    n,
                    block_size(n, params),
                )?),
                false => None,
            },
        })
    }
}

/// The block width for order `n`.
pub(crate) fn block_size(n: usize, params: &Params) -> usize {
    match params.kernels.block_size {
        0 => gauss_jordan_blocked::default_block(n),
        b => b,
    }
}
