//! Thread pools of a chosen size, built once and reused (building one costs far more than
//! a small inversion).

use rayon::{ThreadPool, ThreadPoolBuilder};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

static POOLS: Mutex<Vec<(usize, Arc<ThreadPool>)>> = Mutex::new(Vec::new());

/// The process that started our threads. A child made by `fork` inherits the pools but not
/// their threads, so handing it work would wait forever.
static OWNER: AtomicU32 = AtomicU32::new(0);

/// False in a process forked after threads were started (it must run single-threaded).
pub(crate) fn usable() -> bool {
    let pid = std::process::id();
    match OWNER.compare_exchange(0, pid, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => true,
        Err(owner) => owner == pid,
    }
}

/// The number of threads used when none is asked for: rayon's global pool (every core, or
/// `RAYON_NUM_THREADS`).
pub fn default_num_threads() -> usize {
    rayon::current_num_threads()
}

/// Runs `f` on a pool of `threads` threads (`0`: the global pool; `1`: the calling thread,
/// as handing work to another thread costs microseconds). Requests beyond the number of
/// cores get one thread per core: more would only add pools that live forever.
pub(crate) fn install<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let threads = threads.min(cores.max(rayon::current_num_threads()));
    if threads <= 1 || threads == rayon::current_num_threads() {
        return f();
    }
    match pool(threads) {
        Some(pool) => pool.install(f),
        // A pool that cannot be built (the OS refused threads): run where we are.
        None => f(),
    }
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
