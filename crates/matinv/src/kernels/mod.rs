//! Per-matrix inversion kernels, one file per algorithm. Each reports singularity the way
//! LAPACK's `getrf` does: the 0-based column of the first exact zero pivot of
//! partial-pivoting LU. None allocates: callers pass the matrix and its workspace.
//!
//! - `lu_getri.rs`: unblocked LU (getf2's order) and getri's inverse: tiny and complex
//!   mid sizes;
//! - `lanes.rs`: the same LU + getri for real n <= 16, one matrix per SIMD lane;
//! - `gauss_jordan.rs`: Gauss-Jordan elimination, real mid sizes;
//! - `gauss_jordan_blocked.rs`: blocked Gauss-Jordan on faer's products, large sizes;
//! - `gauss_jordan_dd.rs`: Gauss-Jordan in double-double arithmetic (extended precision);
//! - `gemm_buffer.rs`: reserving faer's packing buffers before its products run.

pub(crate) mod gauss_jordan;
pub(crate) mod gauss_jordan_blocked;
pub(crate) mod gauss_jordan_dd;
pub(crate) mod gemm_buffer;
pub(crate) mod lanes;
pub(crate) mod lu_getri;

/// 0-based column of the first exact zero pivot met by partial-pivoting LU.
pub(crate) type ZeroPivot = usize;

/// The row `i?amax` picks as pivot among `len` candidates of magnitudes `mag(0..len)`
/// (`|x|` for real, `|re| + |im|` for complex): the first one of largest magnitude when no
/// magnitude is NaN. With a NaN among them, the row numpy's LAPACK picks: for up to 8
/// candidates, the choice of OpenBLAS's x86-64 SSE2 kernels (`iamax_sse2.S`,
/// `izamax_sse2.S`, which numpy's OpenBLAS 0.3.31 runs on AVX2 and AVX-512 CPUs; measured
/// identical to them on 120,000 vectors of 1 to 8 entries). It takes a maximum with
/// `maxpd`, which keeps the newer operand when either is NaN, then the first entry that
/// compares equal or unordered to it, unordered including a NaN maximum; longer columns
/// (where that kernel's choice also depends on the address) follow the reference BLAS:
/// the first entry stays unless a later one compares greater.
#[inline(always)]
pub(crate) fn amax(len: usize, complex: bool, mag: impl Fn(usize) -> f64) -> usize {
    // The usual case first: one pass, `>` is false against NaN, so a NaN never wins.
    let (mut p, mut best, mut nan) = (0, mag(0), false);
    for i in 0..len {
        let v = mag(i);
        nan |= v.is_nan();
        if v > best {
            best = v;
            p = i;
        }
    }
    if !nan || len > 8 {
        return p;
    }
    amax_with_nan(len, complex, mag)
}

/// [`amax`] for at most 8 candidates, one of them NaN: the SSE2 kernels step by step.
#[cold]
#[inline(never)]
fn amax_with_nan(len: usize, complex: bool, mag: impl Fn(usize) -> f64) -> usize {
    // `maxpd` / `maxsd`: the first operand if it compares greater, else the second.
    let mx = |d: f64, s: f64| if d > s { d } else { s };
    let first = mag(0);
    // Four two-lane accumulators, all starting from the first entry.
    let mut acc = [[first; 2]; 4];
    let mut upd = |k: usize, u: f64, v: f64| acc[k] = [mx(acc[k][0], u), mx(acc[k][1], v)];
    let (r, mut q) = (len - 1, 1);
    if r & 4 != 0 {
        upd(0, mag(q), mag(q + 1));
        upd(1, mag(q + 2), mag(q + 3));
        q += 4;
    }
    if complex {
        if r & 2 != 0 {
            upd(0, mag(q), mag(q + 1));
            q += 2;
        }
        if r & 1 != 0 {
            acc[2][0] = mx(acc[2][0], mag(q));
        }
    } else {
        if r & 2 != 0 {
            upd(2, mag(q), mag(q + 1));
            q += 2;
        }
        if r & 1 != 0 {
            upd(3, mag(q), mag(q));
        }
    }
    let lanes = |a: [f64; 2], b: [f64; 2]| [mx(a[0], b[0]), mx(a[1], b[1])];
    let top = lanes(lanes(acc[0], acc[1]), lanes(acc[2], acc[3]));
    let m = mx(top[1], top[0]);
    // `comisd` + `je`: taken when equal or unordered (either side NaN).
    let hit = |i: usize| {
        let v = mag(i);
        v == m || v.is_nan() || m.is_nan()
    };
    // The search: blocks (8 reals, 4 complex) are first screened by an ordered compare,
    // then checked one by one; the entries after the blocks one by one, two at a time, the
    // last odd one never (it is the answer when nothing before it matched); past the end
    // means the last row (getf2 clamps it).
    let block = if complex { 4 } else { 8 };
    let mut i = 0;
    while i + block <= len {
        if (i..i + block).any(|k| mag(k) == m) {
            // The real kernel checks 7 and takes the 8th by default.
            let checked = if complex { block } else { block - 1 };
            return (i..i + checked).find(|&k| hit(k)).unwrap_or(i + checked);
        }
        i += block;
    }
    let pairs = if complex {
        len & 2
    } else {
        (len & 4) + (len & 2)
    };
    (i..i + pairs)
        .find(|&k| hit(k))
        .unwrap_or((i + pairs).min(len - 1))
}

/// A column-major (or row-major: the same draw) `n x n` test matrix with entries in
/// [-1, 1) plus `diag` on the diagonal, from a seeded LCG.
#[cfg(test)]
pub(crate) fn test_matrix(n: usize, seed: u64, diag: f64) -> Vec<f64> {
    let mut s = seed;
    (0..n * n)
        .map(|k| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let v = (s >> 11) as f64 / (1u64 << 52) as f64 - 1.0;
            if k % (n + 1) == 0 {
                v + diag
            } else {
                v
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::amax;

    const N: f64 = f64::NAN;
    const I: f64 = f64::INFINITY;

    #[test]
    fn pivots_without_nan_are_the_first_largest() {
        for (v, p) in [
            (&[1.0, 3.0, 3.0, 2.0][..], 1),
            (&[0.0, 0.0, 0.0][..], 0),
            (&[I, 1.0, I][..], 0),
            (
                &[0.0, 1e-310, 0.0, 2.0, 2.0, 1.0, 0.5, 2.0, 7.0, 7.0][..],
                8,
            ),
        ] {
            for complex in [false, true] {
                assert_eq!(amax(v.len(), complex, |i| v[i]), p, "{v:?}");
            }
        }
    }

    /// Magnitudes with NaN, and the row numpy's OpenBLAS (0.3.31, SSE2 `i?amax` kernels)
    /// returned for them, measured (`idamax` for `false`, `izamax` for `true`); many are not
    /// the reference BLAS's choice (the first entry unless a later one is greater).
    #[test]
    fn pivots_with_nan_are_openblas_ones() {
        let cases: &[(bool, &[f64], usize)] = &[
            (false, &[3.0, N, 2.0, 2.0, 0.0, N], 0),
            (false, &[1.0, 1.0, N, N, 2.0, 2.0, N], 2),
            (false, &[2.0, N, I, 2.0, 3.0, 1.0, 0.0], 1),
            (false, &[2.0, I, 1.0, N], 0),
            (false, &[0.0, 1.0, 2.0, N, 1.0, 1.0, 3.0, 0.0], 3),
            (false, &[I, 0.0, I, N, 0.0], 0),
            (false, &[3.0, 0.0, N, 2.0, 3.0, 3.0], 0),
            (false, &[1.0, 3.0, 2.0, N, N, 2.0], 2),
            (false, &[N, 0.0, 2.0, 1.0], 0),
            (false, &[0.0, 1.0, N, I, 3.0, N, 2.0], 2),
            (false, &[0.0, I, I, N], 0),
            (false, &[1.0, 1.0, 3.0, 3.0, 3.0, N], 0),
            (false, &[N, N], 0),
            (false, &[2.0, 2.0, N, 2.0, 3.0, N], 0),
            (true, &[N, N, 1.0, I, 3.0, I, 2.0, I], 7),
            (true, &[N, 0.0], 0),
            (true, &[0.0, N, I, I, 3.0, 0.0], 1),
            (true, &[N, I, I, N, 2.0], 4),
            (true, &[N, 1.0, N, N, 1.0, 1.0, 1.0, 0.0], 7),
            (true, &[N, 0.0, N], 0),
            (true, &[0.0, I, 0.0, 2.0, 3.0, N, 0.0, I], 1),
            (true, &[I, I, 1.0, I, I, 0.0, N], 0),
            (true, &[N, I], 0),
            (true, &[I, N, 1.0], 0),
            (true, &[2.0, 3.0, N, 3.0, N, N], 1),
            (true, &[0.0, 2.0, N, 1.0, N, I, 0.0], 4),
            (true, &[0.0, N, N, 2.0, 1.0, 1.0, N], 1),
            (true, &[I, 2.0, I, 0.0, N], 0),
            // The issue's `[[nan, 1], [0, 1]]`: the NaN stays the pivot (not the zero).
            (false, &[N, 0.0], 0),
            (true, &[N, 0.0], 0),
            // Longer columns: the reference BLAS's choice.
            (false, &[0.0, 1.0, N, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0], 3),
            (false, &[N, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], 0),
        ];
        for &(complex, v, p) in cases {
            assert_eq!(amax(v.len(), complex, |i| v[i]), p, "{complex} {v:?}");
        }
    }
}
