//! Real matrices of order n <= 16 a SIMD group at a time, one matrix per vector lane
//! (`kernels/lanes.rs`): the gathers (whole-row transposes of C-contiguous stacks, element
//! by element otherwise) and scatters, with prefetch, and the per-lane status.

use super::{invert_lu_getri, invert_tiny, stack_loop, Workspace};
use crate::driver::Inverses;
use crate::element::{Field, Widened};
use crate::kernels::lanes;
use crate::layout::{MatrixPtr, StackView};
use crate::status::{fill_nan, Status};
use crate::Error;
use pulp::{bytemuck, Simd};

/// The matrices `start..` of `a` into `out`, through the lanes kernel for their order.
#[inline(always)]
pub(super) fn run<S: Simd, T: Widened>(
    simd: S,
    a: &StackView<'_, T>,
    start: usize,
    out: Inverses<'_, T>,
    ws: &mut Workspace<T::Compute>,
) -> Result<(), Error> {
    let Inverses { dst, status } = out;
    match a.n() {
        1 => each_lanes::<S, T, 1, 1>(simd, a, start, dst, status, ws),
        2 => each_lanes::<S, T, 2, 4>(simd, a, start, dst, status, ws),
        3 => each_lanes::<S, T, 3, 9>(simd, a, start, dst, status, ws),
        4 => each_lanes::<S, T, 4, 16>(simd, a, start, dst, status, ws),
        5 => each_lanes::<S, T, 5, 25>(simd, a, start, dst, status, ws),
        6 => each_lanes::<S, T, 6, 36>(simd, a, start, dst, status, ws),
        7 => each_lanes::<S, T, 7, 49>(simd, a, start, dst, status, ws),
        8 => each_lanes::<S, T, 8, 64>(simd, a, start, dst, status, ws),
        9 => each_lanes::<S, T, 9, 81>(simd, a, start, dst, status, ws),
        10 => each_lanes::<S, T, 10, 100>(simd, a, start, dst, status, ws),
        11 => each_lanes::<S, T, 11, 121>(simd, a, start, dst, status, ws),
        12 => each_lanes::<S, T, 12, 144>(simd, a, start, dst, status, ws),
        13 => each_lanes::<S, T, 13, 169>(simd, a, start, dst, status, ws),
        14 => each_lanes::<S, T, 14, 196>(simd, a, start, dst, status, ws),
        15 => each_lanes::<S, T, 15, 225>(simd, a, start, dst, status, ws),
        _ => each_lanes::<S, T, 16, 256>(simd, a, start, dst, status, ws),
    }
}

/// Real `N x N` matrices (`K = N * N` elements each), a SIMD group at a time; the last
/// partial group goes through the scalar kernel, which computes the same bits.
#[inline(always)]
fn each_lanes<S: Simd, T: Widened, const N: usize, const K: usize>(
    simd: S,
    a: &StackView<'_, T>,
    start: usize,
    dst: &mut [T],
    mut status: Option<&mut [Status]>,
    ws: &mut Workspace<T::Compute>,
) -> Result<(), Error> {
    debug_assert_eq!(K, N * N);
    let lanes = S::F64_LANES;
    let group = lanes * K;
    let whole = if lanes > 1 {
        dst.len() / group * group
    } else {
        0
    };
    let (body, tail) = dst.split_at_mut(whole);
    let st = status.as_deref_mut();
    match a.c_contiguous_start() {
        // C-contiguous stacks (the usual case): groups are contiguous blocks, read and
        // written by whole-row transposes.
        Some(base) => {
            let src = base.wrapping_add(start * K);
            if let Some((src, body)) = as_real::<T, f64>(src, body) {
                lanes_contiguous::<S, f64, N, K>(simd, src, start, body, st)?;
            } else if let Some((src, body)) = as_real::<T, f32>(src, body) {
                lanes_contiguous::<S, f32, N, K>(simd, src, start, body, st)?;
            } else {
                lanes_strided::<S, T, N>(simd, a, start, body, st)?;
            }
        }
        None => lanes_strided::<S, T, N>(simd, a, start, body, st)?,
    }
    let rest = start + whole / K;
    let status = status.map(|st| &mut st[whole / K..]);
    let tail = Inverses { dst: tail, status };
    if N <= 4 {
        stack_loop(a, rest, tail, invert_tiny::<T, N>)
    } else {
        stack_loop(
            a,
            rest,
            tail,
            #[inline(always)]
            |m, d| invert_lu_getri(m, N, d, ws),
        )
    }
}

/// `src` and `dst` as `E` when `T` is `E`.
#[inline(always)]
fn as_real<T: Widened, E: lanes::Real>(
    src: *const T,
    dst: &mut [T],
) -> Option<(*const E, &mut [E])> {
    (core::any::TypeId::of::<T>() == core::any::TypeId::of::<E>()).then(|| {
        // SAFETY: T is E, so this is the same slice.
        let dst =
            unsafe { core::slice::from_raw_parts_mut(dst.as_mut_ptr().cast::<E>(), dst.len()) };
        (src.cast::<E>(), dst)
    })
}

/// Whole groups of a C-contiguous stack whose matrix `start` is at `src`, into `body`.
#[inline(always)]
fn lanes_contiguous<S: Simd, E: lanes::Real + Widened, const N: usize, const K: usize>(
    simd: S,
    src: *const E,
    start: usize,
    body: &mut [E],
    mut status: Option<&mut [Status]>,
) -> Result<(), Error> {
    let lanes = S::F64_LANES;
    let group = lanes * K;
    let groups = body.len() / group;
    let out = body.as_mut_ptr();
    // Memory is fetched about 2 KB ahead (the group after next for 4x4, the next one for
    // 8x8): the hardware prefetcher alone left 1e6 3x3 and 4x4 inversions 1.4x slower (a
    // reused output buffer) and 1.2x slower (fresh memory) than with it; further ahead
    // was no better.
    let ahead = (2048 / (group * core::mem::size_of::<E>())).clamp(1, 8);
    for g in 0..groups {
        let (src, out) = (src.wrapping_add(g * group), out.wrapping_add(g * group));
        if g + ahead < groups {
            crate::layout::prefetch(src.wrapping_add(ahead * group), group);
            crate::layout::prefetch(out.wrapping_add(ahead * group), group);
        }
        // SAFETY: group g lies inside the view (whole groups of matrices start..) and
        // inside `body`.
        let fields = unsafe { lanes::load_records::<S, E, K>(simd, src) };
        let mut x: lanes::Group<S, N> =
            core::array::from_fn(|j| core::array::from_fn(|i| fields[i * N + j]));
        let special = nonfinite_lanes::<S, N>(simd, &x) | out_of_range_lanes::<S, N>(simd, &x);
        let zero = lanes::invert::<S, N>(simd, &mut x);
        let mut zero = lane_values::<S>(zero);
        let fields: [S::f64s; K] = core::array::from_fn(|f| x[f % N][f / N]);
        // SAFETY: as above.
        unsafe { lanes::store_records::<S, E, K>(&fields, out) };
        if special != 0 {
            // SAFETY: the group's outputs were just written, inside `body`; matrix
            // start + g * lanes + l of the C-contiguous stack.
            let outs = unsafe { core::slice::from_raw_parts_mut(out, group) };
            redo_nonfinite::<E, N>(
                special,
                &mut zero,
                outs,
                // SAFETY: record l < lanes of the group starts at src + l * K, inside the
                // C-contiguous stack, N x N row-major.
                |l| unsafe { MatrixPtr::row_major(src.wrapping_add(l * K), N) },
            );
        }
        first_singular(&zero[..lanes], start + g * lanes, status.is_none())?;
        if let Some(st) = status.as_deref_mut() {
            // SAFETY: the group's outputs were just written, inside `body`.
            let outs = unsafe { core::slice::from_raw_parts_mut(out, group) };
            for (l, out) in outs.chunks_exact_mut(K).enumerate() {
                // SAFETY: matrix start + g * lanes + l of the C-contiguous stack.
                let m = unsafe { MatrixPtr::row_major(src.wrapping_add(l * K), N) };
                st[g * lanes + l] = lane_status(zero[l], m, N, out);
            }
        }
    }
    Ok(())
}

/// Whole groups of any stack into `body`, each matrix gathered element by element.
#[inline(always)]
fn lanes_strided<S: Simd, T: Widened, const N: usize>(
    simd: S,
    a: &StackView<'_, T>,
    start: usize,
    body: &mut [T],
    mut status: Option<&mut [Status]>,
) -> Result<(), Error> {
    let lanes = S::F64_LANES;
    let group = lanes * N * N;
    let whole = body.len();
    let mut matrices = a.matrices(start);
    let mut next_group = || {
        let first = matrices.next().expect("endless");
        let mut ms = [first; lanes::MAX_LANES];
        for m in &mut ms[1..lanes] {
            *m = matrices.next().expect("endless");
        }
        ms
    };
    let mut next = next_group();
    let body_start = body.as_ptr();
    for (g, out) in body.chunks_exact_mut(group).enumerate() {
        let ms = next;
        // The next group's matrices are fetched while this group computes (see
        // `lanes_contiguous`). The pointers past the last group are only prefetched, never
        // read.
        next = next_group();
        if N >= 5 {
            next[..lanes].iter().for_each(|m| m.prefetch(N));
            // And its output: stores that miss the cache stall once the store buffer fills.
            if (g + 2) * group <= whole {
                let next_out = body_start.wrapping_add((g + 1) * group);
                crate::layout::prefetch(next_out, group);
            }
        }
        let mut x: lanes::Group<S, N> = [[simd.splat_f64s(0.0); N]; N];
        for (j, col) in x.iter_mut().enumerate() {
            for (i, v) in col.iter_mut().enumerate() {
                // SAFETY: i, j < N = n, inside the matrix.
                *v = lanes::from_fn::<S>(|l| unsafe { ms[l].get(i, j) }.to_compute().re());
            }
        }
        let special = nonfinite_lanes::<S, N>(simd, &x) | out_of_range_lanes::<S, N>(simd, &x);
        let zero = lanes::invert::<S, N>(simd, &mut x);
        let mut zero = lane_values::<S>(zero);
        let xs: &[f64] = bytemuck::cast_slice(x.as_flattened());
        for (l, out) in out.chunks_exact_mut(N * N).enumerate() {
            for (i, row) in out.chunks_exact_mut(N).enumerate() {
                for (j, d) in row.iter_mut().enumerate() {
                    *d = T::from_compute(T::Compute::from_re(xs[(j * N + i) * lanes + l]));
                }
            }
        }
        if special != 0 {
            redo_nonfinite::<T, N>(special, &mut zero, out, |l| ms[l]);
        }
        first_singular(&zero[..lanes], start + g * lanes, status.is_none())?;
        for (l, out) in out.chunks_exact_mut(N * N).enumerate() {
            if let Some(st) = status.as_deref_mut() {
                st[g * lanes + l] = lane_status(zero[l], ms[l], N, out);
            }
        }
    }
    Ok(())
}

/// The lanes of a gathered group whose matrix holds NaN or an infinity, as a bit mask
/// (and, harmlessly, lanes whose finite entries sum beyond double's range). The lanes
/// kernel's branch-free pivot search does not pick NaN pivots where numpy's OpenBLAS does,
/// nor give zero multipliers under an infinite pivot as getf2 does: those matrices go to
/// the scalar kernel, which follows both (`kernels::amax`, `lu_getri`) and gives finite
/// matrices the lanes kernel's bits. A lane's sum of entries is NaN or infinite when one of
/// them is, and `t - t` is 0 for finite `t`, NaN otherwise. One sum per row, added up at
/// the end: N independent chains, where one chain of N^2 dependent additions (of `v - v`
/// each) made 8x8 stacks slower.
#[inline(always)]
fn nonfinite_lanes<S: Simd, const N: usize>(simd: S, x: &lanes::Group<S, N>) -> u32 {
    let mut rows = [simd.splat_f64s(0.0); N];
    for col in x {
        for (acc, &v) in rows.iter_mut().zip(col) {
            *acc = simd.add_f64s(*acc, v);
        }
    }
    let total = rows
        .into_iter()
        .fold(simd.splat_f64s(0.0), |t, r| simd.add_f64s(t, r));
    let check = simd.sub_f64s(total, total);
    if !simd.reduce_sum_f64s(check).is_nan() {
        return 0;
    }
    let check = lane_values::<S>(check);
    (0..S::F64_LANES).fold(0, |mask, l| mask | (u32::from(check[l].is_nan()) << l))
}

/// From n = 9, the lanes of a gathered group whose largest entry is near overflow or
/// underflow (where `scaling::scale_for` scales), as a bit mask: the scalar kernel inverts them again, scaled by a power of two first, as
/// Gauss-Jordan did for these orders before. None for n <= 8 (LU there overflows as
/// numpy's).
#[inline(always)]
fn out_of_range_lanes<S: Simd, const N: usize>(simd: S, x: &lanes::Group<S, N>) -> u32 {
    if N <= 8 {
        return 0;
    }
    let mut big = simd.splat_f64s(0.0);
    for col in x {
        for &v in col {
            big = simd.max_f64s(big, simd.abs_f64s(v));
        }
    }
    let big = lane_values::<S>(big);
    (0..S::F64_LANES).fold(0, |mask, l| {
        // `scale_for`'s own test (its log2 rounds up just below 2^601): a lane it would
        // scale is never left to the unscaled lanes result.
        let b = big[l];
        let scaled = b > 0.0 && !(-600..=600).contains(&(b.log2().floor() as i32));
        mask | (u32::from(scaled) << l)
    })
}

/// The lanes of `v`, in an array of the widest lane count.
#[inline(always)]
fn lane_values<S: Simd>(v: S::f64s) -> [f64; lanes::MAX_LANES] {
    let mut out = [0.0; lanes::MAX_LANES];
    let lanes: &[f64] = bytemuck::cast_slice(core::slice::from_ref(&v));
    out[..lanes.len()].copy_from_slice(lanes);
    out
}

/// Inverts again, with the scalar kernel, the lanes of `special` (non-finite, or out of
/// range from n = 9; matrix `matrix(l)`,
/// output `outs[l * N * N..]`), and records their zero pivots (-1: none) in `zero`. Kept
/// out of the SIMD loop (rare, and inlined there its frames overflowed the stack of the
/// doctests' builds).
#[cold]
#[inline(never)]
fn redo_nonfinite<T: Widened, const N: usize>(
    special: u32,
    zero: &mut [f64; lanes::MAX_LANES],
    outs: &mut [T],
    matrix: impl Fn(usize) -> MatrixPtr<T>,
) {
    for (l, out) in outs.chunks_exact_mut(N * N).enumerate() {
        if special & (1 << l) != 0 {
            zero[l] = match invert_tiny::<T, N>(matrix(l), out) {
                Ok(()) => -1.0,
                Err(k) => k as f64,
            };
        }
    }
}

/// Without per-matrix status, the first lane of a group (matrix `first + lane`) that met
/// a zero pivot (`zero[lane] >= 0`) stops the call.
#[inline(always)]
fn first_singular(zero: &[f64], first: usize, stop: bool) -> Result<(), Error> {
    match zero.iter().position(|&z| z >= 0.0) {
        Some(l) if stop => Err(Error::Singular {
            matrix: first + l,
            pivot: zero[l] as usize + 1,
        }),
        _ => Ok(()),
    }
}

/// The status of one lane's matrix `m`, whose inverse `out` was just written (NaN from now
/// on when it was singular).
#[inline(always)]
fn lane_status<T: Widened>(zero: f64, m: MatrixPtr<T>, n: usize, out: &mut [T]) -> Status {
    if zero >= 0.0 {
        fill_nan(out);
        Status::singular(zero as usize)
    } else {
        Status::inverted(m, n, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mask flags exactly the lanes holding NaN or an infinity, wherever it sits, and
    /// lanes whose finite entries sum beyond double's range.
    fn check_mask<S: Simd>(simd: S) {
        const N: usize = 3;
        let lanes = S::F64_LANES;
        for (value, flagged) in [
            (f64::NAN, true),
            (f64::INFINITY, true),
            (f64::NEG_INFINITY, true),
            (f64::MAX, true), // with the other entries of 1, the sum overflows
            (1e300, false),
        ] {
            for lane in 0..lanes {
                for at in 0..N * N {
                    let x: lanes::Group<S, N> = core::array::from_fn(|j| {
                        core::array::from_fn(|i| {
                            lanes::from_fn::<S>(|l| {
                                let hit = l == lane && i * N + j == at;
                                if hit {
                                    value
                                } else if value == f64::MAX {
                                    f64::MAX
                                } else {
                                    1.0
                                }
                            })
                        })
                    });
                    let want = if flagged { 1 << lane } else { 0 };
                    let want = if value == f64::MAX {
                        (1 << lanes) - 1
                    } else {
                        want
                    };
                    assert_eq!(
                        nonfinite_lanes::<S, N>(simd, &x),
                        want,
                        "{value} {lane} {at}"
                    );
                }
            }
        }
    }

    struct CheckMask;
    impl pulp::WithSimd for CheckMask {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: Simd>(self, simd: S) {
            check_mask(simd);
        }
    }

    #[test]
    fn nonfinite_mask_flags_exactly_the_nonfinite_lanes() {
        pulp::Arch::new().dispatch(CheckMask);
        check_mask(pulp::Scalar::new());
    }

    #[test]
    fn flagged_lanes_get_the_bits_of_one_matrix_alone() {
        // Matrices with NaN, an infinity, or finite entries whose sum overflows go to the
        // scalar kernel; every matrix of the stack must get what it gets inverted alone.
        let n = 6;
        let count = 21;
        let mut state = 0x1234_5678_9abc_def1u64;
        let mut a: Vec<f64> = (0..count * n * n)
            .map(|k| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 11) as f64 / (1u64 << 53) as f64
                    + if k % (n + 1) == 0 { 2.0 } else { 0.0 }
            })
            .collect();
        a[3 * n * n..4 * n * n].iter_mut().for_each(|v| *v *= 1e307);
        a[5 * n * n + 7] = f64::NAN;
        a[9 * n * n + 20] = f64::INFINITY;
        a[12 * n * n] = f64::NEG_INFINITY;
        let opts = crate::InvOptions::default();
        let view = StackView::c_contiguous(&a, &[count, n, n]).unwrap();
        let (x, status) = crate::inv_ex(&view, &opts).unwrap();
        for m in 0..count {
            let one = &a[m * n * n..(m + 1) * n * n];
            let view = StackView::c_contiguous(one, &[1, n, n]).unwrap();
            let (y, s) = crate::inv_ex(&view, &opts).unwrap();
            let got = &x[m * n * n..(m + 1) * n * n];
            let same = got
                .iter()
                .zip(&y)
                .all(|(p, q)| p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()));
            assert!(same, "matrix {m}: {got:?} against {y:?}");
            assert_eq!(status[m].info, s[0].info, "matrix {m}");
        }
    }
}
