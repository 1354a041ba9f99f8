//! Power-of-two scaling before kernels that sum many products at once (blocked
//! Gauss-Jordan, Gauss-Jordan, the blocked triangular and Cholesky inverses): entries near
//! overflow (or underflow) are first brought near 1 by a power of two, which is exact, and
//! `inv(A) = s inv(s A)`.

use crate::element::Field;

/// 1, or a power of two `s` such that `s A` has no entry beyond 2^±600 (so that sums of
/// products can neither overflow nor underflow), chosen without pushing the smallest
/// nonzero entry below 2^-1000 or the largest above 2^1000; 1 when no such `s` exists.
/// Inlined, as the scan is, into each caller's instruction-set copy (compiled apart, the
/// scan ran on SSE2 and took 7-9% of a 12x12 stack's kernel time).
#[inline(always)]
pub(crate) fn power_of_two_scale<F: Field>(a: &[F]) -> f64 {
    let (big, small) = magnitude_range(a);
    scale_for(big, small)
}

/// The largest and the smallest nonzero component magnitude of `a` (NaN is neither).
#[inline(always)]
pub(crate) fn magnitude_range<F: Field>(a: &[F]) -> (f64, f64) {
    // Eight independent lanes, so that the scan vectorises; NaN is never the largest or
    // the smallest (the comparisons are false).
    const L: usize = 8;
    let (mut big, mut small) = ([0.0f64; L], [f64::INFINITY; L]);
    let mut lanes = a.chunks_exact(L);
    for chunk in &mut lanes {
        for l in 0..L {
            let m = chunk[l].max_component();
            big[l] = if m > big[l] { m } else { big[l] };
            small[l] = if m > 0.0 && m < small[l] { m } else { small[l] };
        }
    }
    for (l, x) in lanes.remainder().iter().enumerate() {
        let m = x.max_component();
        big[l] = if m > big[l] { m } else { big[l] };
        small[l] = if m > 0.0 && m < small[l] { m } else { small[l] };
    }
    let big = big.into_iter().fold(0.0, f64::max);
    let small = small.into_iter().fold(f64::INFINITY, f64::min);
    (big, small)
}

/// The scale of [`power_of_two_scale`] for entries of magnitudes `small..=big`.
pub(crate) fn scale_for(big: f64, small: f64) -> f64 {
    if !big.is_finite() || big == 0.0 {
        return 1.0;
    }
    let e_big = big.log2().floor() as i32;
    if (-600..=600).contains(&e_big) {
        return 1.0;
    }
    let e_small = small.log2().floor() as i32;
    let (lo, hi) = (-1000 - e_small, 1000 - e_big);
    if lo > hi {
        return 1.0;
    }
    let shift = (-e_big).clamp(lo, hi).clamp(-1022, 1022);
    f64::from_bits(((1023 + shift) as u64) << 52)
}
