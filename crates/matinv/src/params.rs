//! Tuning knobs, one struct per concern (which kernel, when to use threads), each with the
//! defaults measured on the development machines (2 cores). A value of 0 where it says so
//! means "pick automatically". The plan (`plan.rs`) turns them, once per call, into the kernel,
//! the workspace and the threads a stack gets.

/// Which kernel inverts matrices of which order. The thresholds are tried in this order:
/// lanes (real), Gauss-Jordan (real), the unrolled tiny kernels (n <= 4), unblocked LU,
/// blocked Gauss-Jordan (the rest).
///
/// ```
/// let mut k = matinv::KernelParams::default();
/// assert_eq!((k.lanes_max_n, k.gauss_jordan_max_n, k.unblocked_max_n, k.block_size), (16, 96, 32, 0));
/// k.block_size = 64; // blocked Gauss-Jordan in panels of 64 columns
/// let params = matinv::Params::default().with_kernels(k);
/// assert_eq!(params.kernels.block_size, 64);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KernelParams {
    /// Real matrices up to this order (at most 16) are inverted a SIMD group at a time, one
    /// per vector lane (`kernels/lanes.rs`).
    pub lanes_max_n: usize,
    /// Larger real matrices up to this order use unblocked in-place Gauss-Jordan
    /// elimination (long vector loops, cache-resident; `kernels/gauss_jordan.rs`); larger
    /// ones blocked Gauss-Jordan (the measurements behind the default: docs/performance.md,
    /// "Where the defaults come from").
    pub gauss_jordan_max_n: usize,
    /// Pivot steps that kernel applies in one pass over the matrix (1 to 3): more steps per
    /// pass load and store each entry fewer times, with the same bits. 0 picks 2 up to
    /// n = 64 and 3 above.
    pub gauss_jordan_steps: usize,
    /// The largest order the unblocked kernels take: complex matrices (and real ones not
    /// taken by the kernels above) up to it use unblocked LU + getri
    /// (`kernels/lu_getri.rs`, getf2's evaluation order, as numpy's LAPACK uses up to
    /// n = 32), larger ones blocked Gauss-Jordan; the triangular and Cholesky inverses use
    /// their unblocked (`trti2`, `potf2`) kernels up to it and faer's blocked ones above.
    pub unblocked_max_n: usize,
    /// Columns per block of blocked Gauss-Jordan; 0 picks by order (16 up to n = 95, then
    /// 32, 64, 128 and 256 from n = 1536).
    pub block_size: usize,
}

impl Default for KernelParams {
    fn default() -> Self {
        Self {
            lanes_max_n: 16,
            gauss_jordan_max_n: 96,
            gauss_jordan_steps: 0,
            unblocked_max_n: 32,
            block_size: 0,
        }
    }
}

/// When to use threads, and how much work one parallel task holds.
///
/// ```
/// let t = matinv::ThreadParams::default();
/// assert_eq!((t.num_threads, t.parallel_min_n, t.single_parallel_min_n), (0, 768, 448));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ThreadParams {
    /// Threads to use: 0 for every core (rayon's global pool), 1 for the calling thread only.
    pub num_threads: usize,
    /// Stacks of matrices of at least this order run one matrix at a time, all threads
    /// inside each; smaller ones run one matrix per thread. (The structured inverses
    /// follow the same rule, and the one below.)
    pub parallel_min_n: usize,
    /// A single real matrix of at least this order uses all threads inside it, and so does
    /// each matrix of a stack with fewer matrices than threads; complex ones from 0.6 of
    /// it (4x the flops). (The measurements behind the default: docs/performance.md,
    /// "Where the defaults come from".)
    pub single_parallel_min_n: usize,
    /// The same for the real orders the Gauss-Jordan kernel takes
    /// ([`KernelParams::gauss_jordan_max_n`]): a single matrix of at least this order
    /// has its passes cut among all threads, with the same bits. Off by default
    /// (`usize::MAX`): on the 2-core AMD EPYC Zen 4 it was 1.1-3x slower than one thread
    /// at n = 32..96, the threads meeting once per pass (about 1 us each);
    /// with `gauss_jordan_max_n` raised it was faster than blocked Gauss-Jordan on one
    /// thread at n = 192..384 (docs/performance.md).
    pub gauss_jordan_parallel_min_n: usize,
    /// Roughly how many flops one parallel task should hold, so that scheduling overhead
    /// stays invisible next to the work.
    pub task_flops: usize,
}

impl Default for ThreadParams {
    fn default() -> Self {
        Self {
            num_threads: 0,
            parallel_min_n: 768,
            single_parallel_min_n: 448,
            gauss_jordan_parallel_min_n: usize::MAX,
            task_flops: 1 << 20,
        }
    }
}

/// All tuning knobs: [`KernelParams`] and [`ThreadParams`]. `Params::default()` is what
/// every function without a `params` argument uses.
///
/// ```
/// use matinv::Params;
///
/// let one_thread = Params::default().with_num_threads(1);
/// assert_eq!(one_thread.threads.num_threads, 1);
/// assert_eq!(one_thread.kernels, Params::default().kernels);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Params {
    /// Which kernel takes which order.
    pub kernels: KernelParams,
    /// When threads are used.
    pub threads: ThreadParams,
}

impl Params {
    /// These parameters with `threads.num_threads = num_threads` (0: every core, 1: the
    /// calling thread only).
    ///
    /// ```
    /// assert_eq!(matinv::Params::default().with_num_threads(4).threads.num_threads, 4);
    /// ```
    pub fn with_num_threads(mut self, num_threads: usize) -> Self {
        self.threads.num_threads = num_threads;
        self
    }

    /// These parameters with other kernel thresholds.
    ///
    /// ```
    /// let mut k = matinv::KernelParams::default();
    /// k.lanes_max_n = 0; // no SIMD-across-matrices kernel
    /// assert_eq!(matinv::Params::default().with_kernels(k).kernels.lanes_max_n, 0);
    /// ```
    pub fn with_kernels(mut self, kernels: KernelParams) -> Self {
        self.kernels = kernels;
        self
    }

    /// These parameters with other threading rules.
    ///
    /// ```
    /// let mut t = matinv::ThreadParams::default();
    /// t.single_parallel_min_n = 0; // every large-enough single matrix gets all threads
    /// let p = matinv::Params::default().with_threads(t);
    /// assert_eq!(p.threads.single_parallel_min_n, 0);
    /// ```
    pub fn with_threads(mut self, threads: ThreadParams) -> Self {
        self.threads = threads;
        self
    }
}
