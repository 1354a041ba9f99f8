//! Inversion in place in a C-contiguous stack (scipy's `overwrite_a`), so that a large
//! matrix needs no second buffer of its size.
//!
//! Large double-precision matrices (those [`crate::inv_into`] gives to blocked
//! Gauss-Jordan with threads inside the matrix, or a single one) are scaled, inverted and
//! scaled back in their own memory: the blocked kernel already works in place on a
//! row-major matrix, and the input copy it normally inverts in is the matrix itself. Every
//! other stack goes through [`crate::inv_into`] a slab of matrices at a time, from a copy of
//! at most [`SLAB_BYTES`] (or one matrix), written back over the slab. The results are
//! those of [`crate::inv_into`], bit for bit: the same kernel, scale, threads and
//! order of operations.

use crate::element::{Element, Field};
use crate::general;
use crate::kernels::gauss_jordan_blocked;
use crate::layout::{stack_dims, StackView};
use crate::params::Params;
use crate::plan::{threads_inside, Kernel};
use crate::scaling::power_of_two_scale;
use crate::Error;
use faer::Par;

/// The most a slab copy holds (beyond one matrix): 4 MiB.
pub const SLAB_BYTES: usize = 4 << 20;

/// Inverts every matrix of the C-contiguous stack `a` of shape `shape` in place.
///
/// On an error, the matrices up to the one reported hold their inverses, and that one and
/// some of the following may hold intermediate values: `a` is to be discarded.
///
/// ```
/// use matinv::{inv_in_place_with, Params};
///
/// let mut a = [2.0f64, 0.0, 0.0, 4.0, 1.0, 1.0, 0.0, 1.0];
/// inv_in_place_with(&mut a, &[2, 2, 2], &Params::default())?;
/// assert_eq!(a, [0.5, 0.0, 0.0, 0.25, 1.0, -1.0, 0.0, 1.0]);
/// # Ok::<(), matinv::Error>(())
/// ```
pub fn inv_in_place_with<T: Element>(
    a: &mut [T],
    shape: &[usize],
    params: &Params,
) -> Result<(), Error> {
    T::inv_in_place(a, shape, params)
}

/// [`inv_in_place_with`]'s body, compiled for each element type in [`crate::instances`].
pub(crate) fn invert_in_place<T: Element>(
    a: &mut [T],
    shape: &[usize],
    params: &Params,
) -> Result<(), Error> {
    let (count, n) = stack_dims(shape)?;
    let nn = n.checked_mul(n).ok_or(Error::TooLarge)?;
    let expected = count.checked_mul(nn).ok_or(Error::TooLarge)?;
    if a.len() != expected {
        return Err(Error::OutputLength {
            got: a.len(),
            expected,
        });
    }
    if expected == 0 {
        return Ok(());
    }
    let inside = threads_inside(count, n, T::Compute::REAL, params);
    let own_compute = T::as_compute_mut(&mut a[..0]).is_some();
    if own_compute
        && Kernel::choose(n, T::Compute::REAL, params) == Kernel::GaussJordanBlocked
        && (inside || count == 1)
    {
        // As `invert_stack` runs it: all threads inside each matrix, or one thread.
        let team = if inside {
            crate::threads::team(params.threads.num_threads)
        } else {
            None
        };
        return match team {
            Some(team) => team.install(|| blocked(a, n, Par::rayon(0), params)),
            None => blocked(a, n, Par::Seq, params),
        };
    }
    let slab = (SLAB_BYTES / (nn * std::mem::size_of::<T>())).clamp(1, count);
    let mut copy: Vec<T> = Vec::new();
    copy.try_reserve_exact(slab * nn)
        .map_err(|_| Error::TooLarge)?;
    for (k, dst) in a.chunks_mut(slab * nn).enumerate() {
        copy.clear();
        copy.extend_from_slice(dst);
        let view = StackView::c_contiguous(&copy, &[dst.len() / nn, n, n])?;
        general::invert_stack(&view, dst, None, params).map_err(|e| match e {
            Error::Singular { matrix, pivot } => Error::Singular {
                matrix: k * slab + matrix,
                pivot,
            },
            e => e,
        })?;
    }
    Ok(())
}

/// Every matrix of `a` (order `n`, `T` its own compute type) through [`invert_scaled`].
fn blocked<T: Element>(a: &mut [T], n: usize, par: Par, params: &Params) -> Result<(), Error> {
    if par.degree() > 1 {
        crate::kernels::gemm_buffer::reserve(par)?;
    }
    let mut ws = gauss_jordan_blocked::Workspace::new(n, general::block_size(n, params))?;
    for (k, m) in a.chunks_exact_mut(n * n).enumerate() {
        let x = T::as_compute_mut(m).expect("checked by the caller: T is its compute type");
        invert_scaled(x, par, &mut ws).map_err(|p| Error::Singular {
            matrix: k,
            pivot: p + 1,
        })?;
    }
    Ok(())
}

/// `x` (row-major) inverted in place as `invert_stack`'s blocked path does it: brought
/// near 1 by a power of two `s` (exact), inverted, and multiplied by `s` again.
fn invert_scaled<F: Field>(
    x: &mut [F],
    par: Par,
    ws: &mut gauss_jordan_blocked::Workspace<F>,
) -> Result<(), crate::kernels::ZeroPivot> {
    let s = power_of_two_scale(x);
    if s != 1.0 {
        x.iter_mut().for_each(|v| *v = v.scale(s));
    }
    gauss_jordan_blocked::invert_in_place(x, par, ws)?;
    if s != 1.0 {
        x.iter_mut().for_each(|v| *v = v.scale(s));
    }
    Ok(())
}
