//! The inverse from LU factors: `inv(A) = inv(U) inv(L) P`, getri's 2n^3 flops in all.

use crate::element::Field;
use faer::dyn_stack::{MemStack, StackReq};
use faer::linalg::lu::partial_pivoting::inverse as pinv;
use faer::perm::PermRef;
use faer::{MatMut, MatRef, Par};

/// Scratch needed by [`inverse`] for order `n`.
pub fn scratch<F: Field>(n: usize, par: Par) -> StackReq {
    pinv::inverse_scratch::<usize, F>(n, par)
}

/// Writes `inv(A)` into `out` (any strides) from the factors made by
/// [`super::factor::factor`].
pub fn inverse<F: Field>(
    out: MatMut<'_, F>,
    lu: MatRef<'_, F>,
    perm: &[usize],
    perm_inv: &[usize],
    par: Par,
    stack: &mut MemStack,
) {
    let n = lu.nrows();
    // SAFETY: `perm` and `perm_inv` come from faer's LU, which makes them mutual inverses.
    let p = unsafe { PermRef::new_unchecked(perm, perm_inv, n) };
    pinv::inverse(out, lu, lu, p, par, stack);
}
