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
//! Every inversion is one [`Request`], run by [`invert`]: the matrices (read from a view
//! into an output buffer, or inverted in their own memory), a [`Status`] per matrix or
//! not, and an [`InvOptions`] value (the [`Structure`] of the matrices, scipy's
//! `assume_a`, and tuning [`Params`]). [`inv`], [`inv_with`], [`inv_ex`] and
//! [`inv_in_place`] are conveniences over it.
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

// The unit tests share `tests/common` with the integration tests, which name the crate.
#[cfg(test)]
extern crate self as matinv;

mod alloc;
mod cond;
mod crew;
mod double_double;
mod driver;
mod element;
mod error;
mod extended;
mod fork;
mod general;
mod in_place;
mod instances;
mod inverse;
mod kernels;
mod layout;
mod lu;
mod params;
mod plan;
mod request;
mod scaling;
mod simd;
mod status;
mod structured;
mod svd;
mod threads;
mod tiling;

pub use cond::{cond, cond_with};
pub use element::{c32, c64, Element};
pub use error::Error;
pub use fork::register as watch_forks;
pub use inverse::{inv, inv_ex, inv_in_place, inv_with, invert, invert_pairs};
pub use layout::{c_strides, matrix_dims, stack_dims, StackView};
pub use lu::lu_in_place;
pub use params::{KernelParams, Params, ThreadParams};
pub use request::{InvOptions, Norm, Precision, Request, Structure, Vectors};
pub use simd::instruction_set;
pub use status::Status;
pub use svd::{factor_shapes, svd, svd_into, svdvals, Svd};
pub use threads::default_num_threads;

/// The examples of `docs/rust.md`, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/rust.md")]
struct RustGuide;
