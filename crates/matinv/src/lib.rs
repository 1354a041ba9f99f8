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
mod in_place;
pub mod kernels;
mod layout;
mod status;
mod structured;
mod svd;
mod threads;

pub use batch::Params;
pub use cond::{cond, cond_with, Norm};
pub use element::{c32, c64, Element, Field};
pub use error::Error;
pub use in_place::inv_in_place_with;
pub use layout::{c_strides, matrix_dims, stack_dims, StackView};
pub use status::Status;
pub use structured::Structure;
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
    let mut status = kernels::zeros(a.len())?;
    inv_ex_into(a, &mut out, &mut status, &Params::default())?;
    Ok((out, status))
}

/// Like [`inv_into_with`], for matrices of a known [`Structure`] (scipy's `assume_a`): only
/// the entries the structure reads are read, and the structured kernels do less work
/// (triangular about a third of LU's inverse, Cholesky about half). Singular matrices give
/// [`Error::Singular`] (an exact zero on a triangular or diagonal matrix's diagonal, or
/// LU's zero pivot); a matrix that is not positive definite under
/// [`Structure::PositiveDefinite`] gives [`Error::NotPositiveDefinite`].
///
/// ```
/// use matinv::{inv_structured_into, Params, StackView, Structure};
///
/// // Upper triangular: the strictly lower part is not read (here it holds junk).
/// let a = [2.0f64, 1.0, 99.0, 4.0];
/// let view = StackView::c_contiguous(&a, &[2, 2])?;
/// let mut x = [0.0; 4];
/// inv_structured_into(&view, &mut x, Structure::UpperTriangular, &Params::default())?;
/// assert_eq!(x, [0.5, -0.125, 0.0, 0.25]);
///
/// // Positive definite, read from the lower triangle; the inverse is exactly symmetric.
/// let a = [4.0f64, 99.0, 2.0, 3.0];
/// let view = StackView::c_contiguous(&a, &[2, 2])?;
/// inv_structured_into(&view, &mut x, Structure::PositiveDefinite { lower: true }, &Params::default())?;
/// assert_eq!(x[1], x[2]);
/// assert!((x[0] - 0.375).abs() < 1e-15 && (x[1] + 0.25).abs() < 1e-15 && (x[3] - 0.5).abs() < 1e-15);
///
/// // Not positive definite: Cholesky fails at the leading minor of order 2.
/// let a = [1.0f64, 2.0, 2.0, 1.0];
/// let view = StackView::c_contiguous(&a, &[2, 2])?;
/// let err = inv_structured_into(&view, &mut x, Structure::PositiveDefinite { lower: false }, &Params::default());
/// assert_eq!(err, Err(matinv::Error::NotPositiveDefinite { matrix: 0, minor: 2 }));
/// # Ok::<(), matinv::Error>(())
/// ```
pub fn inv_structured_into<T: Element>(
    a: &StackView<'_, T>,
    out: &mut [T],
    structure: Structure,
    params: &Params,
) -> Result<(), Error> {
    structured::invert_stack(a, out, None, structure, params)
}

/// Like [`inv_structured_into`], but never fails for singular matrices, as
/// [`inv_ex_into`]: every matrix gets a [`Status`], failing ones an all-NaN inverse.
/// `info` is LAPACK's: the first zero diagonal entry (`trtri`) for triangular and diagonal
/// matrices, the order of the first leading minor that is not positive definite (`potrf`)
/// under [`Structure::PositiveDefinite`], LU's zero pivot (`getrf`) otherwise. `rcond` is
/// computed from the matrix the structure implies (a triangle and zeros, or a triangle and
/// its mirror image).
///
/// ```
/// use matinv::{inv_ex_structured_into, Params, StackView, Status, Structure};
///
/// let a = [4.0f64, 0.0, 0.0, 0.5,   1.0, 0.0, 0.0, 0.0];
/// let view = StackView::c_contiguous(&a, &[2, 2, 2])?;
/// let mut x = [0.0; 8];
/// let mut status = [Status::default(); 2];
/// inv_ex_structured_into(&view, &mut x, &mut status, Structure::Diagonal, &Params::default())?;
/// assert_eq!(x[..4], [0.25, 0.0, 0.0, 2.0]);
/// assert_eq!(status[0], Status { info: 0, rcond: 0.125 });
/// assert_eq!(status[1], Status { info: 2, rcond: 0.0 });
/// assert!(x[4..].iter().all(|v| v.is_nan()));
/// # Ok::<(), matinv::Error>(())
/// ```
pub fn inv_ex_structured_into<T: Element>(
    a: &StackView<'_, T>,
    out: &mut [T],
    status: &mut [Status],
    structure: Structure,
    params: &Params,
) -> Result<(), Error> {
    structured::invert_stack(a, out, Some(status), structure, params)
}

/// Like [`inv`], for matrices of a known [`Structure`] ([`inv_structured_into`]).
///
/// ```
/// use matinv::{inv_structured, StackView, Structure};
///
/// // 'auto' finds the lower triangle and inverts only that.
/// let a = [2.0f64, 0.0, 1.0, 1.0];
/// let x = inv_structured(&StackView::c_contiguous(&a, &[2, 2])?, Structure::Auto)?;
/// assert_eq!(x, [0.5, 0.0, -0.5, 1.0]);
/// # Ok::<(), matinv::Error>(())
/// ```
pub fn inv_structured<T: Element>(
    a: &StackView<'_, T>,
    structure: Structure,
) -> Result<Vec<T>, Error> {
    let n = a.order()?;
    let len = a.len() * n * n;
    let mut out = Vec::new();
    out.try_reserve_exact(len).map_err(|_| Error::TooLarge)?;
    out.resize(len, T::from_compute(<T::Compute as Field>::ZERO));
    inv_structured_into(a, &mut out, structure, &Params::default())?;
    Ok(out)
}
