//! Thread pools of a chosen size, built once and reused (building one costs far more than
//! a small inversion).
//!
//! rayon starts its global pool lazily, at the first parallel call made outside a pool, and
//! panics when the OS refuses its threads (say `RAYON_NUM_THREADS=2000` under a small
//! `ulimit -v`), at that call and at every later one. So matinv starts the global pool
//! itself, once and fallibly ([`global_threads`]), and the drivers reach rayon only inside
//! [`Team::install`] or [`Team::run_crews`] of a team that [`team`] handed out: without one
//! they run on the calling thread with no rayon at all (`Par::Seq`, no parallel iterator).

use rayon::{ThreadPool, ThreadPoolBuilder};
use std::error::Error as _;
use std::panic::catch_unwind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

// Both reached only where [`usable`] (a forked child never waits on them, even if a thread
// of its parent held them as it forked).
static POOLS: Mutex<Vec<(usize, Arc<ThreadPool>)>> = Mutex::new(Vec::new());

/// The size of rayon's global pool once started, None when it could not start.
static GLOBAL: OnceLock<Option<usize>> = OnceLock::new();

/// False in a process forked after matinv was used (a call, or its threads consulted): its
/// pools (ours and rayon's global one, whoever started it) have lost their threads, so
/// handing them work would wait forever; it must run single-threaded.
pub(crate) fn usable() -> bool {
    !crate::fork::forked()
}

/// The number of threads of rayon's global pool, which is started here (every core, or
/// `RAYON_NUM_THREADS`) unless something started it before; None when it does not run.
/// Called from threads outside any pool only (`rayon::current_num_threads` then reads the
/// global pool).
fn global_threads() -> Option<usize> {
    *GLOBAL.get_or_init(|| match ThreadPoolBuilder::new().build_global() {
        Ok(()) => Some(rayon::current_num_threads()),
        // Started before (by the program, or by a library sharing this rayon): it runs
        // unless that start failed too, and then asking for its size panics.
        Err(e) if e.source().is_none() => catch_unwind(rayon::current_num_threads).ok(),
        // The OS refused the threads (the error wraps its io::Error).
        Err(_) => None,
    })
}

/// The size of the pool that work started on this thread runs on: the thread's own pool
/// for a rayon worker, otherwise the global one; None when that does not run (or in a
/// process forked after threads started, whose pools have lost their threads).
fn current_threads() -> Option<usize> {
    // First, so that a pool started now counts as started by this process.
    if !usable() {
        return None;
    }
    if rayon::current_thread_index().is_some() {
        Some(rayon::current_num_threads())
    } else {
        global_threads()
    }
}

/// The number of threads used when none is asked for: rayon's global pool (every core, or
/// `RAYON_NUM_THREADS`), or the pool of the rayon worker calling. 1 when that pool could
/// not be started, or in a forked child (work then stays on the calling thread).
pub fn default_num_threads() -> usize {
    current_threads().unwrap_or(1)
}

/// Threads that parallel work can be handed to; see [`team`].
pub(crate) enum Team {
    /// The pool of [`default_num_threads`], known to run.
    Current,
    /// A pool of matinv's own.
    Pool(Arc<ThreadPool>),
}

impl Team {
    /// Runs `f` on one of these threads: rayon calls inside `f` run on them. From a
    /// thread outside the pool, `f` moves onto a worker once, so that its parallel calls
    /// start from a worker's own queue; made from outside, each would hand its work over
    /// and put the calling thread to sleep until it is done (a blocked inversion makes
    /// such calls once per block: one 512x512 took 7 ms for 4.7 ms after a pause).
    pub(crate) fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match self {
            Team::Current if rayon::current_thread_index().is_some() => f(),
            Team::Current => rayon::scope(|_| f()),
            Team::Pool(pool) => pool.install(f),
        }
    }

    /// Runs `f`, whose only rayon calls start crews ([`crate::crew::with_helpers`]), on
    /// the calling thread when the crews' helpers reach these threads from it (rayon's
    /// global pool), else as [`Team::install`]. Moving onto a worker and back costs two
    /// wake-ups of sleeping threads (one 48x48 inversion on two threads took 60-100 us
    /// instead of 35 on one, on the AMD EPYC Zen 4); here only the helpers are woken, and
    /// the calling thread starts meanwhile.
    pub(crate) fn run_crews<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match self {
            Team::Current => f(),
            Team::Pool(_) => self.install(f),
        }
    }
}

/// The threads for work asking for `threads` of them (`0`: the default), or None when it
/// must run on the calling thread without rayon: one thread asked for or available (handing
/// work to another thread costs microseconds), a process forked after threads started, or
/// no pool that runs. Requests beyond the number of cores get one thread per core: more
/// would only add pools that live forever.
pub(crate) fn team(threads: usize) -> Option<Team> {
    if threads == 1 || !usable() {
        return None;
    }
    let current = current_threads();
    let default = current.unwrap_or(1);
    // Asked once (it reads the cgroup's quota files: several system calls), kept in an
    // atomic (0: not asked yet) that a forked child cannot find half-set.
    static CORES: AtomicUsize = AtomicUsize::new(0);
    let cores = match CORES.load(Ordering::Relaxed) {
        0 => {
            let c = std::thread::available_parallelism().map_or(1, |c| c.get());
            CORES.store(c, Ordering::Relaxed);
            c
        }
        c => c,
    };
    let threads = match threads {
        0 => default,
        t => t.min(cores.max(default)),
    };
    if threads <= 1 {
        return None;
    }
    let shared = current.filter(|&c| c > 1).map(|_| Team::Current);
    if current == Some(threads) {
        return shared;
    }
    // A pool that cannot be built (the OS refused threads): the shared one, or none.
    pool(threads).map(Team::Pool).or(shared)
}

fn pool(threads: usize) -> Option<Arc<ThreadPool>> {
    let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, p)) = pools.iter().find(|(n, _)| *n == threads) {
        return Some(p.clone());
    }
    let p = Arc::new(ThreadPoolBuilder::new().num_threads(threads).build().ok()?);
    pools.push((threads, p.clone()));
    Some(p)
}
