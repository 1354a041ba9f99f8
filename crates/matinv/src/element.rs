//! Element types of stacks (`f32`, `f64`, `c32`, `c64`) and the arithmetic kernels run in.
//!
//! Like numpy, single precision is computed in double precision and rounded once at the end:
//! every kernel works in [`Field`] = `f64` or `c64` only.

use crate::double_double::{Cdd, Dd, DoubleDouble};
use crate::error::Error;
use crate::layout::StackView;
use crate::params::Params;
use crate::request::{InvOptions, NonFinite, Norm, Request, Vectors};
use crate::status::Status;
use core::fmt::Debug;
use core::ops::{Add, Mul, Neg, Sub};

/// Single-precision complex number.
#[allow(non_camel_case_types)]
pub type c32 = num_complex::Complex<f32>;
/// Double-precision complex number.
#[allow(non_camel_case_types)]
pub type c64 = num_complex::Complex<f64>;

/// Arithmetic the kernels compute in: `f64` or `c64`. Not part of the public API (this
/// module is private and `Field` is not re-exported): its supertrait is faer's
/// `ComplexField`, and faer's traits stay out of matinv's names, so that a faer release
/// is not a matinv one.
pub trait Field:
    Copy
    + Send
    + Sync
    + Debug
    + Default
    + PartialEq
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Neg<Output = Self>
    + faer::traits::ComplexField
    + Widened<Compute = Self, Real = f64>
{
    /// True for `f64`: the lane-parallel kernels take real matrices only.
    const REAL: bool;
    /// The double-double number of the same kind ([`Dd`] for `f64`, [`Cdd`] for `c64`),
    /// which [`crate::Precision::Extended`] computes in.
    type Wide: DoubleDouble;
    /// The double-double `hi + lo`, exact for `|lo|` at most half an ulp of `hi` (the
    /// split of a wider number; `lo = 0` for a plain value).
    fn widen(hi: Self, lo: Self) -> Self::Wide;
    /// `w` as `(hi, lo)`: `hi` is `w` rounded to this type, `lo` the rest.
    fn narrow(w: Self::Wide) -> (Self, Self);
    /// `w * s` for a power of two `s` (exact away from overflow and underflow).
    fn wide_scale(w: Self::Wide, s: f64) -> Self::Wide;
    /// `hi + lo` rounded to odd (each component: `hi` itself when exact or odd, else its
    /// neighbour towards `lo`), which a narrower type (24 bits, or 11) then rounds as
    /// the exact sum would round: one rounding, not two.
    fn round_to_odd(hi: Self, lo: Self) -> Self;
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// `|re| + |im|`: the magnitude LAPACK's `i?amax` uses to choose pivots.
    fn abs1(self) -> f64;
    /// `1 / self`, without the overflow of the textbook complex formula.
    fn pivot_recip(self) -> Self;
    /// The largest magnitude of a component: `max(|re|, |im|)` (never overflows).
    fn max_component(self) -> f64;
    /// `|self|` (the complex modulus, without overflow).
    fn modulus(self) -> f64;
    /// `self * s` for a real scale `s`.
    fn scale(self, s: f64) -> Self;
    /// The real part.
    fn re(self) -> f64;
    /// A value with real part `x` (and no imaginary part).
    fn from_re(x: f64) -> Self;
    /// `self / d` for a pivot `d`; exact division, used where `1/d` would overflow.
    fn pivot_div(self, d: Self) -> Self;
    /// The complex conjugate (the value itself for reals).
    fn conjugate(self) -> Self;
    /// True when neither component is NaN or infinite.
    fn finite(self) -> bool;
    /// True when a component is NaN.
    fn any_nan(self) -> bool;
    /// The imaginary part (0 for reals).
    fn im(self) -> f64;
    /// The value `re + i im` (`re` for reals, which have no imaginary part).
    fn from_parts(re: f64, im: f64) -> Self;
    /// Whether getf2 scales the multipliers of this pivot by its reciprocal: a component
    /// of magnitude at least the smallest normal double (so never for NaN).
    fn normal_pivot(self) -> bool;
    /// The reciprocal getf2 scales the multipliers by: `1 / x` for reals; for complex
    /// pivots OpenBLAS's `zgetf2` formula, `r = im/re`, `1 / (re (1 + r r))` (or the same
    /// with `re` and `im` exchanged when `|im| > |re|`), which rounds differently from
    /// [`Field::pivot_recip`].
    fn getf2_recip(self) -> Self;
    /// True for an exact zero (the only thing LAPACK calls a singular pivot).
    #[inline(always)]
    fn is_zero(self) -> bool {
        self == Self::ZERO
    }
}

impl Field for f64 {
    const REAL: bool = true;
    type Wide = Dd;
    #[inline(always)]
    fn widen(hi: Self, lo: Self) -> Dd {
        Dd::new(hi, lo)
    }
    #[inline(always)]
    fn narrow(w: Dd) -> (Self, Self) {
        (w.hi, w.lo)
    }
    #[inline(always)]
    fn wide_scale(w: Dd, s: f64) -> Dd {
        w.scale(s)
    }
    #[inline(always)]
    fn round_to_odd(hi: Self, lo: Self) -> Self {
        if lo == 0.0 || !hi.is_finite() || hi.to_bits() & 1 == 1 {
            return hi;
        }
        // One ulp towards lo: the magnitude up when they have the same sign, else down.
        let bits = hi.to_bits();
        f64::from_bits(if (lo > 0.0) == (hi > 0.0) {
            bits + 1
        } else {
            bits - 1
        })
    }
    #[inline(always)]
    fn im(self) -> f64 {
        0.0
    }
    #[inline(always)]
    fn from_parts(re: f64, _: f64) -> Self {
        re
    }
    #[inline(always)]
    fn normal_pivot(self) -> bool {
        self.abs() >= f64::MIN_POSITIVE
    }
    #[inline(always)]
    fn getf2_recip(self) -> Self {
        1.0 / self
    }
    #[inline(always)]
    fn conjugate(self) -> Self {
        self
    }
    #[inline(always)]
    fn finite(self) -> bool {
        f64::is_finite(self)
    }
    #[inline(always)]
    fn any_nan(self) -> bool {
        self.is_nan()
    }
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline(always)]
    fn abs1(self) -> f64 {
        self.abs()
    }
    #[inline(always)]
    fn pivot_recip(self) -> Self {
        1.0 / self
    }
    #[inline(always)]
    fn max_component(self) -> f64 {
        self.abs()
    }
    #[inline(always)]
    fn modulus(self) -> f64 {
        self.abs()
    }
    #[inline(always)]
    fn scale(self, s: f64) -> Self {
        self * s
    }
    #[inline(always)]
    fn re(self) -> f64 {
        self
    }
    #[inline(always)]
    fn from_re(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn pivot_div(self, d: Self) -> Self {
        self / d
    }
}

impl Field for c64 {
    type Wide = Cdd;
    #[inline(always)]
    fn widen(hi: Self, lo: Self) -> Cdd {
        Cdd {
            re: Dd::new(hi.re, lo.re),
            im: Dd::new(hi.im, lo.im),
        }
    }
    #[inline(always)]
    fn narrow(w: Cdd) -> (Self, Self) {
        (c64::new(w.re.hi, w.im.hi), c64::new(w.re.lo, w.im.lo))
    }
    #[inline(always)]
    fn wide_scale(w: Cdd, s: f64) -> Cdd {
        Cdd {
            re: w.re.scale(s),
            im: w.im.scale(s),
        }
    }
    #[inline(always)]
    fn round_to_odd(hi: Self, lo: Self) -> Self {
        c64::new(
            f64::round_to_odd(hi.re, lo.re),
            f64::round_to_odd(hi.im, lo.im),
        )
    }
    #[inline(always)]
    fn im(self) -> f64 {
        self.im
    }
    #[inline(always)]
    fn from_parts(re: f64, im: f64) -> Self {
        c64::new(re, im)
    }
    #[inline(always)]
    fn normal_pivot(self) -> bool {
        self.re.abs() >= f64::MIN_POSITIVE || self.im.abs() >= f64::MIN_POSITIVE
    }
    #[inline(always)]
    fn getf2_recip(self) -> Self {
        // Written as zgetf2_k.c evaluates it (a NaN component takes the second branch).
        if self.re.abs() >= self.im.abs() {
            let ratio = self.im / self.re;
            let den = 1.0 / (self.re * (1.0 + ratio * ratio));
            c64::new(den, -ratio * den)
        } else {
            let ratio = self.re / self.im;
            let den = 1.0 / (self.im * (1.0 + ratio * ratio));
            c64::new(ratio * den, -den)
        }
    }
    #[inline(always)]
    fn conjugate(self) -> Self {
        num_complex::Complex::conj(&self)
    }
    #[inline(always)]
    fn finite(self) -> bool {
        self.re.is_finite() && self.im.is_finite()
    }
    #[inline(always)]
    fn any_nan(self) -> bool {
        self.re.is_nan() || self.im.is_nan()
    }
    const REAL: bool = false;
    const ZERO: Self = c64::new(0.0, 0.0);
    const ONE: Self = c64::new(1.0, 0.0);
    #[inline(always)]
    fn abs1(self) -> f64 {
        self.re.abs() + self.im.abs()
    }
    #[inline(always)]
    fn pivot_recip(self) -> Self {
        c64::ONE.pivot_div(self)
    }
    #[inline(always)]
    fn max_component(self) -> f64 {
        self.re.abs().max(self.im.abs())
    }
    #[inline(always)]
    fn modulus(self) -> f64 {
        self.re.hypot(self.im)
    }
    #[inline(always)]
    fn scale(self, s: f64) -> Self {
        c64::new(self.re * s, self.im * s)
    }
    #[inline(always)]
    fn re(self) -> f64 {
        self.re
    }
    #[inline(always)]
    fn from_re(x: f64) -> Self {
        c64::new(x, 0.0)
    }
    /// Smith's algorithm: scales by the larger component so that nothing overflows
    /// or underflows unless the quotient itself does.
    #[inline(always)]
    fn pivot_div(self, d: Self) -> Self {
        if d.re.abs() >= d.im.abs() {
            let r = d.im / d.re;
            let den = d.re + d.im * r;
            c64::new((self.re + self.im * r) / den, (self.im - self.re * r) / den)
        } else {
            let r = d.re / d.im;
            let den = d.re * r + d.im;
            c64::new((self.re * r + self.im) / den, (self.im * r - self.re) / den)
        }
    }
}

/// The drivers of one element type, implemented in `instances.rs` (where they are compiled
/// once per type): a supertrait of [`Element`] that other crates cannot name (`element` is
/// a private module, `Drivers` not re-exported), so the four element types are all there
/// is. Declared here, with the element types, so that they depend on no driver: its
/// signatures hold only plain data (`request.rs`, `layout.rs`, `params.rs`).
pub trait Drivers: Sized {
    /// `invert`: a request into an output (`structured::invert_stack`)
    /// or in place (`in_place::invert_in_place`).
    fn invert(request: Request<'_, Self>) -> Result<(), Error>;

    /// `extended::invert_stack` of the pairs `hi + lo` (`crate::invert_pairs`).
    fn invert_pairs(
        hi: &StackView<'_, Self>,
        lo: &StackView<'_, Self>,
        out_hi: &mut [Self],
        out_lo: &mut [Self],
        status: Option<&mut [Status]>,
        options: &InvOptions,
    ) -> Result<(), Error>;

    /// `svd::run`.
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

    /// `lu::factor_elements`.
    fn lu_in_place(
        a: &mut [Self],
        rows: usize,
        cols: usize,
        perm: &mut [usize],
        params: &Params,
    ) -> Result<usize, Error>;

    /// `cond::condition_numbers`.
    fn cond(
        a: &StackView<'_, Self>,
        p: Norm,
        params: &Params,
    ) -> Result<Vec<<Self as Element>::Real>, Error>
    where
        Self: Element;
}

/// A type a stack may hold: `f32`, `f64`, `c32` or `c64`.
///
/// Sealed (its supertrait [`Drivers`] cannot be named outside the crate) and free of
/// any type of matinv's dependencies: what the kernels compute in is [`Widened`], which
/// this crate does not export, so a faer release never changes what `T: Element` offers:
///
/// ```
/// fn real_of<T: matinv::Element>(_: T) -> Option<T::Real> {
///     None
/// }
/// assert_eq!(real_of(matinv::c32::new(1.0, 2.0)), None::<f32>);
/// ```
///
/// ```compile_fail
/// // The compute type (and with it faer's `ComplexField`) is not reachable.
/// fn compute_of<T: matinv::Element>(_: T) -> Option<T::Compute> {
///     None
/// }
/// ```
pub trait Element: Copy + Default + Send + Sync + Debug + 'static + Drivers {
    /// The real type of the same precision (`f32` for `c32`): singular values and
    /// condition numbers come out in it, as in numpy.
    type Real: Element + PartialOrd;
    /// numpy's name of this dtype.
    const DTYPE: &'static str;
}

/// An [`Element`] with the type the kernels compute it in: the bound of every generic
/// kernel and driver. Not exported (this module is private): reached from the public
/// functions only through [`Drivers`], whose implementations (`instances.rs`) name the
/// four concrete types.
pub trait Widened: Element {
    /// The type the kernels compute in for this element.
    type Compute: Field;
    /// Widen to the compute type (exact).
    fn to_compute(self) -> Self::Compute;
    /// Round back from the compute type.
    fn from_compute(value: Self::Compute) -> Self;
    /// The slice itself when `Self` is its own compute type, so results can be written
    /// in place without a rounding pass.
    fn as_compute_mut(slice: &mut [Self]) -> Option<&mut [Self::Compute]>;
    /// A double rounded to [`Element::Real`] (singular values, condition numbers).
    fn real_from_f64(x: f64) -> Self::Real;
    /// An [`Element::Real`] widened to a double (exact).
    fn real_to_f64(x: Self::Real) -> f64;
}

/// [`Widened`] for the double precision types, which the kernels compute in as they are:
/// every conversion is the identity, and the real type is `f64`.
macro_rules! computed_as_itself {
    ($t:ty) => {
        impl Widened for $t {
            type Compute = $t;
            #[inline(always)]
            fn to_compute(self) -> $t {
                self
            }
            #[inline(always)]
            fn from_compute(value: $t) -> Self {
                value
            }
            fn as_compute_mut(slice: &mut [Self]) -> Option<&mut [$t]> {
                Some(slice)
            }
            #[inline(always)]
            fn real_from_f64(x: f64) -> f64 {
                x
            }
            #[inline(always)]
            fn real_to_f64(x: f64) -> f64 {
                x
            }
        }
    };
}

impl Element for f64 {
    type Real = f64;
    const DTYPE: &'static str = "float64";
}

computed_as_itself!(f64);

impl Element for f32 {
    type Real = f32;
    const DTYPE: &'static str = "float32";
}

impl Widened for f32 {
    type Compute = f64;
    #[inline(always)]
    fn to_compute(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn from_compute(value: f64) -> Self {
        value as f32
    }
    fn as_compute_mut(_: &mut [Self]) -> Option<&mut [f64]> {
        None
    }
    #[inline(always)]
    fn real_from_f64(x: f64) -> f32 {
        x as f32
    }
    #[inline(always)]
    fn real_to_f64(x: f32) -> f64 {
        x as f64
    }
}

impl Element for c64 {
    type Real = f64;
    const DTYPE: &'static str = "complex128";
}

computed_as_itself!(c64);

impl Element for c32 {
    type Real = f32;
    const DTYPE: &'static str = "complex64";
}

impl Widened for c32 {
    type Compute = c64;
    #[inline(always)]
    fn to_compute(self) -> c64 {
        c64::new(self.re as f64, self.im as f64)
    }
    #[inline(always)]
    fn from_compute(value: c64) -> Self {
        c32::new(value.re as f32, value.im as f32)
    }
    fn as_compute_mut(_: &mut [Self]) -> Option<&mut [c64]> {
        None
    }
    #[inline(always)]
    fn real_from_f64(x: f64) -> f32 {
        x as f32
    }
    #[inline(always)]
    fn real_to_f64(x: f32) -> f64 {
        x as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complex_division_survives_extreme_scales() {
        for &s in &[1e-300, 1e-150, 1.0, 1e150, 1e300] {
            let d = c64::new(3.0 * s, -4.0 * s);
            let q = c64::ONE.pivot_div(d);
            // 1/(3-4i) = (3+4i)/25
            let expect = c64::new(3.0 / 25.0 / s, 4.0 / 25.0 / s);
            assert!(((q - expect).norm() / expect.norm()) < 1e-15, "{s}: {q}");
        }
    }

    #[test]
    fn abs1_is_lapack_pivot_measure() {
        assert_eq!(c64::new(-3.0, 4.0).abs1(), 7.0);
        assert_eq!((-2.5f64).abs1(), 2.5);
    }
}
