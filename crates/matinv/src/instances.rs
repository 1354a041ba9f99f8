//! The drivers, compiled here, once for each element type: the implementations of
//! [`Drivers`] (declared with [`Element`], at the bottom, so that the element types do
//! not depend on the drivers; this is the one module that names them both).
//!
//! The public functions are generic over [`Element`]. Left at that, every crate calling
//! them (each test binary, the `matinv` command, the Python extension, each doctest)
//! would compile its own copy of every kernel and of faer's decompositions: minutes of
//! release-mode compilation per crate. So their bodies call the methods of [`Drivers`]
//! instead, implemented below for `f32`, `f64`, `c32` and `c64`: ordinary functions of
//! this crate, compiled with it, which other crates only link.

use crate::cond::condition_numbers;
use crate::element::{c32, c64, Drivers, Element};
use crate::extended;
use crate::in_place::invert_in_place;
use crate::layout::StackView;
use crate::lu::factor_elements;
use crate::params::Params;
use crate::request::{InvOptions, NonFinite, Norm, Precision, Request, Target, Vectors};
use crate::status::Status;
use crate::structured::invert_stack;
use crate::svd::run as svd_run;
use crate::Error;

macro_rules! drivers {
    ($($t:ty),*) => {$(
        impl Drivers for $t {
            fn invert(request: Request<'_, Self>) -> Result<(), Error> {
                let Request { target, status, options } = request;
                let (structure, params) = (options.structure, &options.params);
                match (target, options.precision) {
                    (Target::Into { a, out }, Precision::Working) => {
                        invert_stack(a, out, status, structure, params)
                    }
                    (Target::Into { a, out }, _) => {
                        extended::invert_stack(a, None, out, None, status, structure, params)
                    }
                    (Target::InPlace { data, shape }, _) => {
                        invert_in_place(data, shape, status, &options)
                    }
                }
            }

            fn invert_pairs(
                hi: &StackView<'_, Self>,
                lo: &StackView<'_, Self>,
                out_hi: &mut [Self],
                out_lo: &mut [Self],
                status: Option<&mut [Status]>,
                options: &InvOptions,
            ) -> Result<(), Error> {
                let (structure, params) = (options.structure, &options.params);
                extended::invert_stack(hi, Some(lo), out_hi, Some(out_lo), status, structure, params)
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

            fn lu_in_place(
                a: &mut [Self],
                rows: usize,
                cols: usize,
                perm: &mut [usize],
                params: &Params,
            ) -> Result<usize, Error> {
                factor_elements(a, rows, cols, perm, params)
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
