//! The public inverse: one request type, [`Request`], run by [`invert`]. A request
//! carries everything a call can ask: the matrices (a strided view read into an output
//! buffer, or a C-contiguous stack inverted in its own memory), whether every matrix gets
//! a [`Status`] instead of the first failure stopping the call, and the [`InvOptions`]
//! (structure and tuning parameters). [`inv`], [`inv_with`], [`inv_ex`] and
//! [`inv_in_place`] are thin conveniences over it.

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

/// One inversion: which matrices, where their inverses go, whether every matrix gets a
/// [`Status`], and how to invert them ([`InvOptions`]). Run it with [`invert`].
///
/// ```
/// use matinv::{invert, InvOptions, Request, StackView, Status, Structure};
///
/// // Into the caller's buffer, a stack read through negative strides.
/// let data = [2.0f32, 0.0, 0.0, 4.0, 1.0, 1.0, 0.0, 1.0];
/// let view = StackView::new(&data, &[2, 2, 2], &[4, -2, -1], 3)?;
/// let mut out = [0.0f32; 8];
/// invert(Request::new(&view, &mut out))?;
/// assert_eq!(out, [0.25, 0.0, 0.0, 0.5, 1.0, 0.0, -1.0, 1.0]);
///
/// // In place, with a status per matrix: the second one is singular.
/// let mut a = [4.0f64, 0.0, 0.0, 0.5, 1.0, 2.0, 2.0, 4.0];
/// let mut status = [Status::default(); 2];
/// invert(Request::in_place(&mut a, &[2, 2, 2]).with_status(&mut status))?;
/// assert_eq!(a[..4], [0.25, 0.0, 0.0, 2.0]);
/// assert_eq!(status, [Status::new(0, 0.125), Status::new(2, 0.0)]);
/// assert!(a[4..].iter().all(|x| x.is_nan()));
///
/// // Upper triangular: the strictly lower part is not read (here it holds junk).
/// let a = [2.0f64, 1.0, 99.0, 4.0];
/// let view = StackView::c_contiguous(&a, &[2, 2])?;
/// let mut x = [0.0; 4];
/// let upper = InvOptions::structured(Structure::UpperTriangular);
/// invert(Request::new(&view, &mut x).with_options(upper))?;
/// assert_eq!(x, [0.5, -0.125, 0.0, 0.25]);
/// # Ok::<(), matinv::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "a request does nothing until `matinv::invert` runs it"]
pub struct Request<'r, T> {
    pub(crate) target: Target<'r, T>,
    pub(crate) status: Option<&'r mut [Status]>,
    pub(crate) options: InvOptions,
}

/// Where a request's matrices are and where their inverses go.
#[derive(Debug)]
pub(crate) enum Target<'r, T> {
    /// Read `a`, write the C-contiguous `out` (`a.len() * n * n` elements).
    Into {
        a: &'r StackView<'r, T>,
        out: &'r mut [T],
    },
    /// The C-contiguous stack `data` of shape `shape`, inverted in its own memory
    /// (scipy's `overwrite_a`).
    InPlace {
        data: &'r mut [T],
        shape: &'r [usize],
    },
}

impl<'r, T> Request<'r, T> {
    /// Invert every matrix of `a` into `out`, a C-contiguous buffer of `a.len() * n * n`
    /// elements (the layout numpy gives a fresh array of `a`'s shape); default options,
    /// the first failing matrix an error.
    pub fn new(a: &'r StackView<'r, T>, out: &'r mut [T]) -> Self {
        Self {
            target: Target::Into { a, out },
            status: None,
            options: InvOptions::default(),
        }
    }

    /// Invert every matrix of the C-contiguous stack `data` of shape `shape` in its own
    /// memory, so that a large matrix needs no second buffer of its size. The results
    /// are those of [`Request::new`], bit for bit.
    ///
    /// On an error, the matrices before the one reported hold their inverses, and that
    /// one and some of the following may hold intermediate values: `data` is to be
    /// discarded.
    pub fn in_place(data: &'r mut [T], shape: &'r [usize]) -> Self {
        Self {
            target: Target::InPlace { data, shape },
            status: None,
            options: InvOptions::default(),
        }
    }

    /// Never fail for singular matrices: every matrix gets its [`Status`] in `status`
    /// (one per matrix: LAPACK's `info` and the reciprocal condition number `rcond`),
    /// and failing ones an all-NaN inverse. Only shape and layout errors are returned.
    ///
    /// `info` is LAPACK's: LU's zero pivot (`getrf`) for general matrices, the first zero
    /// diagonal entry (`trtri`) for triangular and diagonal ones, the order of the first
    /// leading minor that is not positive definite (`potrf`) under
    /// [`Structure::PositiveDefinite`]. `rcond` is computed from the matrix the structure
    /// implies (a triangle and zeros, or a triangle and its mirror image).
    pub fn with_status(mut self, status: &'r mut [Status]) -> Self {
        self.status = Some(status);
        self
    }

    /// Invert with these options (structure, tuning parameters).
    pub fn with_options(mut self, options: InvOptions) -> Self {
        self.options = options;
        self
    }
}

/// Runs an inverse [`Request`].
///
/// Without a status buffer, singular matrices give [`Error::Singular`] (an exact zero on a
/// triangular or diagonal matrix's diagonal, or LU's zero pivot) and a matrix that is not
/// positive definite under [`Structure::PositiveDefinite`] gives
/// [`Error::NotPositiveDefinite`]; both name the first such matrix found. Buffers of the
/// wrong length give [`Error::OutputLength`].
///
/// ```
/// use matinv::{invert, InvOptions, Request, StackView, Structure};
///
/// // Not positive definite: Cholesky fails at the leading minor of order 2.
/// let a = [1.0f64, 2.0, 2.0, 1.0];
/// let view = StackView::c_contiguous(&a, &[2, 2])?;
/// let mut x = [0.0; 4];
/// let pos = InvOptions::structured(Structure::PositiveDefinite { lower: false });
/// let err = invert(Request::new(&view, &mut x).with_options(pos));
/// assert_eq!(err, Err(matinv::Error::NotPositiveDefinite { matrix: 0, minor: 2 }));
/// # Ok::<(), matinv::Error>(())
/// ```
pub fn invert<T: Element>(request: Request<'_, T>) -> Result<(), Error> {
    T::invert(request)
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
    invert(Request::new(a, &mut out).with_options(*opts))?;
    Ok(out)
}

/// Like [`inv_with`], with a [`Status`] per matrix instead of an error for singular ones
/// ([`Request::with_status`]).
///
/// ```
/// use matinv::{inv_ex, InvOptions, StackView};
///
/// // A good matrix, a singular one, and a nearly singular one.
/// let a = [2.0f64, 0.0, 0.0, 4.0,   1.0, 2.0, 2.0, 4.0,   1.0, 1.0, 1.0, 1.0 + 1e-15];
/// let (x, status) = inv_ex(&StackView::c_contiguous(&a, &[3, 2, 2])?, &InvOptions::default())?;
/// assert_eq!(status[0], matinv::Status::new(0, 0.5));
/// assert_eq!((status[1].info, status[1].rcond), (2, 0.0));
/// assert!(x[4..8].iter().all(|v| v.is_nan()));
/// assert!(status[2].rcond < 1e-14); // invertible, but the inverse is not to be trusted
/// # Ok::<(), matinv::Error>(())
/// ```
pub fn inv_ex<T: Element>(
    a: &StackView<'_, T>,
    opts: &InvOptions,
) -> Result<(Vec<T>, Vec<Status>), Error> {
    let n = a.order()?;
    let mut out = zero_elements(a.len() * n * n)?;
    let mut status = zeros(a.len())?;
    invert(
        Request::new(a, &mut out)
            .with_status(&mut status)
            .with_options(*opts),
    )?;
    Ok((out, status))
}

/// Inverts every matrix of the C-contiguous stack `data` of shape `shape` in place
/// ([`Request::in_place`]); the first failing matrix is an error, after which `data` is
/// to be discarded.
///
/// ```
/// use matinv::{inv_in_place, InvOptions};
///
/// let mut a = [2.0f64, 0.0, 0.0, 4.0, 1.0, 1.0, 0.0, 1.0];
/// inv_in_place(&mut a, &[2, 2, 2], &InvOptions::default())?;
/// assert_eq!(a, [0.5, 0.0, 0.0, 0.25, 1.0, -1.0, 0.0, 1.0]);
/// # Ok::<(), matinv::Error>(())
/// ```
pub fn inv_in_place<T: Element>(
    data: &mut [T],
    shape: &[usize],
    opts: &InvOptions,
) -> Result<(), Error> {
    invert(Request::in_place(data, shape).with_options(*opts))
}
