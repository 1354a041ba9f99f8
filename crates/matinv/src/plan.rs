//! The plan of a call: which kernel inverts its matrices (from the element type, the order
//! and the tuning parameters), which instruction set the generic kernels run with, and how
//! threads share the stack. The general path's dispatch ([`crate::general`]) and workspace
//! sizes ([`crate::general::Workspace`]) both follow the [`Kernel`] chosen here. The
//! structured kernels choose unblocked or blocked by `unblocked_max_n` themselves
//! (`structured/triangular.rs`, `structured/cholesky.rs`, and `structured/mod.rs` for
//! their workspace), and `general::stack_loop` prefetches for orders 9..=128.

use crate::kernels::{gauss_jordan, lanes};
use crate::params::Params;
use crate::simd::Isa;

/// The kernel that inverts the matrices of a general (LU-semantics) stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// n <= 4, not taken by the lanes kernel: unblocked LU + getri unrolled for the order
    /// (`kernels/lu_getri.rs` with a constant `n`), in registers.
    Tiny,
    /// Real n <= [`crate::KernelParams::lanes_max_n`] (at most 16): a SIMD group of
    /// matrices at a time, one per vector lane (`kernels/lanes.rs`); the last partial
    /// group (and one matrix on its own) through [`Kernel::Tiny`] or [`Kernel::LuGetri`],
    /// which compute the same bits.
    Lanes,
    /// Real n <= [`crate::KernelParams::gauss_jordan_max_n`]: in-place Gauss-Jordan on a
    /// column-major copy of doubles (`kernels/gauss_jordan.rs`).
    GaussJordan,
    /// n <= [`crate::KernelParams::unblocked_max_n`]: unblocked LU + getri on a
    /// column-major copy (`kernels/lu_getri.rs`).
    LuGetri,
    /// Everything larger: blocked Gauss-Jordan in the row-major output
    /// (`kernels/gauss_jordan_blocked.rs`), threads inside the matrix when worth it.
    GaussJordanBlocked,
}

impl Kernel {
    /// The kernel for a stack of matrices of order `n`, `real` or complex.
    pub(crate) fn choose(n: usize, real: bool, params: &Params) -> Self {
        let k = &params.kernels;
        if real && n <= k.lanes_max_n.min(lanes::MAX_N) {
            Self::Lanes
        } else if real && n <= k.gauss_jordan_max_n {
            // (Its right-looking order does not cost agreement with numpy on exactly
            // singular matrices: on 1,861 low-rank integer matrices with n = 9..32, numpy
            // and matinv disagreed about raising on 252 through it and on 362 through the
            // left-looking LU kernel.)
            Self::GaussJordan
        } else if n <= 4 {
            Self::Tiny
        } else if n <= k.unblocked_max_n {
            Self::LuGetri
        } else {
            Self::GaussJordanBlocked
        }
    }

    /// The kernel for one matrix of order `n` on its own (callers that pick kernels
    /// matrix by matrix): the same bits as in a stack, the tiny sizes unrolled first.
    pub(crate) fn single(self, n: usize) -> Self {
        match self {
            _ if n <= 4 => Self::Tiny,
            Self::Lanes => Self::LuGetri,
            k => k,
        }
    }

    /// Whether the kernel (or, for lanes, its scalar remainder) works in a column-major
    /// copy for unblocked LU (`n > 4`: the tiny kernels work in registers).
    pub(crate) fn needs_lu_copy(self, n: usize) -> bool {
        n > 4 && matches!(self, Self::Lanes | Self::LuGetri)
    }

    /// Whether matrices are written through pulp's vector types (pulp dispatches them).
    pub(crate) fn uses_pulp(self) -> bool {
        matches!(self, Self::Lanes | Self::GaussJordan)
    }
}

/// Everything decided once per call for the general path.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KernelPlan {
    /// Order of the matrices.
    pub(crate) n: usize,
    /// The kernel for them.
    pub(crate) kernel: Kernel,
    /// The instruction set of the generic kernels. The general path stops at AVX2 (its
    /// thresholds were measured so; the structured path uses AVX-512 where present).
    pub(crate) isa: Isa,
    /// The instruction set of the pulp-written kernels (lanes, Gauss-Jordan): the widest.
    pub(crate) pulp_isa: Isa,
    /// Pivot steps per pass of the Gauss-Jordan kernel.
    pub(crate) gauss_jordan_steps: usize,
}

impl KernelPlan {
    /// The plan for matrices of order `n`, `real` or complex.
    pub(crate) fn new(n: usize, real: bool, params: &Params) -> Self {
        Self {
            n,
            kernel: Kernel::choose(n, real, params),
            isa: Isa::selected().at_most(Isa::Avx2),
            pulp_isa: Isa::selected(),
            gauss_jordan_steps: match params.kernels.gauss_jordan_steps {
                0 => gauss_jordan::default_steps(n),
                s => s.min(gauss_jordan::MAX_STEPS),
            },
        }
    }
}

/// Whether each of `count` matrices of order `n` runs with all threads inside it (rather
/// than one matrix per thread): stacks of large ones, and single ones (or fewer than
/// threads) large enough to gain from them.
pub(crate) fn threads_inside(count: usize, n: usize, real: bool, params: &Params) -> bool {
    crate::fork::watch();
    let t = &params.threads;
    let gauss_jordan = Kernel::choose(n, real, params) == Kernel::GaussJordan;
    if gauss_jordan && n < t.gauss_jordan_parallel_min_n {
        // (Even from `parallel_min_n`, should `gauss_jordan_max_n` be raised that far.)
        return false;
    }
    if n >= t.parallel_min_n {
        return true;
    }
    if !single_uses_threads(n, real, params) {
        return false;
    }
    // The default thread count is asked for only now: it may start rayon's global pool,
    // which small matrices never use.
    let threads = match t.num_threads {
        0 => crate::threads::default_num_threads(),
        t => t,
    };
    count < threads
}

/// Whether one matrix of order `n` is worth all threads inside it.
fn single_uses_threads(n: usize, real: bool, params: &Params) -> bool {
    let t = &params.threads;
    let equivalent = if real { n } else { n * 5 / 3 };
    match Kernel::choose(n, real, params) {
        Kernel::GaussJordanBlocked => equivalent >= t.single_parallel_min_n,
        Kernel::GaussJordan => n >= t.gauss_jordan_parallel_min_n,
        _ => false,
    }
}

/// How threads share a stack of `count` matrices (see [`crate::driver::run_stack`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Threading {
    /// Threads asked for (0: every core).
    pub(crate) num_threads: usize,
    /// The calling thread alone, without asking for a pool (rayon is not called at all).
    pub(crate) alone: bool,
    /// All threads inside each matrix, one matrix after the other.
    pub(crate) inside: bool,
    /// Otherwise: matrices per parallel task.
    pub(crate) grain: usize,
}

impl Threading {
    /// The inverses' rule, for `count` matrices of about `flops` each: threads inside each
    /// matrix when `inside` ([`threads_inside`]); the calling thread alone when asked, or
    /// when there is too little work to be worth waking others (each hand-off costs
    /// microseconds); else tasks of about `task_flops`.
    pub(crate) fn inversion(count: usize, flops: usize, inside: bool, params: &Params) -> Self {
        let t = &params.threads;
        Self {
            num_threads: t.num_threads,
            alone: !inside && (count == 1 || count * flops < t.task_flops),
            inside,
            grain: (t.task_flops / flops).clamp(1, count.max(1)),
        }
    }

    /// The SVD's rule: one thread per matrix, never threads inside one (faer's parallel
    /// decompositions add up in an order that depends on the thread count, and the results
    /// must not: a 300 x 300 complex matrix differed in the last bits), in tasks of about
    /// `task_flops`, one matrix at least; a pool is asked for even for one task.
    pub(crate) fn per_matrix(count: usize, flops: usize, params: &Params) -> Self {
        let t = &params.threads;
        Self {
            num_threads: t.num_threads,
            alone: false,
            inside: false,
            grain: (t.task_flops / flops).clamp(1, count.max(1)),
        }
    }
}
