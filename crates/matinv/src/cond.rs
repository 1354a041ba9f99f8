//! Condition numbers with `numpy.linalg.cond`'s contract: `||A|| ||inv(A)||` in the chosen
//! norm, or `s_max / s_min` from the SVD for the 2-norm (any shape), `inf` for singular
//! matrices, computed in double precision and returned in the input's real precision.

use crate::alloc::zeros;
use crate::element::{Element, Field, Widened};
use crate::general::invert_stack;
use crate::layout::StackView;
use crate::params::Params;
use crate::request::{NonFinite, Norm, Vectors};
use crate::status::Status;
use crate::svd::run as svd_run;
use crate::Error;

/// The condition number of every matrix of `a` in norm `p` (numpy's `cond(a, p)`).
///
/// - `Two`/`MinusTwo` take any shape, through the singular values; the others need
///   square matrices and invert them (an exactly singular matrix gives `inf`).
/// - A matrix holding NaN gives NaN (numpy's documented intent; its LAPACK raises
///   "SVD did not converge" for the 2-norms instead).
/// - Matrices with no element fail with [`Error::EmptyCond`], as in numpy.
///
/// ```
/// use matinv::{cond, Norm, StackView};
///
/// let a = [1.0f64, 0.0, -1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0];
/// let v = StackView::c_contiguous(&a, &[3, 3])?;
/// assert!((cond(&v, Norm::Two)?[0] - 2f64.sqrt()).abs() < 1e-15);
/// assert_eq!(cond(&v, Norm::One)?, [2.0]);
/// let singular = [1.0f32, 2.0, 2.0, 4.0];
/// assert_eq!(cond(&StackView::c_contiguous(&singular, &[2, 2])?, Norm::Inf)?, [f32::INFINITY]);
/// # Ok::<(), matinv::Error>(())
/// ```
pub fn cond<T: Element>(a: &StackView<'_, T>, p: Norm) -> Result<Vec<T::Real>, Error> {
    cond_with(a, p, &Params::default())
}

/// Like [`cond`], with explicit tuning parameters (threads).
pub fn cond_with<T: Element>(
    a: &StackView<'_, T>,
    p: Norm,
    params: &Params,
) -> Result<Vec<T::Real>, Error> {
    T::cond(a, p, params)
}

/// [`cond_with`]'s body, compiled for each element type in [`crate::instances`].
pub(crate) fn condition_numbers<T: Widened>(
    a: &StackView<'_, T>,
    p: Norm,
    params: &Params,
) -> Result<Vec<T::Real>, Error> {
    let (count, m, n) = (a.len(), a.rows(), a.cols());
    if m == 0 || n == 0 {
        return Err(Error::EmptyCond);
    }
    let mut r: Vec<f64> = zeros(count)?;
    match p {
        Norm::Two | Norm::MinusTwo => {
            let k = m.min(n);
            let mut s: Vec<T::Real> = zeros(count.checked_mul(k).ok_or(Error::TooLarge)?)?;
            singular_values(a, &mut s, params)?;
            for (r, s) in r.iter_mut().zip(s.chunks_exact(k)) {
                let (big, small) = (T::real_to_f64(s[0]), T::real_to_f64(s[k - 1]));
                *r = if p == Norm::Two {
                    big / small
                } else {
                    small / big
                };
            }
        }
        _ => {
            a.order()?;
            // numpy inverts in double precision even for single-precision input: so do we,
            // on a double-precision copy (singular matrices come back as NaN).
            let len = count * n * n;
            let mut x: Vec<T::Compute> = zeros(len)?;
            for (dst, mat) in x.chunks_exact_mut(n * n).zip(a.matrices(0)) {
                for i in 0..n {
                    for j in 0..n {
                        // SAFETY: i, j < n.
                        dst[i * n + j] = unsafe { mat.get(i, j) }.to_compute();
                    }
                }
            }
            let copy = StackView::c_contiguous(&x, &a.shape())?;
            let mut inv: Vec<T::Compute> = zeros(len)?;
            let mut status: Vec<Status> = zeros(count)?;
            invert_stack(&copy, &mut inv, Some(&mut status), params)?;
            for ((r, a), x) in r
                .iter_mut()
                .zip(x.chunks_exact(n * n))
                .zip(inv.chunks_exact(n * n))
            {
                *r = norm(a, n, p, params)? * norm(x, n, p, params)?;
            }
        }
    }
    // numpy's rule: NaN stays NaN where the input holds NaN, and means inf (a singular
    // matrix, or 0/0 from the singular values) everywhere else.
    let has_nan = |k: usize| {
        a.matrices(k).next().is_some_and(|mat| {
            // SAFETY: i < m, j < n.
            (0..m).any(|i| (0..n).any(|j| unsafe { mat.get(i, j) }.to_compute().any_nan()))
        })
    };
    let mut out = Vec::new();
    out.try_reserve_exact(count).map_err(|_| Error::TooLarge)?;
    out.extend(r.iter().enumerate().map(|(k, &r)| {
        let r = if r.is_nan() && !has_nan(k) {
            f64::INFINITY
        } else {
            r
        };
        T::real_from_f64(r)
    }));
    Ok(out)
}

/// The singular values of every matrix of `a` into `s`, without vectors (NaN for a
/// matrix with a non-finite entry): what the condition numbers built on the SVD read.
fn singular_values<T: Widened>(
    a: &StackView<'_, T>,
    s: &mut [T::Real],
    params: &Params,
) -> Result<(), Error> {
    svd_run(a, s, None, Vectors::None, false, NonFinite::Nan, params)
}

/// Norm `p` (not a 2-norm) of the row-major `n x n` matrix `a`.
fn norm<F: Field>(a: &[F], n: usize, p: Norm, params: &Params) -> Result<f64, Error> {
    let row = |i: usize| {
        a[i * n..(i + 1) * n]
            .iter()
            .map(|x| x.modulus())
            .sum::<f64>()
    };
    let col = |j: usize| (0..n).map(|i| a[i * n + j].modulus()).sum::<f64>();
    let fold = |it: &mut dyn Iterator<Item = f64>, max: bool| {
        it.fold(
            if max {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            },
            |acc, x| {
                // NaN propagates, as numpy's max/min do.
                if x.is_nan() || acc.is_nan() {
                    f64::NAN
                } else if max {
                    acc.max(x)
                } else {
                    acc.min(x)
                }
            },
        )
    };
    Ok(match p {
        Norm::One => fold(&mut (0..n).map(col), true),
        Norm::MinusOne => fold(&mut (0..n).map(col), false),
        Norm::Inf => fold(&mut (0..n).map(row), true),
        Norm::MinusInf => fold(&mut (0..n).map(row), false),
        Norm::Fro => a
            .iter()
            .map(|x| x.modulus() * x.modulus())
            .sum::<f64>()
            .sqrt(),
        Norm::Nuc => {
            if a.iter().any(|x| !x.finite()) {
                return Ok(f64::NAN);
            }
            let view = StackView::c_contiguous(a, &[n, n])?;
            let mut s: Vec<f64> = zeros(n)?;
            singular_values(&view, &mut s, params)?;
            s.iter().sum()
        }
        Norm::Two | Norm::MinusTwo => unreachable!("2-norms go through the SVD"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::c32;

    #[test]
    fn numpy_rules_for_singular_nan_and_shapes() {
        // [A (cond_1 = 4 * 1), singular, NaN]
        let a = [
            2.0,
            0.0,
            0.0,
            0.5,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            f64::NAN,
            0.0,
            1.0,
        ];
        let v = StackView::c_contiguous(&a, &[3, 2, 2]).unwrap();
        for (p, want) in [
            (Norm::One, 4.0),
            (Norm::Inf, 4.0),
            (Norm::Fro, 4.25),
            (Norm::Nuc, 6.25),
            (Norm::Two, 4.0),
        ] {
            let c = cond(&v, p).unwrap();
            assert!((c[0] - want).abs() < 1e-14 * want, "{p:?}: {}", c[0]);
            assert_eq!(c[1], f64::INFINITY, "{p:?}");
            assert!(c[2].is_nan(), "{p:?}");
        }
        let r = cond(&v, Norm::MinusTwo).unwrap();
        assert!((r[0] - 0.25).abs() < 1e-16 && r[1] < 1e-15);
        // 2-norms take rectangular matrices; the others need square ones.
        let z = c32::new(0.0, 0.0);
        let rect = [c32::new(3.0, 0.0), z, z, z, c32::new(0.0, 1.5), z];
        let w = StackView::c_contiguous(&rect, &[2, 3]).unwrap();
        assert_eq!(cond(&w, Norm::Two).unwrap(), [2.0f32]);
        assert_eq!(cond(&w, Norm::One), Err(Error::NotSquare));
        let none: [f64; 0] = [];
        let e = StackView::c_contiguous(&none, &[2, 0, 0]).unwrap();
        assert_eq!(cond(&e, Norm::Two), Err(Error::EmptyCond));
        assert_eq!("max".parse::<Norm>(), Err(Error::InvalidNorm));
    }
}
