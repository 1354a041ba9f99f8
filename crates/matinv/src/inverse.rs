//! The public inverse: one request type, [`Request`], run by [`invert`]. A request
//! carries everything a call can ask: the matrices (a strided view read into an output
//! buffer, or a C-contiguous stack inverted in its own memory), whether every matrix gets
//! a [`Status`] instead of the first failure stopping the call, and the [`InvOptions`]
//! (structure and tuning parameters). [`inv`], [`inv_with`], [`inv_ex`] and
//! [`inv_in_place`] are thin conveniences over it.

use crate::alloc::zeros;
use crate::element::Element;
use crate::layout::StackView;
use crate::request::{InvOptions, Request};
use crate::status::Status;
use crate::Error;
#[cfg(doc)]
use crate::{Params, Precision, Structure};

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
    let mut out = zeros(a.len() * n * n)?;
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
    let mut out = zeros(a.len() * n * n)?;
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

/// Inverts matrices given as pairs of stacks whose sums are the matrices (`hi + lo`, with
/// `|lo|` at most half an ulp of `hi`: an 80-bit `long double` split exactly into two
/// `f64`), in double-double arithmetic ([`Precision::Extended`], whatever `options` says):
/// `out_hi` gets each inverse rounded to `T`, `out_lo` the rest, both C-contiguous. The
/// errors and statuses of [`invert`].
///
/// ```
/// use matinv::{invert_pairs, InvOptions, StackView};
///
/// // 3 + 2^-60, whose inverse is 1/3 - 2^-60/9 + ...: the pair keeps what f64 drops.
/// let (hi, lo) = ([3.0f64], [2f64.powi(-60)]);
/// let (hi, lo) = (StackView::c_contiguous(&hi, &[1, 1])?, StackView::c_contiguous(&lo, &[1, 1])?);
/// let (mut x, mut x_lo) = ([0.0f64], [0.0f64]);
/// invert_pairs(&hi, &lo, &mut x, &mut x_lo, None, &InvOptions::default())?;
/// assert_eq!(x[0], 1.0 / 3.0);
/// // 1/3 - x (exact through the fused multiply-add), less 2^-60/9, to double-double's
/// // precision (about 2^-104 of the inverse).
/// let want_lo = (-3.0f64).mul_add(x[0], 1.0) / 3.0 - 2f64.powi(-60) / 9.0;
/// assert!((x_lo[0] - want_lo).abs() <= 1e-32);
/// # Ok::<(), matinv::Error>(())
/// ```
pub fn invert_pairs<T: Element>(
    hi: &StackView<'_, T>,
    lo: &StackView<'_, T>,
    out_hi: &mut [T],
    out_lo: &mut [T],
    status: Option<&mut [Status]>,
    options: &InvOptions,
) -> Result<(), Error> {
    T::invert_pairs(hi, lo, out_hi, out_lo, status, options)
}
