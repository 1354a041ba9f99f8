//! The general inverse (LU semantics, numpy's `inv`) of a stack: the [`StackJob`] the
//! driver runs, the dispatch from the [`KernelPlan`] to a kernel, and the per-matrix
//! adapters that gather each strided matrix into the layout its kernel wants and scatter
//! the C-contiguous inverse, one matrix at a time, so nothing is copied whole.

mod lanes_stack;
mod workspace;

pub(crate) use workspace::Workspace;

use crate::crew::{with_helpers, Crew, SharedSlice};
use crate::driver::{self, each_matrix, Failure, Inverses, StackJob};
use crate::element::{Field, Widened};
use crate::kernels::{gauss_jordan, gauss_jordan_blocked, lu_getri, ZeroPivot};
use crate::layout::{MatrixPtr, StackView};
use crate::params::Params;
use crate::plan::{threads_inside, Kernel, KernelPlan, Threading};
use crate::scaling::{magnitude_range, power_of_two_scale, scale_for};
use crate::simd::IsaRun;
use crate::status::Status;
use crate::tiling::for_each_tile;
use crate::Error;
use faer::Par;
use pulp::Simd;
use std::sync::{Mutex, PoisonError};

/// Inverts every matrix of `a` into the C-contiguous `out`. Without `status`, the first
/// singular matrix found stops everything with [`Error::Singular`]; with it, each matrix
/// gets its [`Status`] and singular ones an all-NaN inverse.
pub(crate) fn invert_stack<T: Widened>(
    a: &StackView<'_, T>,
    out: &mut [T],
    mut status: Option<&mut [Status]>,
    params: &Params,
) -> Result<(), Error> {
    let (count, n) = driver::check_outputs(a, out, status.as_deref_mut())?;
    if count * n == 0 {
        return Ok(());
    }
    let real = T::Compute::REAL;
    let job = General {
        a,
        plan: KernelPlan::new(n, real, params),
        needs_inv: T::as_compute_mut(&mut out[..0]).is_none(),
        params,
    };
    // Threads inside each matrix: stacks of large ones, or one matrix large enough.
    // (A stack with fewer matrices than threads counts as single ones: one thread per
    // matrix would leave threads idle.)
    let inside = threads_inside(count, n, real, params);
    let threading = Threading::inversion(count, 2 * n * n * n + 16, inside, params);
    driver::run_stack(&job, Inverses { dst: out, status }, count, threading)
}

/// The general path's job: a stack and its plan.
struct General<'r, 'v, T: Widened> {
    a: &'r StackView<'v, T>,
    plan: KernelPlan,
    /// Single precision: blocked results are computed in a double-precision buffer.
    needs_inv: bool,
    params: &'r Params,
}

impl<T: Widened> StackJob for General<'_, '_, T> {
    type Out<'o> = Inverses<'o, T>;
    type Workspace = Workspace<T::Compute>;

    fn split<'o>(&self, out: Self::Out<'o>, matrices: usize) -> (Self::Out<'o>, Self::Out<'o>) {
        out.split(matrices, self.plan.n)
    }

    fn crews_only(&self) -> bool {
        true
    }

    fn workspace(&self, _matrices: usize, par: Par) -> Result<Self::Workspace, Error> {
        if matches!(par, Par::Rayon(_)) && self.plan.kernel == Kernel::GaussJordanBlocked {
            // Threads inside each matrix, each with its buffer for faer's products.
            crate::kernels::gemm_buffer::reserve(par)?;
        }
        Workspace::new(&self.plan, self.needs_inv, self.params)
    }

    fn run(
        &self,
        start: usize,
        out: Inverses<'_, T>,
        ws: &mut Self::Workspace,
        par: Par,
    ) -> Result<(), Error> {
        invert_run(self.a, start, out, ws, &self.plan, par)
    }
}

/// Inverts the consecutive matrices `start..` of `a` into `out` with the kernel of `plan`:
/// the pulp-written ones on the widest SIMD of the plan's `pulp_isa` (the CPU's, capped by
/// `MATINV_ISA`; pulp compiles the whole loop over the matrices, gathers and scatters
/// included, for it), the others inlined into a copy for the plan's instruction set.
pub(crate) fn invert_run<T: Widened>(
    a: &StackView<'_, T>,
    start: usize,
    out: Inverses<'_, T>,
    ws: &mut Workspace<T::Compute>,
    plan: &KernelPlan,
    par: Par,
) -> Result<(), Error> {
    let run = Run {
        a,
        start,
        out,
        ws,
        plan,
        par,
    };
    if plan.kernel.uses_pulp() {
        plan.pulp_isa.dispatch(run)
    } else {
        plan.isa.run(run)
    }
}

/// The arguments of [`invert_run`], run by pulp ([`pulp::WithSimd`]) or under an
/// instruction set ([`IsaRun`]).
struct Run<'r, 'v, 'o, T: Widened> {
    a: &'r StackView<'v, T>,
    start: usize,
    out: Inverses<'o, T>,
    ws: &'r mut Workspace<T::Compute>,
    plan: &'r KernelPlan,
    par: Par,
}

impl<T: Widened> pulp::WithSimd for Run<'_, '_, '_, T> {
    type Output = Result<(), Error>;

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> Self::Output {
        let Run {
            a,
            start,
            out,
            ws,
            plan,
            par,
        } = self;
        let n = plan.n;
        if plan.kernel == Kernel::Lanes {
            return lanes_stack::run(simd, a, start, out, ws);
        }
        // Inlined by force: a closure compiled on its own would run outside pulp's
        // target features, with every vector intrinsic a function call (10x slower).
        stack_loop(
            a,
            start,
            out,
            #[inline(always)]
            |m, d| invert_gauss_jordan(simd, m, n, d, ws, plan.gauss_jordan_steps, par),
        )
    }
}

impl<T: Widened> IsaRun for Run<'_, '_, '_, T> {
    type Output = Result<(), Error>;

    #[inline(always)]
    fn run(self) -> Self::Output {
        let Run {
            a,
            start,
            out,
            ws,
            plan,
            par,
        } = self;
        let n = plan.n;
        match (plan.kernel, n) {
            (Kernel::Tiny, 1) => stack_loop(a, start, out, invert_tiny::<T, 1>),
            (Kernel::Tiny, 2) => stack_loop(a, start, out, invert_tiny::<T, 2>),
            (Kernel::Tiny, 3) => stack_loop(a, start, out, invert_tiny::<T, 3>),
            (Kernel::Tiny, _) => stack_loop(a, start, out, invert_tiny::<T, 4>),
            // (Closures inlined by force, as in pulp's run: into the instruction set's copy.)
            (Kernel::LuGetri, _) => stack_loop(
                a,
                start,
                out,
                #[inline(always)]
                |m, d| invert_lu_getri(m, n, d, ws),
            ),
            _ => stack_loop(a, start, out, |m, d| invert_blocked(m, n, d, ws, par)),
        }
    }
}

/// [`each_matrix`] for the LU-semantics kernels, with the general path's prefetch (mid
/// sizes) and its status.
#[inline(always)]
pub(super) fn stack_loop<T: Widened>(
    a: &StackView<'_, T>,
    start: usize,
    out: Inverses<'_, T>,
    mut kernel: impl FnMut(MatrixPtr<T>, &mut [T]) -> Result<(), ZeroPivot>,
) -> Result<(), Error> {
    let n = a.n();
    each_matrix(
        a,
        start,
        out,
        (9..=128).contains(&n),
        #[inline(always)]
        |_, m, d| kernel(m, d).map_err(Failure::ZeroPivot),
        |m, d, ()| Status::inverted(m, n, d),
    )
}

/// One matrix through the kernel a stack's plan would give it (same bits: the lanes kernel
/// computes what the scalar ones do), for callers that pick kernels matrix by matrix.
pub(crate) fn invert_one<T: Widened>(
    m: MatrixPtr<T>,
    dst: &mut [T],
    ws: &mut Workspace<T::Compute>,
    plan: &KernelPlan,
    par: Par,
) -> Result<(), ZeroPivot> {
    let n = plan.n;
    match plan.kernel.single(n) {
        Kernel::Tiny => match n {
            1 => invert_tiny::<T, 1>(m, dst),
            2 => invert_tiny::<T, 2>(m, dst),
            3 => invert_tiny::<T, 3>(m, dst),
            _ => invert_tiny::<T, 4>(m, dst),
        },
        Kernel::GaussJordan => {
            struct One<'r, T: Widened> {
                m: MatrixPtr<T>,
                n: usize,
                dst: &'r mut [T],
                ws: &'r mut Workspace<T::Compute>,
                steps: usize,
                par: Par,
            }
            impl<T: Widened> pulp::WithSimd for One<'_, T> {
                type Output = Result<(), ZeroPivot>;
                #[inline(always)]
                fn with_simd<S: Simd>(self, simd: S) -> Self::Output {
                    let One {
                        m,
                        n,
                        dst,
                        ws,
                        steps,
                        par,
                    } = self;
                    invert_gauss_jordan(simd, m, n, dst, ws, steps, par)
                }
            }
            let steps = plan.gauss_jordan_steps;
            plan.pulp_isa.dispatch(One {
                m,
                n,
                dst,
                ws,
                steps,
                par,
            })
        }
        Kernel::Lanes | Kernel::LuGetri => invert_lu_getri(m, n, dst, ws),
        Kernel::GaussJordanBlocked => invert_blocked(m, n, dst, ws, par),
    }
}

/// A real matrix through [`gauss_jordan`], in a column-major copy of doubles, on the
/// threads of `par` (its crew's, for one matrix: `plan::threads_inside`).
#[inline(always)]
fn invert_gauss_jordan<S: Simd, T: Widened>(
    simd: S,
    m: MatrixPtr<T>,
    n: usize,
    dst: &mut [T],
    ws: &mut Workspace<T::Compute>,
    steps: usize,
    par: Par,
) -> Result<(), ZeroPivot> {
    let threads = par.degree();
    // Threaded, the multipliers of two groups of steps.
    let scratch = n * n + if threads > 1 { 2 } else { 1 } * steps * n;
    if ws.real.len() < scratch {
        // Once per workspace (per thread and call); a failed allocation aborts, as any
        // growth of a Vec does, but this one is the size of a single matrix.
        ws.real.resize(scratch, 0.0);
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
    let (piv, rows) = ws.perm[..2 * n].split_at_mut(n);
    if threads > 1 {
        with_helpers(threads - 1, |crew| {
            gauss_jordan::invert_in_place_with_crew(simd, x, n, piv, rows, f, steps, crew, threads)
        })?;
    } else {
        gauss_jordan::invert_in_place(simd, x, n, piv, rows, f, steps)?;
    }
    // Row by row of the output, so that its stores are contiguous (the column-major
    // workspace, at most 72 KB, is read across from L1 and L2): written column by column, the
    // stores into the fresh output were the hottest loop of 16x16 stacks. Row i of the
    // inverse is where the kernel's row map says.
    for (row, &r) in dst[..n * n].chunks_exact_mut(n).zip(rows.iter()) {
        for (d, &v) in row.iter_mut().zip(x[r..].iter().step_by(n)) {
            *d = T::from_compute(T::Compute::from_re(v * s));
        }
    }
    Ok(())
}

/// An `N x N` matrix through [`lu_getri`] unrolled for its order, in registers.
#[inline(always)]
pub(super) fn invert_tiny<T: Widened, const N: usize>(
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
    let s = scale_real_beyond_8(a.as_flattened_mut(), N);
    let mut piv = [0; N];
    let mut work = [[T::Compute::ZERO; N]; 2];
    lu_getri::invert_in_place(a.as_flattened_mut(), N, &mut piv, work.as_flattened_mut())?;
    for (i, row) in dst.chunks_exact_mut(N).enumerate() {
        for (j, d) in row.iter_mut().enumerate() {
            *d = T::from_compute(a[j][i].scale(s));
        }
    }
    Ok(())
}

/// Real matrices from n = 9 (which Gauss-Jordan took before the lanes kernel did) have
/// entries near overflow or underflow brought near 1 by a power of two first, as every
/// kernel for larger ones does: inv(A) = s inv(s A). Returns `s` (1 in range, and always
/// for n <= 8 and complex matrices, whose LU overflows as numpy's).
#[inline(always)]
fn scale_real_beyond_8<F: Field>(a: &mut [F], n: usize) -> f64 {
    if n <= 8 || !F::REAL {
        return 1.0;
    }
    let s = power_of_two_scale(a);
    if s != 1.0 {
        a.iter_mut().for_each(|v| *v = v.scale(s));
    }
    s
}

/// A matrix through [`lu_getri`], in the workspace's column-major copy.
#[inline(always)]
pub(super) fn invert_lu_getri<T: Widened>(
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
    let s = scale_real_beyond_8(a, n);
    lu_getri::invert_in_place(a, n, &mut ws.perm[..n], &mut ws.work[..2 * n])?;
    for (i, row) in dst.chunks_exact_mut(n).enumerate() {
        for (j, d) in row.iter_mut().enumerate() {
            *d = T::from_compute(a[i + j * n].scale(s));
        }
    }
    Ok(())
}

/// A matrix through [`gauss_jordan_blocked`], in place in the row-major output (or, for
/// single precision, in a double-precision copy rounded once at the end).
fn invert_blocked<T: Widened>(
    m: MatrixPtr<T>,
    n: usize,
    dst: &mut [T],
    ws: &mut Workspace<T::Compute>,
    par: Par,
) -> Result<(), ZeroPivot> {
    let Workspace { inv, blocked, .. } = ws;
    let gather = |x: &mut [T::Compute], crew: &Crew| gather_scaled(m, n, x, crew);
    match T::as_compute_mut(dst) {
        Some(x) => invert_scaled(x, n, par, blocked, gather),
        // Single precision: invert in double, round once.
        None => {
            let x = &mut inv[..n * n];
            invert_scaled(x, n, par, blocked, gather)?;
            for (d, v) in dst.iter_mut().zip(x.iter()) {
                *d = T::from_compute(*v);
            }
            Ok(())
        }
    }
}

/// The row-major `x` that `fill` writes (returning the power of two `s` it scaled the
/// matrix by) inverted in place by blocked Gauss-Jordan and multiplied by `s` again:
/// inv(A) = s inv(s A). One crew of the threads of `par` does all of it (`crew.rs`: they
/// are woken once per matrix, not once per step).
fn invert_scaled<F: Field>(
    x: &mut [F],
    n: usize,
    par: Par,
    blocked: &mut Option<gauss_jordan_blocked::Workspace<F>>,
    fill: impl FnOnce(&mut [F], &Crew) -> f64 + Send,
) -> Result<(), ZeroPivot> {
    let blocked = blocked
        .as_mut()
        .filter(|b| b.order() == n)
        .expect("a blocked workspace of this order");
    let threads = par.degree();
    with_helpers(threads - 1, |crew| {
        let s = fill(x, crew);
        gauss_jordan_blocked::invert_with_crew(x, crew, threads, blocked)?;
        if s != 1.0 {
            x.iter_mut().for_each(|v| *v = v.scale(s));
        }
        Ok(())
    })
}

/// Whether [`invert_own_memory`] takes a stack of `count` matrices of order `n` (in the
/// compute type `F`): when the plan gives them to blocked Gauss-Jordan, with all threads
/// inside each matrix or a single matrix, as [`invert_stack`] would run them.
pub(crate) fn inverts_own_memory<F: Field>(count: usize, n: usize, params: &Params) -> bool {
    Kernel::choose(n, F::REAL, params) == Kernel::GaussJordanBlocked
        && (count == 1 || threads_inside(count, n, F::REAL, params))
}

/// The C-contiguous stack `x` of `count` matrices of order `n` inverted in its own memory,
/// when [`inverts_own_memory`]: the blocked kernel of [`invert_stack`] on each matrix,
/// scaled as there, with the same threads, so the bits are the same; the first singular
/// matrix stops the call.
pub(crate) fn invert_own_memory<F: Field>(
    x: &mut [F],
    count: usize,
    n: usize,
    params: &Params,
) -> Result<(), Error> {
    let job = OwnMemory {
        plan: KernelPlan::new(n, F::REAL, params),
        params,
        _field: core::marker::PhantomData,
    };
    let inside = threads_inside(count, n, F::REAL, params);
    let threading = Threading::inversion(count, 2 * n * n * n + 16, inside, params);
    driver::run_stack(
        &job,
        Inverses {
            dst: x,
            status: None,
        },
        count,
        threading,
    )
}

/// [`invert_own_memory`]'s job: each matrix is its own input.
struct OwnMemory<'r, F> {
    plan: KernelPlan,
    params: &'r Params,
    _field: core::marker::PhantomData<F>,
}

impl<F: Field> StackJob for OwnMemory<'_, F> {
    type Out<'o> = Inverses<'o, F>;
    type Workspace = Workspace<F>;

    fn split<'o>(&self, out: Self::Out<'o>, matrices: usize) -> (Self::Out<'o>, Self::Out<'o>) {
        out.split(matrices, self.plan.n)
    }

    fn crews_only(&self) -> bool {
        true
    }

    fn workspace(&self, _matrices: usize, par: Par) -> Result<Self::Workspace, Error> {
        if matches!(par, Par::Rayon(_)) {
            crate::kernels::gemm_buffer::reserve(par)?;
        }
        Workspace::new(&self.plan, false, self.params)
    }

    fn run(
        &self,
        start: usize,
        out: Inverses<'_, F>,
        ws: &mut Workspace<F>,
        par: Par,
    ) -> Result<(), Error> {
        let n = self.plan.n;
        for (i, x) in out.dst.chunks_exact_mut(n * n).enumerate() {
            invert_scaled(x, n, par, &mut ws.blocked, |x, _| {
                let s = power_of_two_scale(x);
                if s != 1.0 {
                    x.iter_mut().for_each(|v| *v = v.scale(s));
                }
                s
            })
            .map_err(|k| Failure::ZeroPivot(k).error(start + i))?;
        }
        Ok(())
    }
}

/// Copies matrix `m` into the row-major `x` in double precision and returns the scale
/// it was multiplied by: blocked kernels sum many products at once, so entries near
/// overflow (or underflow) are first brought near 1 by a power of two, which is exact, and
/// inv(A) = s inv(s A). Row bands go to the whole crew (for n = 4096 the copy and the scan
/// took 50 ms on one thread).
fn gather_scaled<T: Widened>(m: MatrixPtr<T>, n: usize, x: &mut [T::Compute], crew: &Crew) -> f64 {
    const BAND: usize = 64;
    let x = SharedSlice::new(&mut x[..n * n]);
    let range = Mutex::new((0.0f64, f64::INFINITY));
    let band = |b: usize| {
        let rows = b * BAND..(b * BAND + BAND).min(n);
        // SAFETY: band `b`'s rows of `x`, claimed once, disjoint from every other band's.
        let x = unsafe { x.range(rows.start * n..rows.end * n) };
        // SAFETY: the view's matrices are n x n, and the band is within them.
        unsafe { m.gather_row_major(n, rows, x, T::to_compute) };
        let (big, small) = magnitude_range(x);
        let mut r = range.lock().unwrap_or_else(PoisonError::into_inner);
        *r = (r.0.max(big), r.1.min(small));
    };
    crew.run(n.div_ceil(BAND), &band, || ());
    let (big, small) = range.into_inner().unwrap_or_else(PoisonError::into_inner);
    let s = scale_for(big, small);
    if s != 1.0 {
        // SAFETY: every band is done: the whole of `x`, this thread's alone again.
        unsafe { x.range(0..n * n) }
            .iter_mut()
            .for_each(|v| *v = v.scale(s));
    }
    s
}

#[cfg(test)]
mod tests {
    use crate::{InvOptions, Params, StackView};

    /// Entries near the largest double: every kernel brings them near 1 first (otherwise
    /// sums of products overflow), so the inverse is the unscaled one's, scaled back.
    #[test]
    fn entries_near_overflow_are_scaled_first() {
        let opts = InvOptions::default().with_params(Params::default().with_num_threads(1));
        for n in [9, 40, 128, 200] {
            let a = crate::kernels::test_matrix(n, n as u64, 3.0);
            let big: Vec<f64> = a.iter().map(|v| v * 2f64.powi(1020)).collect();
            let (mut x, mut y) = (vec![0.0; n * n], vec![0.0; n * n]);
            crate::invert(
                crate::Request::new(&StackView::c_contiguous(&a, &[n, n]).unwrap(), &mut x)
                    .with_options(opts),
            )
            .unwrap();
            crate::invert(
                crate::Request::new(&StackView::c_contiguous(&big, &[n, n]).unwrap(), &mut y)
                    .with_options(opts),
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

    /// The same inside stacks that the lanes kernel takes (n = 9..16): every matrix of a
    /// stack gets the bits it gets alone, whatever its neighbours. A property check, not
    /// the regression test: with the lanes' range flag disabled it still passes (these
    /// 2^1023 lanes are caught by the NaN/inf row sums, the others round alike unscaled);
    /// `tests/test_accuracy.py::test_stacked_matrix_gets_its_own_bits_near_the_scaling_edge`
    /// is the case that fails without the flag.
    #[test]
    fn stacked_matrices_are_scaled_as_alone() {
        for n in [9, 12, 16] {
            // Two whole groups of 8 lanes and a remainder: entries up to 2^1023 (whose
            // LU sums overflow unscaled), tiny ones (products among subnormals), plain ones.
            let count = 19;
            let factors = [2f64.powi(1023), 2f64.powi(-1000), 1.0];
            let mut a = Vec::new();
            for k in 0..count {
                let m = crate::kernels::test_matrix(n, (n * 100 + k) as u64, 0.0);
                a.extend(m.iter().map(|v| v * factors[k % factors.len()]));
            }
            fn view<'v>(v: &'v [f64], shape: &[usize]) -> StackView<'v, f64> {
                StackView::c_contiguous(v, shape).unwrap()
            }
            let mut stacked = vec![0.0; a.len()];
            crate::invert(crate::Request::new(&view(&a, &[count, n, n]), &mut stacked)).unwrap();
            for k in 0..count {
                let one = &a[k * n * n..(k + 1) * n * n];
                let mut alone = vec![0.0; n * n];
                crate::invert(crate::Request::new(&view(one, &[n, n]), &mut alone)).unwrap();
                let got = &stacked[k * n * n..(k + 1) * n * n];
                let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(got), bits(&alone), "n = {n}, matrix {k}");
            }
        }
    }
}
