//! The stack driver, shared by the general, structured and SVD paths: output checks, the
//! threads a [`Threading`] plan asks for (the calling thread alone, all threads inside each
//! matrix, or tasks of whole matrices over a pool), a workspace per thread, and the
//! per-matrix loop that either stops at the first failure or records a [`Status`] for
//! every matrix.

use crate::element::Widened;
use crate::layout::{MatrixPtr, StackView};
use crate::plan::Threading;
use crate::status::{fill_nan, Status};
use crate::Error;
use faer::Par;
use rayon::prelude::*;

/// One path's work on a stack: how to split its outputs by matrices, make a workspace, and
/// run consecutive matrices.
pub(crate) trait StackJob: Sync {
    /// The outputs of some consecutive matrices.
    type Out<'o>: Send;
    /// Scratch for one thread.
    type Workspace: Send;
    /// Splits `out` after its first `matrices` matrices.
    fn split<'o>(&self, out: Self::Out<'o>, matrices: usize) -> (Self::Out<'o>, Self::Out<'o>);
    /// Scratch for runs of up to `matrices` matrices with `par` (`Par::rayon(0)`: all
    /// threads inside each matrix). Fails, rather than aborting, when memory runs out.
    fn workspace(&self, matrices: usize, par: Par) -> Result<Self::Workspace, Error>;
    /// Whether every rayon call of a run with threads inside its matrices starts a crew
    /// (`crew::with_helpers`), which can start from the calling thread
    /// ([`crate::threads::Team::run_crews`]); faer's parallel kernels cannot.
    fn crews_only(&self) -> bool {
        false
    }
    /// Runs the matrices `start..` whose outputs `out` holds.
    fn run(
        &self,
        start: usize,
        out: Self::Out<'_>,
        ws: &mut Self::Workspace,
        par: Par,
    ) -> Result<(), Error>;
}

/// Runs `job` on all `count > 0` matrices whose outputs `out` holds, with the threads
/// `threading` asks for. Without a pool (one thread asked for or available, a process
/// forked after threads started, no pool that runs), or with one task only, the calling
/// thread runs everything, with no rayon call. A workspace that could not be allocated
/// fails its task (and so the call).
pub(crate) fn run_stack<J: StackJob>(
    job: &J,
    out: J::Out<'_>,
    count: usize,
    threading: Threading,
) -> Result<(), Error> {
    let Threading {
        num_threads,
        alone,
        inside,
        grain,
    } = threading;
    let tasks = count.div_ceil(grain);
    let team = match alone {
        true => None,
        false => crate::threads::team(num_threads),
    };
    let team = match team {
        Some(team) if inside || tasks > 1 => team,
        _ => {
            let mut ws = job.workspace(count, Par::Seq)?;
            return job.run(0, out, &mut ws, Par::Seq);
        }
    };
    if inside {
        // One matrix after the other, all threads inside each.
        let run = || {
            let mut ws = job.workspace(count, Par::rayon(0))?;
            job.run(0, out, &mut ws, Par::rayon(0))
        };
        return match job.crews_only() {
            true => team.run_crews(run),
            false => team.install(run),
        };
    }
    team.install(|| {
        let mut list = Vec::new();
        list.try_reserve_exact(tasks).map_err(|_| Error::TooLarge)?;
        let mut rest = out;
        for start in (0..count).step_by(grain) {
            let (now, next) = job.split(rest, grain.min(count - start));
            rest = next;
            list.push((start, now));
        }
        list.into_par_iter().try_for_each_init(
            || job.workspace(grain, Par::Seq),
            |ws, (start, out)| {
                let ws = ws.as_mut().map_err(|e| e.clone())?;
                job.run(start, out, ws, Par::Seq)
            },
        )
    })
}

/// Checks that `a` is square and that `out` (and `status`) have room for exactly its
/// result; resets `status`. Returns `(matrix count, n)`.
pub(crate) fn check_outputs<T: Widened>(
    a: &StackView<'_, T>,
    out: &[T],
    status: Option<&mut [Status]>,
) -> Result<(usize, usize), Error> {
    let (count, n) = (a.len(), a.order()?);
    check_lengths(out.len(), status, count, n)?;
    Ok((count, n))
}

/// Checks that an output of `len` elements (and `status`) have room for exactly the
/// inverses of `count` matrices of order `n`; resets `status`.
pub(crate) fn check_lengths(
    len: usize,
    status: Option<&mut [Status]>,
    count: usize,
    n: usize,
) -> Result<(), Error> {
    let expected = count * n * n;
    if len != expected {
        return Err(Error::OutputLength { got: len, expected });
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
    Ok(())
}

/// The outputs of consecutive inverses: `n x n` blocks of the C-contiguous result, and a
/// [`Status`] per matrix when asked for.
pub(crate) struct Inverses<'o, T> {
    /// Row-major inverses, whole matrices.
    pub(crate) dst: &'o mut [T],
    /// One per matrix, or None: the first failure stops the call.
    pub(crate) status: Option<&'o mut [Status]>,
}

impl<'o, T> Inverses<'o, T> {
    /// Splits after the first `matrices` matrices of order `n`.
    pub(crate) fn split(self, matrices: usize, n: usize) -> (Self, Self) {
        let (d0, d1) = self.dst.split_at_mut(matrices * n * n);
        let (s0, s1) = match self.status {
            None => (None, None),
            Some(st) => {
                let (s0, s1) = st.split_at_mut(matrices);
                (Some(s0), Some(s1))
            }
        };
        (
            Self {
                dst: d0,
                status: s0,
            },
            Self {
                dst: d1,
                status: s1,
            },
        )
    }
}

/// Why a matrix has no inverse (0-based column or minor).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// An exact zero pivot (LU) or diagonal entry (triangular, diagonal).
    ZeroPivot(usize),
    /// Cholesky's pivot `k` was not positive and finite.
    NotPositiveDefinite(usize),
}

impl Failure {
    /// The error that stops a call at matrix `matrix` of the stack.
    pub(crate) fn error(self, matrix: usize) -> Error {
        match self {
            Self::ZeroPivot(k) => Error::Singular {
                matrix,
                pivot: k + 1,
            },
            Self::NotPositiveDefinite(k) => Error::NotPositiveDefinite {
                matrix,
                minor: k + 1,
            },
        }
    }

    /// The status of a matrix that failed (LAPACK's `info`: 1-based).
    pub(crate) fn status(self) -> Status {
        match self {
            Self::ZeroPivot(k) | Self::NotPositiveDefinite(k) => Status::singular(k),
        }
    }
}

/// The per-matrix loop: runs `kernel(i, m, d)` on the matrices `start..` of `a` (`m` the
/// `i`-th of them, `d` its `n x n` block of `dst`). Without `status` the first failure
/// stops the call; with it, each matrix gets its status (`inverted(m, d, r)` from the
/// kernel's result `r`) and failing ones an all-NaN inverse. With `prefetch`, the next
/// matrix is fetched while this one is inverted (mid sizes: its rows are far apart in a
/// C-ordered stack read column by column); the pointer past the last matrix is only
/// prefetched, never read.
#[inline(always)]
pub(crate) fn each_matrix<T: Widened, R>(
    a: &StackView<'_, T>,
    start: usize,
    out: Inverses<'_, T>,
    prefetch: bool,
    mut kernel: impl FnMut(usize, MatrixPtr<T>, &mut [T]) -> Result<R, Failure>,
    inverted: impl Fn(MatrixPtr<T>, &[T], R) -> Status,
) -> Result<(), Error> {
    let n = a.n();
    let Inverses { dst, mut status } = out;
    let mut ahead = prefetch.then(|| a.matrices(start + 1));
    for ((i, d), m) in dst
        .chunks_exact_mut(n * n)
        .enumerate()
        .zip(a.matrices(start))
    {
        if let Some(next) = ahead.as_mut().and_then(Iterator::next) {
            next.prefetch(n);
        }
        let result = kernel(i, m, d);
        match status.as_deref_mut() {
            None => {
                result.map_err(|f| f.error(start + i))?;
            }
            Some(st) => {
                st[i] = match result {
                    Ok(r) => inverted(m, d, r),
                    Err(f) => {
                        fill_nan(d);
                        f.status()
                    }
                }
            }
        }
    }
    Ok(())
}
