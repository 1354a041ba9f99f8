//! Inverses that use what is known about the matrices, in scipy's vocabulary (`assume_a`):
//! diagonal, upper or lower triangular, Hermitian positive definite (Cholesky), symmetric
//! or Hermitian (Cholesky when it succeeds, else LU), or detected per matrix (`Auto`).
//!
//! A structure says which entries are read: the diagonal, one triangle, or all of them
//! (`General`, `Auto`). The result is the inverse of the matrix the structure *implies*
//! (the other triangle taken as zero, or as the mirror image of the one read), and
//! [`Status::rcond`] is computed from that implied matrix.
//!
//! Singularity follows LAPACK: a triangular or diagonal matrix is singular when its
//! diagonal holds an exact zero (`trtri`'s `info`: the first one); Cholesky fails at the
//! first leading minor whose pivot is not positive and finite (`potrf`'s `info`: the order
//! of that minor, NaN included); LU keeps `getrf`'s exact-zero-pivot rule.

mod cholesky;
pub(crate) mod detect;
mod triangular;

use crate::alloc::zeros;
use crate::driver::{self, each_matrix, Failure, Inverses, StackJob};
use crate::element::{Field, Widened};
use crate::general::{self, invert_one as invert_general};
use crate::layout::{MatrixPtr, StackView};
use crate::params::Params;
use crate::plan::{threads_inside, KernelPlan, Threading};
use crate::request::Structure;
use crate::simd::{Isa, IsaRun};
use crate::status::Status;
use crate::Error;
use detect::Class;
use faer::dyn_stack::{MemBuffer, StackReq};
use faer::Par;

/// About how many flops one `n x n` matrix costs (for sizing parallel tasks).
fn flops(structure: Structure, n: usize) -> usize {
    let cube = n * n * n;
    16 + n * n
        + match structure {
            Structure::Diagonal => 0,
            Structure::UpperTriangular | Structure::LowerTriangular => cube / 3,
            Structure::PositiveDefinite { .. } => cube,
            _ => 2 * cube,
        }
}

/// The matrix that was inverted, as a function of the stored one (for `rcond`).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Implied {
    Stored,
    Diagonal,
    Upper,
    Lower,
    /// Mirrored from one triangle with conjugation, real diagonal.
    Hermitian {
        lower: bool,
    },
    /// Mirrored from one triangle without conjugation.
    Symmetric {
        lower: bool,
    },
}

/// Entry `(i, j)` of the matrix `implied` by the stored `m`.
#[inline(always)]
pub(crate) fn implied_entry<T: Widened>(
    m: MatrixPtr<T>,
    implied: Implied,
    i: usize,
    j: usize,
) -> T::Compute {
    // SAFETY: callers pass i, j < n, inside the matrix.
    let get = |i: usize, j: usize| unsafe { m.get(i, j) }.to_compute();
    let zero = <T::Compute as Field>::ZERO;
    let stored = |lower: bool| if lower { i >= j } else { i <= j };
    match implied {
        Implied::Stored => get(i, j),
        Implied::Diagonal => {
            if i == j {
                get(i, j)
            } else {
                zero
            }
        }
        Implied::Upper => {
            if i <= j {
                get(i, j)
            } else {
                zero
            }
        }
        Implied::Lower => {
            if i >= j {
                get(i, j)
            } else {
                zero
            }
        }
        Implied::Hermitian { .. } if i == j => <T::Compute as Field>::from_re(get(i, i).re()),
        Implied::Hermitian { lower } => {
            if stored(lower) {
                get(i, j)
            } else {
                conj(get(j, i))
            }
        }
        Implied::Symmetric { lower } => {
            if stored(lower) {
                get(i, j)
            } else {
                get(j, i)
            }
        }
    }
}

#[inline(always)]
fn conj<F: Field>(x: F) -> F {
    faer::traits::math_utils::conj(&x)
}

/// Scratch for one task: kernels never allocate per matrix.
pub(crate) struct Workspace<T: Widened> {
    /// LU's workspace, for `Auto` and the LU fallback of `Symmetric`/`Hermitian`.
    general: general::Workspace<T::Compute>,
    /// The matrix gathered column-major, factored and inverted in place.
    a: Vec<T::Compute>,
    /// Results of the blocked kernels (column-major).
    x: Vec<T::Compute>,
    /// A row of accumulators.
    work: Vec<T::Compute>,
    /// The mirrored matrix for the LU fallback (stored type: mirroring is exact).
    full: Vec<T>,
    /// faer's scratch for the blocked Cholesky factor and inverse.
    stack: MemBuffer,
    /// `Auto`: the class of each matrix of the task.
    classes: Vec<Class>,
}

impl<T: Widened> Workspace<T> {
    fn new(
        n: usize,
        matrices: usize,
        structure: Structure,
        par: Par,
        params: &Params,
    ) -> Result<Self, Error> {
        let nn = n.checked_mul(n).ok_or(Error::TooLarge)?;
        let blocked = n > params.kernels.unblocked_max_n;
        let needs_inv = T::as_compute_mut(&mut []).is_none();
        let (lu_n, dense, full, cholesky) = match structure {
            Structure::General | Structure::Diagonal => (0, false, false, false),
            Structure::UpperTriangular | Structure::LowerTriangular => (0, true, false, false),
            Structure::PositiveDefinite { .. } => (0, true, false, true),
            Structure::Symmetric { .. } | Structure::Hermitian { .. } => (n, true, true, true),
            Structure::Auto => (n, true, false, true),
        };
        if dense && blocked {
            // faer's blocked kernels (and LU's) run its matrix products.
            crate::kernels::gemm_buffer::reserve(par)?;
        }
        let req = if cholesky && blocked {
            cholesky::scratch::<T::Compute>(n, par)
        } else {
            StackReq::EMPTY
        };
        let mut classes = Vec::new();
        if structure == Structure::Auto {
            classes
                .try_reserve_exact(matrices)
                .map_err(|_| Error::TooLarge)?;
        }
        let lu_plan = KernelPlan::new(lu_n, T::Compute::REAL, params);
        Ok(Self {
            general: general::Workspace::new(&lu_plan, needs_inv, params)?,
            a: zeros(if dense { nn } else { 0 })?,
            x: zeros(if dense && (blocked || cholesky) {
                nn
            } else {
                0
            })?,
            work: zeros(if dense { n } else { 0 })?,
            full: zeros(if full { nn } else { 0 })?,
            stack: MemBuffer::try_new(req).map_err(|_| Error::TooLarge)?,
            classes,
        })
    }
}

/// Inverts every matrix of `a`, of the given structure, into the C-contiguous `out`; the
/// contract of [`crate::general::invert_stack`] (same threading, same errors), plus
/// [`Error::NotPositiveDefinite`].
pub(crate) fn invert_stack<T: Widened>(
    a: &StackView<'_, T>,
    out: &mut [T],
    mut status: Option<&mut [Status]>,
    structure: Structure,
    params: &Params,
) -> Result<(), Error> {
    if structure == Structure::General {
        return general::invert_stack(a, out, status, params);
    }
    let (count, n) = driver::check_outputs(a, out, status.as_deref_mut())?;
    if count * n == 0 {
        return Ok(());
    }
    let real = T::Compute::REAL;
    // Tasks the size of the general path's, so that `Auto` chunks match its chunks.
    let flops = if structure == Structure::Auto {
        2 * n * n * n + 16
    } else {
        flops(structure, n)
    };
    // Threads inside each matrix when the general path would use them, but for threaded
    // Gauss-Jordan: its rule is its kernel's, not the structured kernels' (faer's
    // triangular and Cholesky inverses were checked thread-count-independent from 448).
    let mut rule = *params;
    rule.threads.gauss_jordan_parallel_min_n = usize::MAX;
    let inside = threads_inside(count, n, real, &rule);
    let threading = Threading::inversion(count, flops, inside, params);
    let job = Structured {
        a,
        ctx: Ctx {
            n,
            structure,
            plan: KernelPlan::new(n, real, params),
            params,
        },
        isa: Isa::selected(),
    };
    driver::run_stack(&job, Inverses { dst: out, status }, count, threading)
}

/// What every matrix of a structured call shares.
#[derive(Clone, Copy)]
struct Ctx<'r> {
    n: usize,
    structure: Structure,
    /// The general path's plan, for `Auto` and the LU fallbacks.
    plan: KernelPlan,
    params: &'r Params,
}

/// The structured path's job: a stack, its structure, and the instruction set of its
/// kernels (all of them generic, inlined into one copy per set).
struct Structured<'r, 'v, T: Widened> {
    a: &'r StackView<'v, T>,
    ctx: Ctx<'r>,
    isa: Isa,
}

impl<T: Widened> StackJob for Structured<'_, '_, T> {
    type Out<'o> = Inverses<'o, T>;
    type Workspace = Workspace<T>;

    fn split<'o>(&self, out: Self::Out<'o>, matrices: usize) -> (Self::Out<'o>, Self::Out<'o>) {
        out.split(matrices, self.ctx.n)
    }

    fn workspace(&self, matrices: usize, par: Par) -> Result<Workspace<T>, Error> {
        let c = &self.ctx;
        Workspace::new(c.n, matrices, c.structure, par, c.params)
    }

    fn run(
        &self,
        start: usize,
        out: Inverses<'_, T>,
        ws: &mut Workspace<T>,
        par: Par,
    ) -> Result<(), Error> {
        // As for the general path: the kernels are inlined into one copy per instruction
        // set; without fused multiply-adds, so every copy computes the same bits.
        self.isa.run(Run {
            a: self.a,
            start,
            out,
            ws,
            ctx: self.ctx,
            par,
        })
    }
}

/// The arguments of one run, compiled per instruction set ([`IsaRun`]).
struct Run<'r, 'v, 'o, T: Widened> {
    a: &'r StackView<'v, T>,
    start: usize,
    out: Inverses<'o, T>,
    ws: &'r mut Workspace<T>,
    ctx: Ctx<'r>,
    par: Par,
}

impl<T: Widened> IsaRun for Run<'_, '_, '_, T> {
    type Output = Result<(), Error>;

    #[inline(always)]
    fn run(self) -> Result<(), Error> {
        let Run {
            a,
            start,
            out,
            ws,
            ctx,
            par,
        } = self;
        let n = ctx.n;
        if ctx.structure == Structure::Auto {
            let count = out.dst.len() / (n * n);
            ws.classes.clear();
            // Real matrices invert as fast or faster through the general kernels than
            // through Cholesky, despite its half of the flops (general / Cholesky time, 2
            // cores: 0.24 for 1e5 8 x 8, 0.58 for 1e4 32 x 32, 0.78 at n = 512, 0.72-1.08 at
            // n = 1024 and 2048): there, Hermitian counts as general, and is not looked for.
            // Complex ones gain from Cholesky from n = 32 (1.24 for 2,000 32 x 32, 1.07-1.21
            // at n = 512..1024).
            let cholesky = !T::Compute::REAL;
            ws.classes.extend(
                a.matrices(start)
                    .take(count)
                    .map(|m| detect::classify(m, n, cholesky)),
            );
            if ws.classes.iter().all(|&c| c == Class::General) {
                // Nothing to exploit: the general path itself, SIMD across matrices included.
                return general::invert_run(a, start, out, &mut ws.general, &ctx.plan, par);
            }
        }
        each_matrix(
            a,
            start,
            out,
            false,
            |i, m, d| {
                let class = ws.classes.get(i).copied().unwrap_or(Class::General);
                invert_one(m, d, ws, class, &ctx, par)
            },
            |m, d, implied| Status::inverted_by(n, |r, c| implied_entry(m, implied, r, c), d),
        )
    }
}

/// One matrix; `class` is what `Auto` detected.
#[inline(always)]
fn invert_one<T: Widened>(
    m: MatrixPtr<T>,
    d: &mut [T],
    ws: &mut Workspace<T>,
    class: Class,
    ctx: &Ctx<'_>,
    par: Par,
) -> Result<Implied, Failure> {
    let (n, params) = (ctx.n, ctx.params);
    let general = |ws: &mut Workspace<T>, d: &mut [T]| {
        invert_general(m, d, &mut ws.general, &ctx.plan, par)
            .map(|()| Implied::Stored)
            .map_err(Failure::ZeroPivot)
    };
    let upper = |ws: &mut Workspace<T>, d: &mut [T]| {
        triangular::invert(m, n, d, ws, false, par, params)
            .map(|()| Implied::Upper)
            .map_err(Failure::ZeroPivot)
    };
    let lower = |ws: &mut Workspace<T>, d: &mut [T]| {
        triangular::invert(m, n, d, ws, true, par, params)
            .map(|()| Implied::Lower)
            .map_err(Failure::ZeroPivot)
    };
    match ctx.structure {
        Structure::General => general(ws, d),
        Structure::Diagonal => diagonal(m, n, d).map(|()| Implied::Diagonal),
        Structure::UpperTriangular => upper(ws, d),
        Structure::LowerTriangular => lower(ws, d),
        Structure::PositiveDefinite { lower } => cholesky::invert(m, n, d, ws, lower, par, params)
            .map(|()| Implied::Hermitian { lower })
            .map_err(Failure::NotPositiveDefinite),
        Structure::Symmetric { lower } => symmetric(m, d, ws, lower, false, ctx, par),
        Structure::Hermitian { lower } => symmetric(m, d, ws, lower, true, ctx, par),
        Structure::Auto => match class {
            Class::Diagonal => diagonal(m, n, d).map(|()| Implied::Stored),
            Class::Upper => upper(ws, d).map(|_| Implied::Stored),
            Class::Lower => lower(ws, d).map(|_| Implied::Stored),
            // Exactly Hermitian with a positive diagonal: Cholesky reads the upper
            // triangle, which with its mirror is the whole matrix. If it fails, LU.
            Class::Hermitian => match cholesky::invert(m, n, d, ws, false, par, params) {
                Ok(()) => Ok(Implied::Stored),
                Err(_) => general(ws, d),
            },
            Class::General => general(ws, d),
        },
    }
}

/// The diagonal's reciprocals; singular at the first exact zero (`trtri`'s info).
#[inline(always)]
fn diagonal<T: Widened>(m: MatrixPtr<T>, n: usize, d: &mut [T]) -> Result<(), Failure> {
    // SAFETY: i < n, inside the matrix.
    let get = |i: usize| unsafe { m.get(i, i) }.to_compute();
    if let Some(k) = (0..n).find(|&k| get(k).is_zero()) {
        return Err(Failure::ZeroPivot(k));
    }
    d.fill(T::from_compute(<T::Compute as Field>::ZERO));
    for i in 0..n {
        d[i * n + i] = T::from_compute(get(i).pivot_recip());
    }
    Ok(())
}

/// Symmetric or Hermitian, from one triangle: Cholesky when it can apply and succeeds,
/// else LU of the mirrored matrix.
fn symmetric<T: Widened>(
    m: MatrixPtr<T>,
    d: &mut [T],
    ws: &mut Workspace<T>,
    lower: bool,
    hermitian: bool,
    ctx: &Ctx<'_>,
    par: Par,
) -> Result<Implied, Failure> {
    let n = ctx.n;
    let conjugate = hermitian || T::Compute::REAL;
    let implied = if conjugate {
        Implied::Hermitian { lower }
    } else {
        Implied::Symmetric { lower }
    };
    // SAFETY: i < n, inside the matrix.
    let positive_diagonal = || (0..n).all(|i| unsafe { m.get(i, i) }.to_compute().re() > 0.0);
    if conjugate
        && positive_diagonal()
        && cholesky::invert(m, n, d, ws, lower, par, ctx.params).is_ok()
    {
        return Ok(implied);
    }
    let Workspace { general, full, .. } = ws;
    let full = &mut full[..n * n];
    for i in 0..n {
        for j in 0..n {
            full[i * n + j] = T::from_compute(implied_entry(m, implied, i, j));
        }
    }
    // SAFETY: `full` holds n x n elements, row-major, and outlives the view.
    let view = unsafe { StackView::from_raw_parts(full.as_ptr(), &[n, n], &[n as isize, 1]) }
        .expect("an n x n matrix");
    // Not mirrored: LU's inverse has a small residual `I - X A` as a whole; one triangle
    // of it with its mirror image has not (the two differ by about cond(A) eps).
    invert_general(view.matrix(0), d, general, &ctx.plan, par).map_err(Failure::ZeroPivot)?;
    Ok(implied)
}

#[cfg(test)]
mod tests;
