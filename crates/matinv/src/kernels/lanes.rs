//! Tiny and small real matrices (n <= 16), one SIMD group at a time: lane `l` of every
//! vector holds matrix `l` of the group, so one instruction advances a whole group of
//! inversions (4 with AVX2, 8 with AVX-512, 2 with NEON, 1 without SIMD).
//!
//! It is the algorithm of [`super::lu_getri`] (getf2's left-looking order, getri's inverse)
//! written lane-wise: every lane performs exactly the scalar kernel's operations in the same
//! order (separate multiplies and adds, no FMA), so results are bit-for-bit the scalar ones.
//! Pivoting differs between lanes, so row and column interchanges are blends, and a lane
//! that meets a zero pivot is only reported (its garbage stays in its lane).
//!
//! The vector operations are pulp's (faer's SIMD layer): plain loops over arrays left LLVM
//! to vectorise the masks and blends, and it kept them in scalar registers and on the stack.

use pulp::{bytemuck, Simd};

/// The largest order this kernel takes.
pub const MAX_N: usize = 16;

/// `for $i in 0..$n { $body }`, written out in full for `$n <= 8`: LLVM does not unroll
/// the nested loops of the kernel by itself from 4x4 on, and then keeps the matrices on
/// the stack, addressed by index (4x4: 48 against 35 ns per matrix, 8x8: 430 against 330
/// ns). Larger matrices do not fit in registers anyway: a loop, over a group in L1.
macro_rules! unroll {
    ($i:ident < $n:expr, $body:block) => {
        if $n <= 8 {
            unroll!(@each $i, $n, $body, 0 1 2 3 4 5 6 7)
        } else {
            #[allow(clippy::needless_range_loop)] // the same body as written out above
            for $i in 0..$n $body
        }
    };
    (@each $i:ident, $n:expr, $body:block, $($k:literal)*) => {
        {$({
            let $i: usize = $k;
            if $i < $n $body
        })*}
    };
}

/// The widest group any instruction set here uses (AVX-512: 8 f64 per register).
pub const MAX_LANES: usize = 8;

/// The vector whose lane `l` is `f(l)`, built in registers: writing lanes one by one
/// through memory and reading the vector back stalls on store forwarding.
#[inline(always)]
pub fn from_fn<S: Simd>(f: impl Fn(usize) -> f64) -> S::f64s {
    match S::F64_LANES {
        1 => bytemuck::cast([f(0)]),
        2 => bytemuck::cast([f(0), f(1)]),
        4 => bytemuck::cast([f(0), f(1), f(2), f(3)]),
        8 => bytemuck::cast([f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7)]),
        lanes => unreachable!("no instruction set has {lanes} f64 lanes"),
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f64 {}
    impl Sealed for f32 {}
}

/// A real element the lanes kernel reads and writes directly (in double precision in
/// registers): `f64` or `f32`, and no other (the vector loads rely on their sizes).
pub trait Real: Copy + 'static + sealed::Sealed {
    /// Widens to double precision.
    fn to_f64(self) -> f64;
    /// Rounds from double precision.
    fn from_f64(x: f64) -> Self;
}

impl Real for f64 {
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x
    }
}

impl Real for f32 {
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x as f32
    }
}

/// Reads `S::F64_LANES` consecutive records of `K` elements (record `l` at `src + l * K`)
/// into `K` vectors: vector `f` holds element `f` of every record. This is the gather of a
/// C-contiguous stack (a record is a row-major matrix), done as 8 x 8 (AVX-512) or 4 x 4
/// (AVX2) transposes of whole rows of records where the CPU has them: building each vector
/// lane by lane from scalar loads cost 3x the inversion itself at 4 x 4.
///
/// # Safety
/// `src` must be valid for reading `S::F64_LANES * K` elements.
#[inline(always)]
pub unsafe fn load_records<S: Simd, E: Real, const K: usize>(
    simd: S,
    src: *const E,
) -> [S::f64s; K] {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: this function's contract is x86::load_records's.
    if let Some(v) = unsafe { x86::load_records::<S, E, K>(src) } {
        return v;
    }
    let _ = simd;
    // SAFETY: l < lanes and f < K, inside the records by the contract.
    core::array::from_fn(|f| from_fn::<S>(|l| unsafe { *src.add(l * K + f) }.to_f64()))
}

/// The inverse of [`load_records`]: writes vector `f`'s lane `l` to element `f` of record
/// `l` at `dst + l * K`, rounded to `E`.
///
/// # Safety
/// `dst` must be valid for writing `S::F64_LANES * K` elements.
#[inline(always)]
pub unsafe fn store_records<S: Simd, E: Real, const K: usize>(fields: &[S::f64s; K], dst: *mut E) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: this function's contract is x86::store_records's.
    if unsafe { x86::store_records::<S, E, K>(fields, dst) } {
        return;
    }
    let xs: &[f64] = bytemuck::cast_slice(fields.as_slice());
    let lanes = S::F64_LANES;
    for l in 0..lanes {
        for f in 0..K {
            // SAFETY: inside the records by the contract.
            unsafe { *dst.add(l * K + f) = E::from_f64(xs[f * lanes + l]) };
        }
    }
}

/// The transposes behind [`load_records`] and [`store_records`], for pulp's AVX-512 (`V4`)
/// and AVX2 (`V3`) instruction sets, chosen by type: a value of those types exists only on
/// a CPU that has their instructions (other pulp types with as many lanes, such as
/// `V3_512b` or `Scalar512b`, go element by element). Each function returns `None` /
/// `false` when it does not apply (another instruction set, or records shorter than a
/// vector), and the caller goes element by element.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Real;
    use core::any::TypeId;
    use core::arch::x86_64::*;
    use pulp::Simd;

    /// The vector width whose transposes apply to `S`: 8 for AVX-512, 4 for AVX2, else 0.
    #[inline(always)]
    fn width<S: Simd>() -> usize {
        if TypeId::of::<S>() == TypeId::of::<pulp::x86::V4>() {
            8
        } else if TypeId::of::<S>() == TypeId::of::<pulp::x86::V3>() {
            4
        } else {
            0
        }
    }

    /// Loads `L` elements at `p` (`f64` or `f32`, widened) as doubles.
    #[inline(always)]
    unsafe fn load8<E: Real>(p: *const E) -> __m512d {
        // SAFETY: (all four helpers) called only with 8 (or 4) valid elements at `p`, on a
        // CPU with the instruction set of the vector width (the caller's S has it).
        unsafe {
            if TypeId::of::<E>() == TypeId::of::<f64>() {
                _mm512_loadu_pd(p.cast())
            } else {
                _mm512_cvtps_pd(_mm256_loadu_ps(p.cast()))
            }
        }
    }
    #[inline(always)]
    unsafe fn store8<E: Real>(p: *mut E, v: __m512d) {
        // SAFETY: as for load8: 8 valid elements at `p`, AVX-512 present.
        unsafe {
            if TypeId::of::<E>() == TypeId::of::<f64>() {
                _mm512_storeu_pd(p.cast(), v)
            } else {
                _mm256_storeu_ps(p.cast(), _mm512_cvtpd_ps(v))
            }
        }
    }
    #[inline(always)]
    unsafe fn load4<E: Real>(p: *const E) -> __m256d {
        // SAFETY: as for load8: 4 valid elements at `p`, AVX2 present.
        unsafe {
            if TypeId::of::<E>() == TypeId::of::<f64>() {
                _mm256_loadu_pd(p.cast())
            } else {
                _mm256_cvtps_pd(_mm_loadu_ps(p.cast()))
            }
        }
    }
    #[inline(always)]
    unsafe fn store4<E: Real>(p: *mut E, v: __m256d) {
        // SAFETY: as for load8: 4 valid elements at `p`, AVX2 present.
        unsafe {
            if TypeId::of::<E>() == TypeId::of::<f64>() {
                _mm256_storeu_pd(p.cast(), v)
            } else {
                _mm_storeu_ps(p.cast(), _mm256_cvtpd_ps(v))
            }
        }
    }

    /// The transpose of 8 rows of 8 doubles (its own inverse).
    ///
    /// # Safety
    /// The CPU must have AVX-512F.
    #[inline(always)]
    unsafe fn transpose8(r: [__m512d; 8]) -> [__m512d; 8] {
        // SAFETY: register shuffles only; AVX-512F is there by the contract.
        unsafe {
            let t = [
                _mm512_unpacklo_pd(r[0], r[1]),
                _mm512_unpackhi_pd(r[0], r[1]),
                _mm512_unpacklo_pd(r[2], r[3]),
                _mm512_unpackhi_pd(r[2], r[3]),
                _mm512_unpacklo_pd(r[4], r[5]),
                _mm512_unpackhi_pd(r[4], r[5]),
                _mm512_unpacklo_pd(r[6], r[7]),
                _mm512_unpackhi_pd(r[6], r[7]),
            ];
            // 128-bit lanes: 0x88 takes lanes 0 and 2 of each operand, 0xdd lanes 1 and 3.
            let u = [
                _mm512_shuffle_f64x2::<0x88>(t[0], t[2]),
                _mm512_shuffle_f64x2::<0x88>(t[1], t[3]),
                _mm512_shuffle_f64x2::<0xdd>(t[0], t[2]),
                _mm512_shuffle_f64x2::<0xdd>(t[1], t[3]),
                _mm512_shuffle_f64x2::<0x88>(t[4], t[6]),
                _mm512_shuffle_f64x2::<0x88>(t[5], t[7]),
                _mm512_shuffle_f64x2::<0xdd>(t[4], t[6]),
                _mm512_shuffle_f64x2::<0xdd>(t[5], t[7]),
            ];
            [
                _mm512_shuffle_f64x2::<0x88>(u[0], u[4]),
                _mm512_shuffle_f64x2::<0x88>(u[1], u[5]),
                _mm512_shuffle_f64x2::<0x88>(u[2], u[6]),
                _mm512_shuffle_f64x2::<0x88>(u[3], u[7]),
                _mm512_shuffle_f64x2::<0xdd>(u[0], u[4]),
                _mm512_shuffle_f64x2::<0xdd>(u[1], u[5]),
                _mm512_shuffle_f64x2::<0xdd>(u[2], u[6]),
                _mm512_shuffle_f64x2::<0xdd>(u[3], u[7]),
            ]
        }
    }

    /// The transpose of 4 rows of 4 doubles (its own inverse).
    ///
    /// # Safety
    /// The CPU must have AVX.
    #[inline(always)]
    unsafe fn transpose4(r: [__m256d; 4]) -> [__m256d; 4] {
        // SAFETY: register shuffles only; AVX is there by the contract.
        unsafe {
            let t = [
                _mm256_unpacklo_pd(r[0], r[1]),
                _mm256_unpackhi_pd(r[0], r[1]),
                _mm256_unpacklo_pd(r[2], r[3]),
                _mm256_unpackhi_pd(r[2], r[3]),
            ];
            [
                _mm256_permute2f128_pd::<0x20>(t[0], t[2]),
                _mm256_permute2f128_pd::<0x20>(t[1], t[3]),
                _mm256_permute2f128_pd::<0x31>(t[0], t[2]),
                _mm256_permute2f128_pd::<0x31>(t[1], t[3]),
            ]
        }
    }

    /// Where the `L`-wide chunks of a record of `K` elements start: every `L`, the last
    /// one moved back to end at `K` (overlapping the one before: both hold the same).
    #[inline(always)]
    fn chunk_starts<const K: usize>(lanes: usize) -> impl Iterator<Item = usize> {
        (0..K.div_ceil(lanes)).map(move |c| (c * lanes).min(K - lanes))
    }

    /// # Safety
    /// As [`super::load_records`].
    #[inline(always)]
    pub unsafe fn load_records<S: Simd, E: Real, const K: usize>(
        src: *const E,
    ) -> Option<[S::f64s; K]> {
        // SAFETY: S::f64s is a vector of doubles, for which all-zero bits are a value.
        let mut out = [unsafe { core::mem::zeroed::<S::f64s>() }; K];
        match width::<S>() {
            // SAFETY (the transposes): width 8 means S is V4, whose values exist only on
            // CPUs with AVX-512; width 4 means V3 (AVX2).
            8 if K >= 8 => {
                for f0 in chunk_starts::<K>(8) {
                    // A plain loop, not `array::from_fn`: LLVM may leave from_fn's body
                    // out of line, outside this instruction set, and the loads and widening
                    // conversions (float32) with it (measured: 1e6 x 4x4 float32 1.4x slower).
                    // SAFETY: a vector register of doubles, any bits valid.
                    let mut rows = [unsafe { core::mem::zeroed() }; 8];
                    for (l, row) in rows.iter_mut().enumerate() {
                        // SAFETY: record l's elements f0..f0 + 8 lie inside the records.
                        *row = unsafe { load8(src.add(l * K + f0)) };
                    }
                    // SAFETY: width 8 means S is V4, whose values exist only on CPUs with
                    // AVX-512.
                    for (c, v) in unsafe { transpose8(rows) }.into_iter().enumerate() {
                        // SAFETY: in this branch S::f64s is 8 doubles, the size of `v`.
                        out[f0 + c] = unsafe { core::mem::transmute_copy(&v) };
                    }
                }
            }
            4 if K >= 4 => {
                for f0 in chunk_starts::<K>(4) {
                    // A plain loop, not `array::from_fn`: LLVM may leave from_fn's body
                    // out of line, outside this instruction set, and the loads and widening
                    // conversions (float32) with it (measured: 1e6 x 4x4 float32 1.4x slower).
                    // SAFETY: a vector register of doubles, any bits valid.
                    let mut rows = [unsafe { core::mem::zeroed() }; 4];
                    for (l, row) in rows.iter_mut().enumerate() {
                        // SAFETY: record l's elements f0..f0 + 4 lie inside the records.
                        *row = unsafe { load4(src.add(l * K + f0)) };
                    }
                    // SAFETY: width 4 means S is V3, whose values exist only on CPUs with
                    // AVX2.
                    for (c, v) in unsafe { transpose4(rows) }.into_iter().enumerate() {
                        // SAFETY: in this branch S::f64s is 4 doubles, the size of `v`.
                        out[f0 + c] = unsafe { core::mem::transmute_copy(&v) };
                    }
                }
            }
            _ => return None,
        }
        Some(out)
    }

    /// # Safety
    /// As [`super::store_records`].
    #[inline(always)]
    pub unsafe fn store_records<S: Simd, E: Real, const K: usize>(
        fields: &[S::f64s; K],
        dst: *mut E,
    ) -> bool {
        // SAFETY (the transmutes below): in each branch S::f64s is that many doubles, the
        // size of the register it is copied into.
        match width::<S>() {
            // SAFETY (the transposes): as in `load_records`.
            8 if K >= 8 => {
                for f0 in chunk_starts::<K>(8) {
                    let cols: [__m512d; 8] = core::array::from_fn(|c| {
                        // SAFETY: in this branch S::f64s is 8 doubles, an __m512d.
                        unsafe { core::mem::transmute_copy(&fields[f0 + c]) }
                    });
                    // SAFETY: width 8 means S is V4 (AVX-512 present).
                    for (l, v) in unsafe { transpose8(cols) }.into_iter().enumerate() {
                        // SAFETY: record l's elements f0..f0 + 8 lie inside the records.
                        unsafe { store8(dst.add(l * K + f0), v) };
                    }
                }
                true
            }
            4 if K >= 4 => {
                for f0 in chunk_starts::<K>(4) {
                    let cols: [__m256d; 4] = core::array::from_fn(|c| {
                        // SAFETY: in this branch S::f64s is 4 doubles, an __m256d.
                        unsafe { core::mem::transmute_copy(&fields[f0 + c]) }
                    });
                    // SAFETY: width 4 means S is V3 (AVX2 present).
                    for (l, v) in unsafe { transpose4(cols) }.into_iter().enumerate() {
                        // SAFETY: record l's elements f0..f0 + 4 lie inside the records.
                        unsafe { store4(dst.add(l * K + f0), v) };
                    }
                }
                true
            }
            _ => false,
        }
    }
}

/// `N x N` matrices held lane-wise, column-major: `a[j][i]` holds entry `(i, j)` of every
/// matrix of the group.
pub type Group<S, const N: usize> = [[<S as Simd>::f64s; N]; N];

/// Inverts the matrices held in `a`. Returns per lane `-1.0`, or the 0-based column of its
/// first exact zero pivot (getrf's `info - 1`), as a float.
#[inline(always)]
pub fn invert<S: Simd, const N: usize>(simd: S, a: &mut Group<S, N>) -> S::f64s {
    // Every loop runs over the full constant range 0..N with a guard, never over j..N, and
    // is written out in full: the matrices then stay in registers.
    let splat = |x: f64| simd.splat_f64s(x);
    let mul_add = |acc, x, y| simd.add_f64s(acc, simd.mul_f64s(x, y));
    let mut zero = splat(-1.0);
    let mut piv = [splat(0.0); N];
    // 1 / U[j, j], needed by the factorisation and again by inv(U): divided once.
    let mut recip = [splat(0.0); N];

    // Factor: P A = L U, column by column.
    unroll!(j < N, {
        let mut acc = [splat(0.0); N];
        unroll!(k < N, {
            if k < j {
                let bk = simd.sub_f64s(a[j][k], acc[k]);
                a[j][k] = bk;
                unroll!(i < N, {
                    if i > k {
                        acc[i] = mul_add(acc[i], a[k][i], bk);
                    }
                });
            }
        });
        let mut best = splat(-1.0);
        let mut p = splat(j as f64);
        unroll!(i < N, {
            if i >= j {
                let v = simd.sub_f64s(a[j][i], acc[i]);
                a[j][i] = v;
                let av = simd.abs_f64s(v);
                let gt = simd.greater_than_f64s(av, best);
                best = simd.select_f64s(gt, av, best);
                let _ = best; // read by the next row only
                p = simd.select_f64s(gt, splat(i as f64), p);
            }
        });
        piv[j] = p;
        // Interchange rows j and p (per lane) across all columns. Beyond 8 x 8 (a loop
        // over memory, not registers) rows no lane picked are skipped.
        unroll!(i < N, {
            let m = simd.equal_f64s(p, splat(i as f64));
            if i > j && (N <= 8 || simd.first_true_m64s(m) < S::F64_LANES) {
                unroll!(c < N, {
                    let (x, y) = (a[c][j], a[c][i]);
                    a[c][j] = simd.select_f64s(m, y, x);
                    a[c][i] = simd.select_f64s(m, x, y);
                });
            }
        });
        let d = a[j][j];
        let first_zero = simd.and_m64s(
            simd.equal_f64s(d, splat(0.0)),
            simd.less_than_f64s(zero, splat(0.0)),
        );
        zero = simd.select_f64s(first_zero, splat(j as f64), zero);
        // getf2 scales by the reciprocal unless that would overflow, then divides.
        let r = simd.div_f64s(splat(1.0), d);
        recip[j] = r;
        let tiny = simd.less_than_f64s(simd.abs_f64s(d), splat(f64::MIN_POSITIVE));
        let any_tiny = simd.first_true_m64s(tiny) < S::F64_LANES;
        unroll!(i < N, {
            if i > j {
                let x = a[j][i];
                a[j][i] = if any_tiny {
                    simd.select_f64s(tiny, simd.div_f64s(x, d), simd.mul_f64s(x, r))
                } else {
                    simd.mul_f64s(x, r)
                };
            }
        });
    });

    // inv(U), column by column (trti2's order).
    unroll!(j < N, {
        let ujj = recip[j];
        a[j][j] = ujj;
        let mut t = [splat(0.0); N];
        unroll!(k < N, {
            if k < j {
                let ukj = a[j][k];
                unroll!(i < N, {
                    if i <= k {
                        t[i] = mul_add(t[i], a[k][i], ukj);
                    }
                });
            }
        });
        unroll!(i < N, {
            if i < j {
                a[j][i] = simd.sub_f64s(splat(0.0), simd.mul_f64s(t[i], ujj));
            }
        });
    });

    // X L = inv(U), columns from the last to the first (getri's order).
    unroll!(jj < N, {
        let j = N - 1 - jj;
        let mut lcol = [splat(0.0); N];
        unroll!(k < N, {
            if k > j {
                lcol[k] = a[j][k];
                a[j][k] = splat(0.0);
            }
        });
        let mut t = [splat(0.0); N];
        unroll!(k < N, {
            if k > j {
                unroll!(i < N, {
                    t[i] = mul_add(t[i], a[k][i], lcol[k]);
                });
            }
        });
        if j + 1 < N {
            unroll!(i < N, {
                a[j][i] = simd.sub_f64s(a[j][i], t[i]);
            });
        }
    });

    // Undo the row interchanges as column interchanges, last first.
    unroll!(jj < N, {
        let j = N - 1 - jj;
        unroll!(c < N, {
            let m = simd.equal_f64s(piv[j], splat(c as f64));
            if c > j && (N <= 8 || simd.first_true_m64s(m) < S::F64_LANES) {
                unroll!(i < N, {
                    let (x, y) = (a[j][i], a[c][i]);
                    a[j][i] = simd.select_f64s(m, y, x);
                    a[c][i] = simd.select_f64s(m, x, y);
                });
            }
        });
    });
    zero
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::lu_getri;
    use pulp::bytemuck;

    fn check<S: Simd, const N: usize>(simd: S, seed: u64) {
        let lanes = S::F64_LANES;
        let mut s = seed;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) % 7) as f64 - 3.0 // small integers: many ties and exact zeros
        };
        let mut a: Group<S, N> = [[simd.splat_f64s(0.0); N]; N];
        let mut singles = vec![[[0.0f64; N]; N]; lanes];
        for (j, col) in a.iter_mut().enumerate() {
            for (i, v) in col.iter_mut().enumerate() {
                let v: &mut [f64] = bytemuck::cast_slice_mut(core::slice::from_mut(v));
                for (l, single) in singles.iter_mut().enumerate() {
                    v[l] = next();
                    single[j][i] = v[l];
                }
            }
        }
        let zero = invert::<S, N>(simd, &mut a);
        let zero: &[f64] = bytemuck::cast_slice(core::slice::from_ref(&zero));
        for (l, single) in singles.iter().enumerate() {
            let mut x = *single;
            let (mut piv, mut work) = ([0; N], vec![0.0; 2 * N]);
            let r = lu_getri::invert_in_place(x.as_flattened_mut(), N, &mut piv, &mut work);
            let lane_zero = (zero[l] >= 0.0).then_some(zero[l] as usize);
            assert_eq!(r.err(), lane_zero, "lane {l}");
            if r.is_ok() {
                for j in 0..N {
                    for i in 0..N {
                        let got: &[f64] = bytemuck::cast_slice(core::slice::from_ref(&a[j][i]));
                        assert_eq!(got[l].to_bits(), x[j][i].to_bits(), "lane {l} ({i},{j})");
                    }
                }
            }
        }
    }

    fn check_all<S: Simd>(simd: S) {
        for seed in 0..200 {
            check::<S, 1>(simd, seed);
            check::<S, 2>(simd, seed);
            check::<S, 3>(simd, seed);
            check::<S, 4>(simd, seed);
            check::<S, 5>(simd, seed);
            check::<S, 8>(simd, seed);
            // Looped rather than written out, rows no lane picks skipped.
            check::<S, 9>(simd, seed);
            check::<S, 12>(simd, seed);
            check::<S, 16>(simd, seed);
        }
    }

    struct CheckAll;
    impl pulp::WithSimd for CheckAll {
        type Output = usize;
        #[inline(always)]
        fn with_simd<S: Simd>(self, simd: S) -> usize {
            check_all(simd);
            S::F64_LANES
        }
    }

    /// Records of every length the kernel uses, f64 and f32: each vector holds one element
    /// of every record, and storing puts every element back where it was read (rounded to
    /// the record's type), touching nothing around the records.
    fn records_round_trip<S: Simd>(simd: S) {
        fn check<S: Simd, E: Real + PartialEq + core::fmt::Debug, const K: usize>(simd: S) {
            let lanes = S::F64_LANES;
            let src: Vec<E> = (0..lanes * K)
                .map(|k| E::from_f64(k as f64 * 0.75 - 3.0))
                .collect();
            // SAFETY: `src` holds lanes * K elements.
            let fields = unsafe { load_records::<S, E, K>(simd, src.as_ptr()) };
            for (f, v) in fields.iter().enumerate() {
                let v: &[f64] = bytemuck::cast_slice(core::slice::from_ref(v));
                for l in 0..lanes {
                    assert_eq!(
                        v[l],
                        src[l * K + f].to_f64(),
                        "K = {K}, field {f}, lane {l}"
                    );
                }
            }
            let mut dst = vec![E::from_f64(7.0); lanes * K + 2];
            // SAFETY: dst[1..] holds lanes * K elements.
            unsafe { store_records::<S, E, K>(&fields, dst.as_mut_ptr().add(1)) };
            assert_eq!(dst[0], E::from_f64(7.0));
            assert_eq!(&dst[1..=lanes * K], &src[..], "K = {K}");
            assert_eq!(dst[lanes * K + 1], E::from_f64(7.0));
        }
        fn each_k<S: Simd, E: Real + PartialEq + core::fmt::Debug>(simd: S) {
            check::<S, E, 1>(simd);
            check::<S, E, 4>(simd);
            check::<S, E, 9>(simd);
            check::<S, E, 16>(simd);
            check::<S, E, 25>(simd);
            check::<S, E, 36>(simd);
            check::<S, E, 49>(simd);
            check::<S, E, 64>(simd);
        }
        each_k::<S, f64>(simd);
        each_k::<S, f32>(simd);
    }

    struct RoundTrip;
    impl pulp::WithSimd for RoundTrip {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: Simd>(self, simd: S) {
            records_round_trip(simd);
        }
    }

    #[test]
    fn records_load_and_store_on_every_instruction_set() {
        pulp::Arch::new().dispatch(RoundTrip);
        #[cfg(target_arch = "x86_64")]
        if let Some(v3) = pulp::x86::V3::try_new() {
            pulp::WithSimd::with_simd(RoundTrip, v3);
        }
        records_round_trip(pulp::Scalar::new());
        // As many lanes as AVX-512 or AVX2, without their instructions: element by element.
        records_round_trip(pulp::Scalar512b);
        records_round_trip(pulp::Scalar256b);
    }

    #[test]
    fn lanes_match_the_scalar_kernel_bit_for_bit() {
        // The widest instruction set this CPU has, and the portable fallback.
        let lanes = pulp::Arch::new().dispatch(CheckAll);
        assert!(lanes >= 1);
        check_all(pulp::Scalar::new());
    }
}
