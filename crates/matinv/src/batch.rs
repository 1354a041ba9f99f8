//! Dispatch over a stack: picks a kernel by size, runs matrices in parallel over the batch
//! (small and mid sizes) or threads inside one matrix (large sizes), and gathers strided
//! input / scatters C-contiguous output one matrix at a time, so nothing is copied whole.

use crate::element::{Element, Field};
use crate::kernels::{gauss_jordan, gauss_jordan_blocked, lanes, unblocked, zeros, ZeroPivot};
use crate::layout::{MatrixPtr, StackView};
use crate::status::{fill_nan, Status};
use crate::Error;
use faer::Par;
use pulp::{bytemuck, Simd};
use rayon::prelude::*;

/// Tuning knobs, with defaults measured on the development machines (2 cores).
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// Stacks of matrices of at least this order run one matrix at a time, all threads
    /// inside each; smaller ones run one matrix per thread. (The structured inverses
    /// follow the same rule, and the one below.)
    pub parallel_min_n: usize,
    /// A single real matrix of at least this order uses all threads inside it, and so does
    /// each matrix of a stack with fewer matrices than threads; complex ones from 0.6 of
    /// it (4x the flops). (Blocked Gauss-Jordan, 2 threads against one: n = 512 4.5
    /// against 5.6 ms, n = 384 even; complex n = 256 2.4 against 2.7 ms. The structured
    /// inverses gained 1.0-1.5x from threads at n = 448..767 too, none lost.)
    pub single_parallel_min_n: usize,
    /// Complex matrices up to this order (and real ones not taken by the kernels below) use
    /// the unblocked, cache-resident LU kernel (getf2's evaluation order, as numpy's LAPACK
    /// uses up to n = 32); larger ones blocked Gauss-Jordan.
    pub unblocked_max_n: usize,
    /// Real matrices up to this order (at most 8) are inverted a SIMD group at a time, one
    /// per vector lane.
    pub lanes_max_n: usize,
    /// Larger real matrices up to this order use unblocked in-place Gauss-Jordan
    /// elimination (long vector loops, cache-resident); larger ones blocked Gauss-Jordan,
    /// which was faster from n = 64 on (one thread, in cache: n = 64 44 against 55 us,
    /// n = 96 92 against 187 us, n = 128 170 against 340 us).
    pub gauss_jordan_max_n: usize,
    /// Columns per block of blocked Gauss-Jordan; 0 picks by order
    /// ([`gauss_jordan_blocked::default_block`]).
    pub block_size: usize,
    /// Roughly how many flops one parallel task should hold, so that scheduling overhead
    /// stays invisible next to the work.
    pub task_flops: usize,
    /// Threads to use: 0 for every core (rayon's global pool), 1 for the calling thread only.
    pub num_threads: usize,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            parallel_min_n: 768,
            single_parallel_min_n: 448,
            unblocked_max_n: 32,
            lanes_max_n: 8,
            gauss_jordan_max_n: 64,
            block_size: 0,
            task_flops: 1 << 20,
            num_threads: 0,
        }
    }
}

/// Scratch for one task: kernels never allocate per matrix.
pub(crate) struct Workspace<F: Field> {
    /// A column-major copy for the unblocked LU kernel.
    lu: Vec<F>,
    perm: Vec<usize>,
    work: Vec<F>,
    /// A column-major copy and two columns for the real Gauss-Jordan kernel, grown on first
    /// use.
    real: Vec<f64>,
    /// The double-precision result of the blocked kernel, for single-precision output.
    inv: Vec<F>,
    blocked: Option<gauss_jordan_blocked::Workspace<F>>,
}

impl<F: Field> Workspace<F> {
    /// Room for the kernel that inverts matrices of order `n`; `with_inv` adds an `n x n`
    /// buffer for results that must be rounded before they are stored. Fails, rather than
    /// aborting the process, when the memory cannot be had.
    pub(crate) fn new(n: usize, with_inv: bool, params: &Params) -> Result<Self, Error> {
        let nn = n.checked_mul(n).ok_or(Error::TooLarge)?;
        let blocked = uses_blocked(n, F::REAL, params);
        // The unblocked LU kernel: its own sizes (not taken by Gauss-Jordan), and the lanes
        // kernel's, whose last partial group (and single matrices) it inverts.
        let real = F::REAL;
        let unblocked = n > 4
            && ((real && uses_lanes(n, params))
                || (n <= params.unblocked_max_n && !(real && uses_gauss_jordan(n, params))));
        Ok(Self {
            lu: zeros(if unblocked { nn } else { 0 })?,
            perm: zeros(n)?,
            work: zeros(2 * n)?,
            real: Vec::new(),
            inv: zeros(if blocked && with_inv { nn } else { 0 })?,
            blocked: match blocked {
                true => Some(gauss_jordan_blocked::Workspace::new(
                    n,
                    block_size(n, params),
                )?),
                false => None,
            },
        })
    }
}

/// The block width for order `n`.
pub(crate) fn block_size(n: usize, params: &Params) -> usize {
    match params.block_size {
        0 => gauss_jordan_blocked::default_block(n),
        b => b,
    }
}

/// Checks that `a` is square and that `out` (and `status`) have room for exactly its
/// result; resets `status`. Returns `(matrix count, n)`.
pub(crate) fn check_outputs<T: Element>(
    a: &StackView<'_, T>,
    out: &[T],
    status: Option<&mut [Status]>,
) -> Result<(usize, usize), Error> {
    let (count, n) = (a.len(), a.order()?);
    let expected = count * n * n;
    if out.len() != expected {
        return Err(Error::OutputLength {
            got: out.len(),
            expected,
        });
    }
    if let Some(st) = status {
        if st.len() != count {
            return Err(Error::OutputLength {
                got: st.len(),
                expected: count,
            });
        }
        // 0 x 0 matrices: nothing to invert, perfectly conditioned by convention.
        st.fill(Status {
            info: 0,
            rcond: if n == 0 { f64::INFINITY } else { 0.0 },
        });
    }
    Ok((count, n))
}

/// Inverts every matrix of `a` into the C-contiguous `out`. Without `status`, the first
/// singular matrix found stops everything with [`Error::Singular`]; with it, each matrix
/// gets its [`Status`] and singular ones an all-NaN inverse.
pub(crate) fn invert_stack<T: Element>(
    a: &StackView<'_, T>,
    out: &mut [T],
    mut status: Option<&mut [Status]>,
    params: &Params,
) -> Result<(), Error> {
    let (count, n) = check_outputs(a, out, status.as_deref_mut())?;
    if count * n == 0 {
        return Ok(());
    }
    let needs_inv = T::as_compute_mut(&mut out[..0]).is_none();
    let flops_per_matrix = 2 * n * n * n + 16;
    // Threads inside each matrix: stacks of large ones, or one matrix large enough.
    // (A stack with fewer matrices than threads counts as single ones: one thread per
    // matrix would leave threads idle.)
    let inside = threads_inside(count, n, T::Compute::REAL, params);
    // One thread when asked, when there is too little work to be worth waking others (each
    // hand-off costs microseconds), in a forked child, or when no pool runs: then no pool
    // is entered and rayon is not called at all.
    let team = if !inside && (count == 1 || count * flops_per_matrix < params.task_flops) {
        None
    } else {
        crate::threads::team(params.num_threads)
    };
    let Some(team) = team else {
        let mut ws = Workspace::new(n, needs_inv, params)?;
        return invert_run(a, 0, out, status, &mut ws, Par::Seq, params);
    };
    team.install(|| {
        if inside {
            // One matrix after the other, all threads inside each (each with its buffer
            // for faer's products).
            crate::kernels::gemm_buffer::reserve(Par::rayon(0))?;
            let mut ws = Workspace::new(n, needs_inv, params)?;
            return invert_run(a, 0, out, status, &mut ws, Par::rayon(0), params);
        }
        // Small and mid sizes: threads over the matrices, in tasks of about `task_flops`.
        let grain = (params.task_flops / flops_per_matrix).clamp(1, count);
        let init = || Workspace::new(n, needs_inv, params);
        let chunks = out.par_chunks_mut(grain * n * n).enumerate();
        // A workspace that could not be allocated fails its task (and so the call).
        match status {
            None => chunks.try_for_each_init(init, |ws, (chunk, dst)| {
                invert_run(
                    a,
                    chunk * grain,
                    dst,
                    None,
                    workspace(ws)?,
                    Par::Seq,
                    params,
                )
            }),
            Some(st) => chunks.zip(st.par_chunks_mut(grain)).try_for_each_init(
                init,
                |ws, ((chunk, dst), st)| {
                    invert_run(
                        a,
                        chunk * grain,
                        dst,
                        Some(st),
                        workspace(ws)?,
                        Par::Seq,
                        params,
                    )
                },
            ),
        }
    })
}

/// A task's workspace, or the allocation error that prevented it.
fn workspace<F: Field>(ws: &mut Result<Workspace<F>, Error>) -> Result<&mut Workspace<F>, Error> {
    ws.as_mut().map_err(|e| e.clone())
}

/// Inverts the consecutive matrices `start..` of `a` into `dst` (row-major, whole
/// matrices), choosing the kernel once for the run and the widest SIMD the CPU has.
pub(crate) fn invert_run<T: Element>(
    a: &StackView<'_, T>,
    start: usize,
    dst: &mut [T],
    status: Option<&mut [Status]>,
    ws: &mut Workspace<T::Compute>,
    par: Par,
    params: &Params,
) -> Result<(), Error> {
    let n = a.n();
    if T::Compute::REAL && (uses_lanes(n, params) || uses_gauss_jordan(n, params)) {
        // pulp picks the widest instruction set of this CPU at run time and compiles the
        // whole loop over the matrices (gathers and scatters included) for it.
        let run = SimdRun {
            a,
            start,
            dst,
            status,
            ws,
            params,
        };
        return pulp::Arch::new().dispatch(run);
    }
    // The other kernels are generic and inlined into these wrappers, so LLVM vectorises
    // them for the instruction set of each; one build runs on any x86-64.
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2<T: Element>(
            a: &StackView<'_, T>,
            start: usize,
            dst: &mut [T],
            status: Option<&mut [Status]>,
            ws: &mut Workspace<T::Compute>,
            par: Par,
            params: &Params,
        ) -> Result<(), Error> {
            invert_run_generic::<T>(a, start, dst, status, ws, par, params)
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the features were just detected on this CPU.
            return unsafe { avx2(a, start, dst, status, ws, par, params) };
        }
    }
    invert_run_generic::<T>(a, start, dst, status, ws, par, params)
}

#[inline(always)]
fn invert_run_generic<T: Element>(
    a: &StackView<'_, T>,
    start: usize,
    dst: &mut [T],
    status: Option<&mut [Status]>,
    ws: &mut Workspace<T::Compute>,
    par: Par,
    params: &Params,
) -> Result<(), Error> {
    let n = a.n();
    match n {
        1 => each(a, start, dst, status, invert_tiny::<T, 1>),
        2 => each(a, start, dst, status, invert_tiny::<T, 2>),
        3 => each(a, start, dst, status, invert_tiny::<T, 3>),
        4 => each(a, start, dst, status, invert_tiny::<T, 4>),
        // (Closures inlined by force, as in `SimdRun`: into the AVX2 wrapper.)
        _ if n <= params.unblocked_max_n => each(
            a,
            start,
            dst,
            status,
            #[inline(always)]
            |m, d| invert_unblocked(m, n, d, ws),
        ),
        _ => each(a, start, dst, status, |m, d| {
            invert_blocked(m, n, d, ws, par)
        }),
    }
}

/// Real matrices inverted a SIMD group at a time.
fn uses_lanes(n: usize, params: &Params) -> bool {
    n <= params.lanes_max_n.min(lanes::MAX_N)
}

/// Real matrices inverted by Gauss-Jordan elimination. (Its right-looking order does not
/// cost agreement with numpy on exactly singular matrices: on 1,861 low-rank integer
/// matrices with n = 9..32, numpy and matinv disagreed about raising on 252 through it and
/// on 362 through the left-looking LU kernel.)
fn uses_gauss_jordan(n: usize, params: &Params) -> bool {
    !uses_lanes(n, params) && n <= params.gauss_jordan_max_n
}

/// Matrices inverted by blocked Gauss-Jordan elimination (the kernels above take the
/// others).
pub(crate) fn uses_blocked(n: usize, real: bool, params: &Params) -> bool {
    n > 4
        && n > params.unblocked_max_n
        && !(real && (uses_lanes(n, params) || uses_gauss_jordan(n, params)))
}

/// Whether each of `count` matrices of order `n` runs with all threads inside it (rather
/// than one matrix per thread): stacks of large ones, and single ones (or fewer than
/// threads) large enough to gain from them.
pub(crate) fn threads_inside(count: usize, n: usize, real: bool, params: &Params) -> bool {
    let threads = match params.num_threads {
        0 => crate::threads::default_num_threads(),
        t => t,
    };
    n >= params.parallel_min_n || (count < threads && single_uses_threads(n, real, params))
}

/// Whether one matrix of order `n` is worth all threads inside it.
fn single_uses_threads(n: usize, real: bool, params: &Params) -> bool {
    let equivalent = if real { n } else { n * 5 / 3 };
    uses_blocked(n, real, params) && equivalent >= params.single_parallel_min_n
}

/// The arguments of [`invert_run`] for the real kernels written with pulp's vector types,
/// run by pulp with the CPU's.
struct SimdRun<'r, 'v, T: Element> {
    a: &'r StackView<'v, T>,
    start: usize,
    dst: &'r mut [T],
    status: Option<&'r mut [Status]>,
    ws: &'r mut Workspace<T::Compute>,
    params: &'r Params,
}

impl<T: Element> pulp::WithSimd for SimdRun<'_, '_, T> {
    type Output = Result<(), Error>;

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> Self::Output {
        let SimdRun {
            a,
            start,
            dst,
            status,
            ws,
            params,
        } = self;
        let n = a.n();
        if !uses_lanes(n, params) {
            // Inlined by force: a closure compiled on its own would run outside pulp's
            // target features, with every vector intrinsic a function call (10x slower).
            return each(
                a,
                start,
                dst,
                status,
                #[inline(always)]
                |m, d| invert_gauss_jordan(simd, m, n, d, ws),
            );
        }
        match n {
            1 => each_lanes::<S, T, 1, 1>(simd, a, start, dst, status, ws),
            2 => each_lanes::<S, T, 2, 4>(simd, a, start, dst, status, ws),
            3 => each_lanes::<S, T, 3, 9>(simd, a, start, dst, status, ws),
            4 => each_lanes::<S, T, 4, 16>(simd, a, start, dst, status, ws),
            5 => each_lanes::<S, T, 5, 25>(simd, a, start, dst, status, ws),
            6 => each_lanes::<S, T, 6, 36>(simd, a, start, dst, status, ws),
            7 => each_lanes::<S, T, 7, 49>(simd, a, start, dst, status, ws),
            _ => each_lanes::<S, T, 8, 64>(simd, a, start, dst, status, ws),
        }
    }
}

/// Real `N x N` matrices (`K = N * N` elements each), a SIMD group at a time; the last
/// partial group goes through the scalar kernel, which computes the same bits.
#[inline(always)]
fn each_lanes<S: Simd, T: Element, const N: usize, const K: usize>(
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
    if N <= 4 {
        each(a, rest, tail, status, invert_tiny::<T, N>)
    } else {
        each(
            a,
            rest,
            tail,
            status,
            #[inline(always)]
            |m, d| invert_unblocked(m, N, d, ws),
        )
    }
}

/// `src` and `dst` as `E` when `T` is `E`.
#[inline(always)]
fn as_real<T: Element, E: lanes::Real>(
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
fn lanes_contiguous<S: Simd, E: lanes::Real + Element, const N: usize, const K: usize>(
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
        let special = nonfinite_lanes::<S, N>(simd, &x);
        let zero = lanes::invert::<S, N>(simd, &mut x);
        let mut zero = lane_values::<S>(zero);
        let fields: [S::f64s; K] = core::array::from_fn(|f| x[f % N][f / N]);
        // SAFETY: as above.
        unsafe { lanes::store_records::<S, E, K>(&fields, out) };
        if special != 0 {
            // SAFETY: the group's outputs were just written, inside `body`; matrix
            // start + g * lanes + l of the C-contiguous stack.
            let outs = unsafe { core::slice::from_raw_parts_mut(out, group) };
            redo_nonfinite::<E, N>(special, &mut zero, outs, |l| unsafe {
                MatrixPtr::row_major(src.wrapping_add(l * K), N)
            });
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
fn lanes_strided<S: Simd, T: Element, const N: usize>(
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
        let special = nonfinite_lanes::<S, N>(simd, &x);
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

/// The lanes of a gathered group whose matrix holds NaN or an infinity, as a bit mask.
/// The lanes kernel's branch-free pivot search does not pick NaN pivots where numpy's
/// OpenBLAS does, nor give zero multipliers under an infinite pivot as getf2 does: those
/// matrices go to the scalar kernel, which follows both (`kernels::amax`, `unblocked`).
/// `v - v` is 0 for finite `v` and NaN otherwise; NaN survives the sum.
#[inline(always)]
fn nonfinite_lanes<S: Simd, const N: usize>(simd: S, x: &lanes::Group<S, N>) -> u32 {
    let mut acc = simd.splat_f64s(0.0);
    for col in x {
        for &v in col {
            acc = simd.add_f64s(acc, simd.sub_f64s(v, v));
        }
    }
    if !simd.reduce_sum_f64s(acc).is_nan() {
        return 0;
    }
    let acc = lane_values::<S>(acc);
    (0..S::F64_LANES).fold(0, |mask, l| mask | (u32::from(acc[l].is_nan()) << l))
}

/// The lanes of `v`, in an array of the widest lane count.
#[inline(always)]
fn lane_values<S: Simd>(v: S::f64s) -> [f64; lanes::MAX_LANES] {
    let mut out = [0.0; lanes::MAX_LANES];
    let lanes: &[f64] = bytemuck::cast_slice(core::slice::from_ref(&v));
    out[..lanes.len()].copy_from_slice(lanes);
    out
}

/// Inverts again, with the scalar kernel, the lanes of `special` (matrix `matrix(l)`,
/// output `outs[l * N * N..]`), and records their zero pivots (-1: none) in `zero`. Kept
/// out of the SIMD loop (rare, and inlined there its frames overflowed the stack of the
/// doctests' builds).
#[cold]
#[inline(never)]
fn redo_nonfinite<T: Element, const N: usize>(
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
fn lane_status<T: Element>(zero: f64, m: MatrixPtr<T>, n: usize, out: &mut [T]) -> Status {
    if zero >= 0.0 {
        fill_nan(out);
        Status::singular(zero as usize)
    } else {
        Status::inverted(m, n, out)
    }
}

/// Runs `kernel` on the matrices `start..` of `a`, one per `n x n` block of `dst`.
#[inline(always)]
fn each<T: Element>(
    a: &StackView<'_, T>,
    start: usize,
    dst: &mut [T],
    mut status: Option<&mut [Status]>,
    mut kernel: impl FnMut(MatrixPtr<T>, &mut [T]) -> Result<(), ZeroPivot>,
) -> Result<(), Error> {
    let n = a.n();
    // Mid sizes: the next matrix is fetched while this one is inverted (its rows are far
    // apart in a C-ordered stack read column by column). The pointer past the last matrix
    // is only prefetched, never read.
    let mut ahead = (9..=128).contains(&n).then(|| a.matrices(start + 1));
    for ((i, d), m) in dst
        .chunks_exact_mut(n * n)
        .enumerate()
        .zip(a.matrices(start))
    {
        if let Some(next) = ahead.as_mut().and_then(Iterator::next) {
            next.prefetch(n);
        }
        let result = kernel(m, d);
        match status.as_deref_mut() {
            None => result.map_err(|k| Error::Singular {
                matrix: start + i,
                pivot: k + 1,
            })?,
            Some(st) => {
                st[i] = match result {
                    Ok(()) => Status::inverted(m, n, d),
                    Err(k) => {
                        fill_nan(d);
                        Status::singular(k)
                    }
                }
            }
        }
    }
    Ok(())
}

/// One matrix through the kernel [`invert_run`] would give it (same bits: the lanes kernel
/// computes what the scalar ones do), for callers that pick kernels matrix by matrix.
pub(crate) fn invert_general<T: Element>(
    m: MatrixPtr<T>,
    n: usize,
    dst: &mut [T],
    ws: &mut Workspace<T::Compute>,
    par: Par,
    params: &Params,
) -> Result<(), ZeroPivot> {
    match n {
        1 => invert_tiny::<T, 1>(m, dst),
        2 => invert_tiny::<T, 2>(m, dst),
        3 => invert_tiny::<T, 3>(m, dst),
        4 => invert_tiny::<T, 4>(m, dst),
        _ if T::Compute::REAL && uses_gauss_jordan(n, params) => {
            struct One<'r, T: Element> {
                m: MatrixPtr<T>,
                n: usize,
                dst: &'r mut [T],
                ws: &'r mut Workspace<T::Compute>,
            }
            impl<T: Element> pulp::WithSimd for One<'_, T> {
                type Output = Result<(), ZeroPivot>;
                #[inline(always)]
                fn with_simd<S: Simd>(self, simd: S) -> Self::Output {
                    invert_gauss_jordan(simd, self.m, self.n, self.dst, self.ws)
                }
            }
            pulp::Arch::new().dispatch(One { m, n, dst, ws })
        }
        // The lanes kernel's sizes, one matrix: the scalar kernel computes the same bits.
        _ if n <= params.unblocked_max_n || (T::Compute::REAL && uses_lanes(n, params)) => {
            invert_unblocked(m, n, dst, ws)
        }
        _ => invert_blocked(m, n, dst, ws, par),
    }
}

/// A real matrix through [`gauss_jordan`], in a column-major copy of doubles.
#[inline(always)]
fn invert_gauss_jordan<S: Simd, T: Element>(
    simd: S,
    m: MatrixPtr<T>,
    n: usize,
    dst: &mut [T],
    ws: &mut Workspace<T::Compute>,
) -> Result<(), ZeroPivot> {
    if ws.real.len() < n * n + 2 * n {
        // Once per workspace (per thread and call); a failed allocation aborts, as any
        // growth of a Vec does, but this one is the size of a single matrix.
        ws.real.resize(n * n + 2 * n, 0.0);
    }
    let (x, f) = ws.real.split_at_mut(n * n);
    for_each_tile(n, |i, j| {
        // SAFETY: i, j < n, inside the matrix.
        x[i + j * n] = unsafe { m.get(i, j) }.to_compute().re();
    });
    // As for the blocked kernel: entries near overflow (or underflow) are first brought near 1
    // by a power of two, which is exact, and inv(A) = s inv(s A).
    let s = power_of_two_scale(x);
    if s != 1.0 {
        x.iter_mut().for_each(|v| *v *= s);
    }
    gauss_jordan::invert_in_place(simd, x, n, &mut ws.perm[..n], f)?;
    for_each_tile(n, |i, j| {
        dst[i * n + j] = T::from_compute(T::Compute::from_re(x[i + j * n] * s));
    });
    Ok(())
}

#[inline(always)]
fn invert_tiny<T: Element, const N: usize>(
    m: MatrixPtr<T>,
    dst: &mut [T],
) -> Result<(), ZeroPivot> {
    // Column-major in registers: a[j][i] is A[i, j].
    let mut a = [[T::Compute::ZERO; N]; N];
    for (j, col) in a.iter_mut().enumerate() {
        for (i, x) in col.iter_mut().enumerate() {
            // SAFETY: i, j < N = n, inside the matrix.
            *x = unsafe { m.get(i, j) }.to_compute();
        }
    }
    let mut piv = [0; N];
    let mut work = [[T::Compute::ZERO; N]; 2];
    unblocked::invert_in_place(a.as_flattened_mut(), N, &mut piv, work.as_flattened_mut())?;
    for (i, row) in dst.chunks_exact_mut(N).enumerate() {
        for (j, d) in row.iter_mut().enumerate() {
            *d = T::from_compute(a[j][i]);
        }
    }
    Ok(())
}

#[inline(always)]
fn invert_unblocked<T: Element>(
    m: MatrixPtr<T>,
    n: usize,
    dst: &mut [T],
    ws: &mut Workspace<T::Compute>,
) -> Result<(), ZeroPivot> {
    let a = &mut ws.lu[..n * n];
    for (j, col) in a.chunks_exact_mut(n).enumerate() {
        for (i, x) in col.iter_mut().enumerate() {
            // SAFETY: i, j < n, inside the matrix.
            *x = unsafe { m.get(i, j) }.to_compute();
        }
    }
    unblocked::invert_in_place(a, n, &mut ws.perm[..n], &mut ws.work[..2 * n])?;
    for (i, row) in dst.chunks_exact_mut(n).enumerate() {
        for (j, d) in row.iter_mut().enumerate() {
            *d = T::from_compute(a[i + j * n]);
        }
    }
    Ok(())
}

/// A matrix through [`gauss_jordan_blocked`], in place in the row-major output (or, for
/// single precision, in a double-precision copy rounded once at the end).
fn invert_blocked<T: Element>(
    m: MatrixPtr<T>,
    n: usize,
    dst: &mut [T],
    ws: &mut Workspace<T::Compute>,
    par: Par,
) -> Result<(), ZeroPivot> {
    let Workspace { inv, blocked, .. } = ws;
    let blocked = blocked
        .as_mut()
        .filter(|b| b.order() == n)
        .expect("a blocked workspace of this order");
    let mut invert = |x: &mut [T::Compute]| {
        let s = gather_scaled(m, n, x, par);
        gauss_jordan_blocked::invert_in_place(x, par, blocked).map(|()| s)
    };
    match T::as_compute_mut(dst) {
        Some(x) => {
            let s = invert(x)?;
            if s != 1.0 {
                x.iter_mut().for_each(|v| *v = v.scale(s));
            }
        }
        // Single precision: invert in double, round once.
        None => {
            let x = &mut inv[..n * n];
            let s = invert(x)?;
            for (d, v) in dst.iter_mut().zip(x.iter()) {
                *d = T::from_compute(v.scale(s));
            }
        }
    }
    Ok(())
}

/// Copies matrix `m` into the row-major `x` in double precision and returns the scale
/// it was multiplied by: blocked kernels sum many products at once, so entries near
/// overflow (or underflow) are first brought near 1 by a power of two, which is exact, and
/// inv(A) = s inv(s A). With threads, row bands go to all of them (for n = 4096 the copy
/// and the scan took 50 ms on one thread).
fn gather_scaled<T: Element>(m: MatrixPtr<T>, n: usize, x: &mut [T::Compute], par: Par) -> f64 {
    const BAND: usize = 64;
    let band = |(b, x): (usize, &mut [T::Compute])| {
        let rows = b * BAND..(b * BAND + BAND).min(n);
        // SAFETY: the view's matrices are n x n, and the band is within them.
        unsafe { m.gather_row_major(n, rows, x, T::to_compute) };
        magnitude_range(x)
    };
    let x = &mut x[..n * n];
    let (big, small) = if par.degree() > 1 {
        use rayon::prelude::*;
        x.par_chunks_mut(BAND * n).enumerate().map(band).reduce(
            || (0.0f64, f64::INFINITY),
            |p, q| (p.0.max(q.0), p.1.min(q.1)),
        )
    } else {
        x.chunks_mut(BAND * n)
            .enumerate()
            .map(band)
            .fold((0.0f64, f64::INFINITY), |p, q| (p.0.max(q.0), p.1.min(q.1)))
    };
    let s = scale_for(big, small);
    if s != 1.0 {
        x.iter_mut().for_each(|v| *v = v.scale(s));
    }
    s
}

/// Calls `f(i, j)` for every `i, j < n`, in square tiles that fit in L1 together with their
/// transpose, so that copies between row- and column-major layouts stay cache-friendly.
#[inline(always)]
pub(crate) fn for_each_tile(n: usize, mut f: impl FnMut(usize, usize)) {
    const TILE: usize = 32;
    for j0 in (0..n).step_by(TILE) {
        for i0 in (0..n).step_by(TILE) {
            for j in j0..(j0 + TILE).min(n) {
                for i in i0..(i0 + TILE).min(n) {
                    f(i, j);
                }
            }
        }
    }
}

/// 1, or a power of two `s` such that `s A` has no entry beyond 2^±600 (so that sums of
/// products can neither overflow nor underflow), chosen without pushing the smallest
/// nonzero entry below 2^-1000 or the largest above 2^1000; 1 when no such `s` exists.
pub(crate) fn power_of_two_scale<F: Field>(a: &[F]) -> f64 {
    let (big, small) = magnitude_range(a);
    scale_for(big, small)
}

/// The largest and the smallest nonzero component magnitude of `a` (NaN is neither).
fn magnitude_range<F: Field>(a: &[F]) -> (f64, f64) {
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
fn scale_for(big: f64, small: f64) -> f64 {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries near the largest double: every kernel brings them near 1 first (otherwise
    /// sums of products overflow), so the inverse is the unscaled one's, scaled back.
    #[test]
    fn entries_near_overflow_are_scaled_first() {
        let params = Params {
            num_threads: 1,
            ..Params::default()
        };
        for n in [9, 40, 128, 200] {
            let a = crate::kernels::test_matrix(n, n as u64, 3.0);
            let big: Vec<f64> = a.iter().map(|v| v * 2f64.powi(1020)).collect();
            let (mut x, mut y) = (vec![0.0; n * n], vec![0.0; n * n]);
            crate::inv_into_with(
                &StackView::c_contiguous(&a, &[n, n]).unwrap(),
                &mut x,
                &params,
            )
            .unwrap();
            crate::inv_into_with(
                &StackView::c_contiguous(&big, &[n, n]).unwrap(),
                &mut y,
                &params,
            )
            .unwrap();
            for (p, q) in x.iter().zip(&y) {
                let q = q * 2f64.powi(1020);
                assert!(
                    (p - q).abs() <= 1e-12 * p.abs().max(1e-3),
                    "n = {n}: {p} against {q}"
                );
            }
        }
    }
}
