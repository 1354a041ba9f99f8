//! Thread pools of a chosen size, built once and reused (building one costs far more than
//! a small inversion).

use rayon::{ThreadPool, ThreadPoolBuilder};
use std::sync::{Arc, Mutex};

static POOLS: Mutex<Vec<(usize, Arc<ThreadPool>)>> = Mutex::new(Vec::new());

/// The number of threads used when none is asked for: rayon's global pool (every core, or
/// `RAYON_NUM_THREADS`).
pub fn default_num_threads() -> usize {
    rayon::current_num_threads()
}

/// Runs `f` on a pool of `threads` threads (`0`: the global pool; `1`: the calling thread,
/// as handing work to another thread costs microseconds).
pub(crate) fn install<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
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
