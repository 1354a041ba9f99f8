//! Double-double arithmetic (crate-private: `pub` only because the private `Field` names
//! it, as `Field` itself is): a number is an unevaluated sum `hi + lo` of two doubles with
//! `|lo|` at most half an ulp of `hi`, about 106 significant bits (Dekker; Hida, Li and
//! Bailey's "accurate" addition, which keeps its relative error near 2^-104 under
//! cancellation, as elimination needs).
//!
//! Written here rather than taken from faer's `fx128` (the `qd` crate): faer 0.24's matrix
//! product panics for it outside faer's own tests (`linalg/matmul/mod.rs`: a `panic!()`
//! for SIMD types that are not native floats), so its LU and inverses cannot run on it;
//! and these operations, plain and `#[inline(always)]`, are what the kernel needs to be
//! vectorised by LLVM in each instruction set's copy (`crate::simd`).

use core::fmt::Debug;

/// The operations the double-double kernels need, real ([`Dd`]) or complex ([`Cdd`]).
pub trait DoubleDouble: Copy + Send + Sync + Debug + PartialEq + 'static {
    /// Zero.
    const ZERO: Self;
    /// One.
    const ONE: Self;
    /// `self + other`.
    fn add(self, other: Self) -> Self;
    /// `self - other`.
    fn sub(self, other: Self) -> Self;
    /// `self * other`.
    fn mul(self, other: Self) -> Self;
    /// `1 / self`.
    fn recip(self) -> Self;
    /// `|re| + |im|` of the high parts: the magnitude pivots are chosen by (LAPACK's).
    fn magnitude(self) -> f64;
    /// True for an exact zero.
    fn is_zero(self) -> bool;
    /// True when the real part is positive and finite (a Cholesky pivot).
    fn positive_real(self) -> bool;
    /// `self * r` for scaling a pivot row by the pivot's reciprocal: zeros stay zeros
    /// (even for an infinite `r`), and a product beyond double's range is the product of
    /// the high parts (infinite, as double arithmetic gives it), not the NaN that the
    /// error terms of an infinity make.
    #[inline(always)]
    fn scale_by(self, r: Self) -> Self {
        if self.is_zero() {
            return self;
        }
        let m = self.mul(r);
        if m.magnitude().is_finite() {
            m
        } else {
            self.high_product(r)
        }
    }
    /// The product of the high parts, in double arithmetic.
    fn high_product(self, other: Self) -> Self;
}

/// A real double-double number `hi + lo`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Dd {
    /// The value rounded to a double.
    pub(crate) hi: f64,
    /// The rest.
    pub(crate) lo: f64,
}

/// `a + b` exactly, as `(sum, error)` (Knuth's TwoSum).
#[inline(always)]
pub(crate) fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// `a + b` exactly for `|a| >= |b|` (Dekker's Fast2Sum).
#[inline(always)]
fn fast_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

impl Dd {
    /// `hi + lo`, normalized (for `|hi| >= |lo|`); a non-finite `hi + lo` keeps `lo = 0`.
    #[inline(always)]
    pub(crate) fn new(hi: f64, lo: f64) -> Self {
        let (s, e) = fast_two_sum(hi, lo);
        if s.is_finite() {
            Self { hi: s, lo: e }
        } else {
            Self { hi: s, lo: 0.0 }
        }
    }

    /// `self * s`, exact for a power of two `s` away from overflow and underflow.
    #[inline(always)]
    pub(crate) fn scale(self, s: f64) -> Self {
        Self {
            hi: self.hi * s,
            lo: self.lo * s,
        }
    }

    /// `self * d` for a double `d`.
    #[inline(always)]
    fn mul_f64(self, d: f64) -> Self {
        let p = self.hi * d;
        let e = self.hi.mul_add(d, -p);
        let (hi, lo) = fast_two_sum(p, self.lo.mul_add(d, e));
        Self { hi, lo }
    }

    /// `self / other`: three quotient digits (the `qd` library's accurate division).
    #[inline(always)]
    fn div(self, other: Self) -> Self {
        let q1 = self.hi / other.hi;
        if !q1.is_finite() {
            // An overflowing (or NaN) quotient: what double division gives, not the NaN
            // the correction steps would make of it.
            return Self { hi: q1, lo: 0.0 };
        }
        let r = self.sub(other.mul_f64(q1));
        let q2 = r.hi / other.hi;
        let r = r.sub(other.mul_f64(q2));
        let q3 = r.hi / other.hi;
        let (hi, lo) = fast_two_sum(q1, q2);
        Self { hi, lo }.add(Self { hi: q3, lo: 0.0 })
    }
}

impl DoubleDouble for Dd {
    const ZERO: Self = Self { hi: 0.0, lo: 0.0 };
    const ONE: Self = Self { hi: 1.0, lo: 0.0 };

    #[inline(always)]
    fn add(self, other: Self) -> Self {
        let (s1, s2) = two_sum(self.hi, other.hi);
        let (t1, t2) = two_sum(self.lo, other.lo);
        let (s1, s2) = fast_two_sum(s1, s2 + t1);
        let (hi, lo) = fast_two_sum(s1, s2 + t2);
        Self { hi, lo }
    }

    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        self.add(Self {
            hi: -other.hi,
            lo: -other.lo,
        })
    }

    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        let p = self.hi * other.hi;
        let e = self.hi.mul_add(other.hi, -p);
        let e = self.hi.mul_add(other.lo, e);
        let e = self.lo.mul_add(other.hi, e);
        let (hi, lo) = fast_two_sum(p, e);
        Self { hi, lo }
    }

    #[inline(always)]
    fn recip(self) -> Self {
        Self::ONE.div(self)
    }

    #[inline(always)]
    fn magnitude(self) -> f64 {
        self.hi.abs()
    }

    #[inline(always)]
    fn is_zero(self) -> bool {
        self.hi == 0.0
    }

    #[inline(always)]
    fn positive_real(self) -> bool {
        self.hi > 0.0 && self.hi.is_finite()
    }

    #[inline(always)]
    fn high_product(self, other: Self) -> Self {
        Self {
            hi: self.hi * other.hi,
            lo: 0.0,
        }
    }
}

/// A complex double-double number.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Cdd {
    /// The real part.
    pub(crate) re: Dd,
    /// The imaginary part.
    pub(crate) im: Dd,
}

impl DoubleDouble for Cdd {
    const ZERO: Self = Self {
        re: Dd::ZERO,
        im: Dd::ZERO,
    };
    const ONE: Self = Self {
        re: Dd::ONE,
        im: Dd::ZERO,
    };

    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Self {
            re: self.re.add(other.re),
            im: self.im.add(other.im),
        }
    }

    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        Self {
            re: self.re.sub(other.re),
            im: self.im.sub(other.im),
        }
    }

    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        Self {
            re: self.re.mul(other.re).sub(self.im.mul(other.im)),
            im: self.re.mul(other.im).add(self.im.mul(other.re)),
        }
    }

    /// Smith's formula: divides by the larger component, so that nothing overflows or
    /// underflows unless the reciprocal itself does.
    #[inline(always)]
    fn recip(self) -> Self {
        let (c, d) = (self.re, self.im);
        if c.hi.abs() >= d.hi.abs() {
            let r = d.div(c);
            let den = c.add(d.mul(r)).recip();
            Self {
                re: den,
                im: Dd::ZERO.sub(r.mul(den)),
            }
        } else {
            let r = c.div(d);
            let den = c.mul(r).add(d).recip();
            Self {
                re: r.mul(den),
                im: Dd::ZERO.sub(den),
            }
        }
    }

    #[inline(always)]
    fn magnitude(self) -> f64 {
        self.re.hi.abs() + self.im.hi.abs()
    }

    #[inline(always)]
    fn is_zero(self) -> bool {
        self.re.is_zero() && self.im.is_zero()
    }

    #[inline(always)]
    fn positive_real(self) -> bool {
        self.re.positive_real()
    }

    #[inline(always)]
    fn high_product(self, other: Self) -> Self {
        let (a, b, c, d) = (self.re.hi, self.im.hi, other.re.hi, other.im.hi);
        Self {
            re: Dd {
                hi: a * c - b * d,
                lo: 0.0,
            },
            im: Dd {
                hi: a * d + b * c,
                lo: 0.0,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_third_is_right_to_about_106_bits() {
        let third = Dd::ONE.div(Dd::new(3.0, 0.0));
        // 3 * third = 1 - 3 * err: the product is exact in doubles' terms here.
        let back = third.mul(Dd::new(3.0, 0.0)).sub(Dd::ONE);
        assert!(back.hi.abs() < 2f64.powi(-104), "{back:?}");
        assert!(third.hi == 1.0 / 3.0 && third.lo != 0.0);
    }

    #[test]
    fn addition_keeps_the_low_part_through_cancellation() {
        // (1 + 2^-80) - 1 = 2^-80 exactly.
        let x = Dd::new(1.0, 2f64.powi(-80));
        let d = x.sub(Dd::ONE);
        assert_eq!((d.hi, d.lo), (2f64.powi(-80), 0.0));
        // (2^53 + 1) as a pair, times (2^53 - 1): 2^106 - 1, exact in 106 bits.
        let a = Dd::new(2f64.powi(53), 1.0);
        let p = a.mul(Dd::new(2f64.powi(53) - 1.0, 0.0));
        let diff = p.sub(Dd::new(2f64.powi(106), 0.0));
        assert_eq!((diff.hi, diff.lo), (-1.0, 0.0));
    }

    #[test]
    fn an_overflowing_reciprocal_is_infinite_not_nan() {
        let r = Dd::new(3e-310, 0.0).recip();
        assert_eq!((r.hi, r.lo), (f64::INFINITY, 0.0));
        let r = Dd::new(-3e-310, 0.0).recip();
        assert_eq!((r.hi, r.lo), (f64::NEG_INFINITY, 0.0));
        // Scaling a pivot row by it: zeros stay zeros, the rest infinite, never NaN.
        assert_eq!(Dd::ZERO.scale_by(r), Dd::ZERO);
        assert_eq!(Dd::ONE.scale_by(r).hi, f64::NEG_INFINITY);
    }

    #[test]
    fn complex_reciprocal_of_extreme_scales() {
        // Near the ends of the range the low parts fall below the smallest normal double
        // and precision drops toward double's (the kernels scale matrices near 1 first).
        for &(s, tol) in &[
            (1e-300, 1e-15),
            (1e-150, 1e-30),
            (1.0, 1e-30),
            (1e150, 1e-30),
            (1e300, 1e-15),
        ] {
            // 1 / (3 - 4i) s = (3 + 4i) / (25 s)
            let z = Cdd {
                re: Dd::new(3.0 * s, 0.0),
                im: Dd::new(-4.0 * s, 0.0),
            };
            let r = z.recip();
            let one = z.mul(r);
            let err = one.sub(Cdd::ONE);
            assert!(err.magnitude() < tol, "{s}: {one:?}");
        }
    }
}
