//! The public inverse: one family of entry points, all taking an [`InvOptions`] value
//! (structure and tuning parameters) except the plain [`inv`].
//!
//! - [`inv`] / [`inv_with`]: a new `Vec`; the first singular matrix is an error.
//! - [`inv_into`]: into the caller's buffer.
//! - [`inv_ex`] / [`inv_ex_into`]: never fail for singular matrices; every matrix gets a
//!   [`Status`] (LAPACK's `info`, `rcond`) and singular ones an all-NaN inverse.

use crate::alloc::{zero_elements, zeros};
use crate::element::Element;
use crate::layout::StackView;
use crate::params::Params;
use crate::status::Status;
use crate::structured::Structure;
use crate::Error;

/// How to invert: what is known about the matrices, and the tuning parameters.
///
/// ```
/// use matinv::{InvOptions, Params, Structure};
///
/// let opts = InvOptions::default();
/// assert_eq!(opts.structure, Structure::General);
/// let opts = InvOptions::structured(Structure::UpperTriangular)
///     .with_params(Params::default().with_num_threads(1));
/// assert_eq!((opts.structure, opts.params.threads.num_threads), (Structure::UpperTriangular, 1));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvOptions {
    /// What is known about every matrix (scipy's `assume_a`); [`Structure::General`] by
    /// default: LU with partial pivoting, numpy's `inv`.
    pub structure: Structure,
    /// Tuning knobs (threads, kernel thresholds).
    pub params: Params,
}

impl InvOptions {
    /// The default options for matrices of a known structure.
    ///
    /// ```
    /// let opts = matinv::InvOptions::structured(matinv::Structure::Diagonal);
    /// assert_eq!(opts.structure, matinv::Structure::Diagonal);
    /// ```
    pub fn structured(structure: Structure) -> Self {
        Self::default().with_structure(structure)
    }

    /// These options with another structure.
    ///
    /// ```
    /// use matinv::{InvOptions, Structure};
    /// let opts = InvOptions::default().with_structure(Structure::Auto);
    /// assert_eq!(opts.structure, Structure::Auto);
    /// ```
    pub fn with_structure(mut self, structure: Structure) -> Self {
        self.structure = structure;
        self
    }

    /// These options with other tuning parameters.
    ///
    /// ```
    /// use matinv::{InvOptions, Params};
    /// let opts = InvOptions::default().with_params(Params::default().with_num_threads(2));
    /// assert_eq!(opts.params.threads.num_threads, 2);
    /// ```
    pub fn with_params(mut self, params: Params) -> Self {
        self.params = params;
        self
    }

    /// These options with `params.threads.num_threads = num_threads` (0: every core, 1:
    /// the calling thread only).
    ///
    /// ```
    /// let opts = matinv::InvOptions::default().with_num_threads(1);
    /// assert_eq!(opts.params.threads.num_threads, 1);
    /// ```
    pub fn with_num_threads(mut self, num_threads: usize) -> Self {
        self.params = self.params.with_num_threads(num_threads);
        self
    }
}

/// Inverts every matrix of `a` into a new C-contiguous `Vec` of shape `a.shape()`, with
/// the default options (numpy's `inv`). The first singular matrix gives
/// [`Error::Singular`].
///
/// ```
/// use matinv::{inv, StackView};
///
/// let a = [1.0f64, 2.0, 3.0, 4.0];
/// let x = inv(&StackView::c_contiguous(&a, &[2, 2])?)?;
/// for (got, want) in x.iter().zip([-2.0, 1.0, 1.5, -0.5]) {
///     assert!((got - want).abs() < 1e-15);
/// }
/// # Ok::<(), matinv::Error>(())
/// ```
pub fn inv<T: Element>(a: &StackView<'_, T>) -> Result<Vec<T>, Error> {
    inv_with(a, &InvOptions::default())
}

/// Like [`inv`], with options: a known [`Structure`] (only the entries it reads are read,
/// and the structured kernels do less work: triangular about a third of LU's inverse,
/// Cholesky about half) and tuning [`Params`].
///
/// ```
/// use matinv::{inv_with, InvOptions, StackView, Structure};
///
/// // 'auto' finds the lower triangle and inverts only that.
/// let a = [2.0f64, 0.0, 1.0, 1.0];
/// let x = inv_with(&StackView::c_contiguous(&a, &[2, 2])?, &InvOptions::structured(Structure::Auto))?;
/// assert_eq!(x, [0.5, 0.0, -0.5, 1.0]);
/// # Ok::<(), matinv::Error>(())
/// ```
pub fn inv_with<T: Element>(a: &StackView<'_, T>, opts: &InvOptions) -> Result<Vec<T>, Error> {
    let n = a.order()?;
    let mut out = zero_elements(a.len() * n * n)?;
    inv_into(a, &mut out, opts)?;
    Ok(out)
}

/// Inverts every matrix of `a` into `out`, a C-contiguous buffer of `a.len() * n * n`
/// elements (the layout numpy gives a fresh array of `a`'s shape).
///
/// Singular matrices give [`Error::Singular`] (an exact zero on a triangular or diagonal
/// matrix's diagonal, or LU's zero pivot); a matrix that is not positive definite under
/// [`Structure::PositiveDefinite`] gives [`Error::NotPositiveDefinite`].
///
/// ```
/// use matinv::{inv_into, InvOptions, StackView, Structure};
///
/// // A stack of two matrices, the second one read through negative strides.
/// let data = [2.0f32, 0.0, 0.0, 4.0, 1.0, 1.0, 0.0, 1.0];
/// let view = StackView::new(&data, &[2, 2, 2], &[4, -2, -1], 3)?;
/// let mut out = [0.0f32; 8];
/// inv_into(&view, &mut out, &InvOptions::default())?;
/// assert_eq!(out, [0.25, 0.0, 0.0, 0.5, 1.0, 0.0, -1.0, 1.0]);
///
/// // Upper triangular: the strictly lower part is not read (here it holds junk).
/// let a = [2.0f64, 1.0, 99.0, 4.0];
/// let view = StackView::c_contiguous(&a, &[2, 2])?;
/// let mut x = [0.0; 4];
/// inv_into(&view, &mut x, &InvOptions::structured(Structure::UpperTriangular))?;
/// assert_eq!(x, [0.5, -0.125, 0.0, 0.25]);
///
/// // Positive definite, read from the lower triangle; the inverse is exactly symmetric.
/// let a = [4.0f64, 99.0, 2.0, 3.0];
/// let view = StackView::c_contiguous(&a, &[2, 2])?;
/// inv_into(&view, &mut x, &InvOptions::structured(Structure::PositiveDefinite { lower: true }))?;
/// assert_eq!(x[1], x[2]);
/// assert!((x[0] - 0.375).abs() < 1e-15 && (x[1] + 0.25).abs() < 1e-15 && (x[3] - 0.5).abs() < 1e-15);
///
/// // Not positive definite: Cholesky fails at the leading minor of order 2.
/// let a = [1.0f64, 2.0, 2.0, 1.0];
/// let view = StackView::c_contiguous(&a, &[2, 2])?;
/// let pos = InvOptions::structured(Structure::PositiveDefinite { lower: false });
/// let err = inv_into(&view, &mut x, &pos);
/// assert_eq!(err, Err(matinv::Error::NotPositiveDefinite { matrix: 0, minor: 2 }));
/// # Ok::<(), matinv::Error>(())
/// ```
pub fn inv_into<T: Element>(
    a: &StackView<'_, T>,
    out: &mut [T],
    opts: &InvOptions,
) -> Result<(), Error> {
    T::invert_stack(a, out, None, opts.structure, &opts.params)
}

/// Like [`inv_with`], with a [`Status`] per matrix instead of an error for singular ones
/// ([`inv_ex_into`]).
///
/// ```
/// use matinv::{inv_ex, InvOptions, StackView};
///
/// let a = [1.0f64, 2.0, 2.0, 4.0];
/// let (x, status) = inv_ex(&StackView::c_contiguous(&a, &[2, 2])?, &InvOptions::default())?;
/// assert_eq!((status[0].info, status[0].rcond), (2, 0.0));
/// assert!(x.iter().all(|v| v.is_nan()));
/// # Ok::<(), matinv::Error>(())
/// ```
pub fn inv_ex<T: Element>(
    a: &StackView<'_, T>,
    opts: &InvOptions,
) -> Result<(Vec<T>, Vec<Status>), Error> {
    let n = a.order()?;
    let mut out = zero_elements(a.len() * n * n)?;
    let mut status = zeros(a.len())?;
    inv_ex_into(a, &mut out, &mut status, opts)?;
    Ok((out, status))
}

/// Like [`inv_into`], but never fails for singular matrices: every matrix gets a
/// [`Status`] (LAPACK's `info` and the reciprocal condition number `rcond`), and failing
/// ones an all-NaN inverse. Only shape and layout errors are returned.
///
/// `info` is LAPACK's: LU's zero pivot (`getrf`) for general matrices, the first zero
/// diagonal entry (`trtri`) for triangular and diagonal ones, the order of the first
/// leading minor that is not positive definite (`potrf`) under
/// [`Structure::PositiveDefinite`]. `rcond` is computed from the matrix the structure
/// implies (a triangle and zeros, or a triangle and its mirror image).
///
/// ```
/// use matinv::{inv_ex_into, InvOptions, StackView, Status, Structure};
///
/// // A good matrix, a singular one, and a nearly singular one.
/// let a = [2.0f64, 0.0, 0.0, 4.0,   1.0, 2.0, 2.0, 4.0,   1.0, 1.0, 1.0, 1.0 + 1e-15];
/// let view = StackView::c_contiguous(&a, &[3, 2, 2])?;
/// let mut out = [0.0; 12];
/// let mut status = [Status::default(); 3];
/// inv_ex_into(&view, &mut out, &mut status, &InvOptions::default())?;
/// assert_eq!(status[0], Status::new(0, 0.5));
/// assert_eq!((status[1].info, status[1].rcond), (2, 0.0));
/// assert!(out[4..8].iter().all(|x| x.is_nan()));
/// assert!(status[2].rcond < 1e-14); // invertible, but the inverse is not to be trusted
///
/// // Diagonal matrices: the second one has a zero in column 2.
/// let a = [4.0f64, 0.0, 0.0, 0.5,   1.0, 0.0, 0.0, 0.0];
/// let view = StackView::c_contiguous(&a, &[2, 2, 2])?;
/// let mut x = [0.0; 8];
/// let mut status = [Status::default(); 2];
/// inv_ex_into(&view, &mut x, &mut status, &InvOptions::structured(Structure::Diagonal))?;
/// assert_eq!(x[..4], [0.25, 0.0, 0.0, 2.0]);
/// assert_eq!(status[0], Status::new(0, 0.125));
/// assert_eq!(status[1], Status::new(2, 0.0));
/// assert!(x[4..].iter().all(|v| v.is_nan()));
/// # Ok::<(), matinv::Error>(())
/// ```
pub fn inv_ex_into<T: Element>(
    a: &StackView<'_, T>,
    out: &mut [T],
    status: &mut [Status],
    opts: &InvOptions,
) -> Result<(), Error> {
    T::invert_stack(a, out, Some(status), opts.structure, &opts.params)
}
