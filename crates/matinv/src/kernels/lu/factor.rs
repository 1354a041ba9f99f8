//! Partial-pivoting LU in place, with getrf's report of the first exact zero pivot.

use crate::element::Field;
use crate::kernels::ZeroPivot;
use faer::dyn_stack::{MemStack, StackReq};
use faer::linalg::lu::partial_pivoting::factor as plu;
use faer::prelude::{Reborrow, ReborrowMut};
use faer::{MatMut, MatRef, Par};

/// Scratch needed by [`factor`] for order `n`.
pub fn scratch<F: Field>(n: usize, par: Par) -> StackReq {
    plu::lu_in_place_scratch::<usize, F>(n, n, par, Default::default())
}

/// Factors `a = P^T L U` in place. On an exact zero pivot at column `k`, returns `Err(k)`.
///
/// faer stores the zero pivot in `U` and then divides by it, so every later pivot is NaN;
/// the first exact zero on `U`'s diagonal is therefore getrf's `info - 1`.
pub fn factor<F: Field>(
    mut a: MatMut<'_, F>,
    perm: &mut [usize],
    perm_inv: &mut [usize],
    par: Par,
    stack: &mut MemStack,
) -> Result<(), ZeroPivot> {
    plu::lu_in_place(a.rb_mut(), perm, perm_inv, par, stack, Default::default());
    first_zero_pivot(a.rb())
}

/// The first column whose pivot (diagonal of `U`) is exactly zero.
pub fn first_zero_pivot<F: Field>(lu: MatRef<'_, F>) -> Result<(), ZeroPivot> {
    match (0..lu.nrows()).find(|&k| lu[(k, k)].is_zero()) {
        Some(k) => Err(k),
        None => Ok(()),
    }
}
