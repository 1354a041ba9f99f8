//! # matinv
//!
//! Inverts stacks of square matrices, with the semantics of `numpy.linalg.inv`:
//!
//! - input is a strided stack of shape `(..., n, n)` ([`StackView`]) of `f32`, `f64`,
//!   [`c32`] or [`c64`]; any strides, including negative and zero (broadcast) ones;
//! - output is C-contiguous, of the same shape and element type;
//! - single precision is computed in double precision and rounded once, as numpy does;
//! - a matrix is singular when partial-pivoting LU meets an exact zero pivot (LAPACK
//!   `getrf`'s rule), reported as [`Error::Singular`]; error messages are numpy's.
//!
//! ```
//! use matinv::{inv, StackView};
//!
//! let a = [1.0f64, 2.0, 3.0, 4.0];
//! let x = inv(&StackView::c_contiguous(&a, &[2, 2])?)?;
//! for (got, want) in x.iter().zip([-2.0, 1.0, 1.5, -0.5]) {
//!     assert!((got - want).abs() < 1e-15);
//! }
//! # Ok::<(), matinv::Error>(())
//! ```
//!
//! Singular matrices are reported, never divided through:
//!
//! ```
//! use matinv::{inv, Error, StackView};
//!
//! let a = [1.0, 2.0, 2.0, 4.0];
//! let err = inv(&StackView::c_contiguous(&a, &[2, 2])?).unwrap_err();
//! assert_eq!(err.to_string(), "Singular matrix");
//! assert!(matches!(err, Error::Singular { matrix: 0, pivot: 2 }));
//! # Ok::<(), matinv::Error>(())
//! ```
#![deny(missing_docs)]

mod batch;
mod cond;
mod element;
mod error;
pub mod kernels;
mod layout;
mod status;
mod svd;
mod threads;

pub use batch::Params;
pub use cond::{cond, cond_with, Norm};
pub use element::{c32, c64, Element, Field};
pub use error::Error;
pub use layout::{c_strides, matrix_dims, stack_dims, StackView};
pub use status::Status;
pub use svd::{factor_shapes, svd, svd_into, svdvals, Svd, Vectors};
pub use threads::default_num_threads;

/// Inverts every matrix of `a` into `out`, a C-contiguous buffer of `a.len() * n * n`
/// elements (the layout numpy gives a fresh array of `a`'s shape).
///
/// ```
/// use matinv::{inv_into, StackView};
///
/// // A stack of two matrices, the second one read through negative strides.
/// let data = [2.0f32, 0.0, 0.0, 4.0, 1.0, 1.0, 0.0, 1.0];
/// let view = StackView::new(&data, &[2, 2, 2], &[4, -2, -1], 3)?;
/// let mut out = [0.0f32; 8];
/// inv_into(&view, &mut out)?;
/// assert_eq!(out, [0.25, 0.0, 0.0, 0.5, 1.0, 0.0, -1.0, 1.0]);
/// # Ok::<(), matinv::Error>(())
/// ```
pub fn inv_into<T: Element>(a: &StackView<'_, T>, out: &mut [T]) -> Result<(), Error> {
    batch::invert_stack(a, out, None, &Params::default())
}

/// Like [`inv_into`], with explicit tuning parameters.
pub fn inv_into_with<T: Element>(
    a: &StackView<'_, T>,
    out: &mut [T],
    params: &Params,
) -> Result<(), Error> {
    batch::invert_stack(a, out, None, params)
}

/// Inverts every matrix of `a` into a new C-contiguous `Vec` of shape `a.shape()`.
pub fn inv<T: Element>(a: &StackView<'_, T>) -> Result<Vec<T>, Error> {
    let n = a.order()?;
    let len = a.len() * n * n;
    let mut out = Vec::new();
    out.try_reserve_exact(len).map_err(|_| Error::TooLarge)?;
    out.resize(len, T::from_compute(<T::Compute as Field>::ZERO));
    inv_into(a, &mut out)?;
    Ok(out)
}

/// Like [`inv_into`], but never fails for singular matrices: every matrix gets a
/// [`Status`] (LAPACK's `info` and the reciprocal condition number `rcond`), and singular
/// ones an all-NaN inverse. Only shape and layout errors are returned.
///
/// ```
/// use matinv::{inv_ex_into, Params, StackView, Status};
///
/// // A good matrix, a singular one, and a nearly singular one.
/// let a = [2.0f64, 0.0, 0.0, 4.0,   1.0, 2.0, 2.0, 4.0,   1.0, 1.0, 1.0, 1.0 + 1e-15];
/// let view = StackView::c_contiguous(&a, &[3, 2, 2])?;
/// let mut out = [0.0; 12];
/// let mut status = [Status::default(); 3];
/// inv_ex_into(&view, &mut out, &mut status, &Params::default())?;
/// assert_eq!(status[0], Status { info: 0, rcond: 0.5 });
/// assert_eq!((status[1].info, status[1].rcond), (2, 0.0));
/// assert!(out[4..8].iter().all(|x| x.is_nan()));
/// assert!(status[2].rcond < 1e-14); // invertible, but the inverse is not to be trusted
/// # Ok::<(), matinv::Error>(())
/// ```
pub fn inv_ex_into<T: Element>(
    a: &StackView<'_, T>,
    out: &mut [T],
    status: &mut [Status],
    params: &Params,
) -> Result<(), Error> {
    batch::invert_stack(a, out, Some(status), params)
}

/// Like [`inv`], with a [`Status`] per matrix instead of an error for singular ones.
pub fn inv_ex<T: Element>(a: &StackView<'_, T>) -> Result<(Vec<T>, Vec<Status>), Error> {
    let n = a.order()?;
    let len = a.len() * n * n;
    let mut out = Vec::new();
    out.try_reserve_exact(len).map_err(|_| Error::TooLarge)?;
    out.resize(len, T::from_compute(<T::Compute as Field>::ZERO));
    let mut status = kernels::lu::zeros(a.len())?;
    inv_ex_into(a, &mut out, &mut status, &Params::default())?;
    Ok((out, status))
}
