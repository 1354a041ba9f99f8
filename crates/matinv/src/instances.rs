//! The drivers, compiled here, once for each element type.
//!
//! The public functions are generic over [`Element`]. Left at that, every crate calling
//! them (each test binary, the `matinv` command, the Python extension, each doctest)
//! would compile its own copy of every kernel and of faer's decompositions: minutes of
//! release-mode compilation per crate. So their bodies call the methods of [`Drivers`]
//! instead, implemented below for `f32`, `f64`, `c32` and `c64`: ordinary functions of
//! this crate, compiled with it, which other crates only link.

use crate::cond::{condition_numbers, Norm};
use crate::element::{c32, c64, Element};
use crate::in_place::invert_in_place;
use crate::inverse::{Request, Target};
use crate::layout::StackView;
use crate::params::Params;
use crate::structured::invert_stack;
use crate::svd::{run as svd_run, NonFinite, Vectors};
use crate::Error;

/// The drivers of one element type: a supertrait of [`Element`] that other crates cannot
/// name (this module is private), so the four types below are all there is.
pub trait Drivers: Sized {
    /// [`crate::invert`]: a request into an output ([`crate::structured::invert_stack`])
    /// or in place ([`crate::in_place::invert_in_place`]).
    fn invert(request: Request<'_, Self>) -> Result<(), Error>;

    /// [`crate::svd::run`].
    fn svd(
        a: &StackView<'_, Self>,
        s: &mut [<Self as Element>::Real],
        uv: Option<(&mut [Self], &mut [Self])>,
        vectors: Vectors,
        hermitian: bool,
        nonfinite: NonFinite,
        params: &Params,
    ) -> Result<(), Error>
    where
        Self: Element;

    /// [`crate::cond::condition_numbers`].
    fn cond(
        a: &StackView<'_, Self>,
        p: Norm,
        params: &Params,
    ) -> Result<Vec<<Self as Element>::Real>, Error>
    where
        Self: Element;
}

macro_rules! drivers {
    ($($t:ty),*) => {$(
        impl Drivers for $t {
            fn invert(request: Request<'_, Self>) -> Result<(), Error> {
                let Request { target, status, options } = request;
                let (structure, params) = (options.structure, &options.params);
                match target {
                    Target::Into { a, out } => invert_stack(a, out, status, structure, params),
                    Target::InPlace { data, shape } => {
                        invert_in_place(data, shape, status, structure, params)
                    }
                }
            }

            fn svd(
                a: &StackView<'_, Self>,
                s: &mut [<Self as Element>::Real],
                uv: Option<(&mut [Self], &mut [Self])>,
                vectors: Vectors,
                hermitian: bool,
                nonfinite: NonFinite,
                params: &Params,
            ) -> Result<(), Error> {
                svd_run(a, s, uv, vectors, hermitian, nonfinite, params)
            }

            fn cond(
                a: &StackView<'_, Self>,
                p: Norm,
                params: &Params,
            ) -> Result<Vec<<Self as Element>::Real>, Error> {
                condition_numbers(a, p, params)
            }
        }
    )*};
}

drivers!(f32, f64, c32, c64);
