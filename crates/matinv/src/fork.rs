//! Surviving `fork`: a child inherits the parent's memory, every lock in it as it was, but
//! only the thread that called `fork`. A lock held by any other thread at that moment
//! stays held forever in the child, and a once-cell being filled stays "being filled".
//! So matinv's state that a thread can hold across a fork is fork-safe by construction:
//! - a `pthread_atfork` handler, registered as the library loads (Linux) or at the first
//!   call, counts the forks a process descends through ([`Lock`]s taken before the last
//!   one are free) and marks a child forked after matinv was used ([`forked`]): its pools
//!   have lost their threads, so it runs single-threaded (`threads::team`);
//! - locks a kernel holds are [`Lock`]s, which a child finds free;
//! - nothing else waits: the handler's registration is a compare-and-swap, not a `Once`,
//!   and per-process values are atomics set once, not `OnceLock`s.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};

/// Set in a child made by `fork` after this process (or an ancestor) used matinv.
static FORKED: AtomicBool = AtomicBool::new(false);

/// Whether matinv has been used here: an inversion, or its threads consulted (which may
/// start rayon's global pool). Only then can a pool with threads exist for a child to lose.
static USED: AtomicBool = AtomicBool::new(false);

/// Forks this process descends through since the handler was registered (each child adds
/// one): a [`Lock`] taken in an earlier generation was held by a thread the child lacks.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// 0: no handler; 1: being registered; 2: registered.
static WATCHING: AtomicU8 = AtomicU8::new(0);

/// On Linux the handler is registered as the library loads (an ELF constructor), before any
/// thread of the program can call matinv or fork around a registration in progress.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static REGISTER_AT_LOAD: extern "C" fn() = {
    extern "C" fn at_load() {
        register();
    }
    at_load
};

/// Registers the fork handler (once per process; afterwards an atomic load): a child forked
/// afterwards finds matinv's locks free. Runs as the library loads on Linux; elsewhere at
/// the first call, or when the Python module is imported. A thread that finds another
/// registering goes on without waiting (a `Once` would make it wait, and a child forked
/// meanwhile would wait forever).
pub fn register() {
    if WATCHING.load(Ordering::Acquire) == 2 {
        return;
    }
    if WATCHING
        .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    #[cfg(unix)]
    {
        extern "C" fn in_child() {
            GENERATION.fetch_add(1, Ordering::Relaxed);
            if USED.load(Ordering::Relaxed) {
                FORKED.store(true, Ordering::Relaxed);
            }
        }
        // SAFETY: registers a handler that only reads and writes atomics
        // (async-signal-safe, as a fork handler must be); no other argument is read. A
        // failure (ENOMEM) leaves forks undetected, as before this process called matinv.
        unsafe {
            libc::pthread_atfork(None, None, Some(in_child));
        }
    }
    WATCHING.store(2, Ordering::Release);
}

/// Notes that matinv is being used (every inversion calls it before it decides on threads,
/// and every look at the threads): a child forked from now on runs single-threaded.
pub(crate) fn watch() {
    register();
    if !USED.load(Ordering::Relaxed) {
        USED.store(true, Ordering::Relaxed);
    }
}

/// True in a process forked after matinv was used in it or an ancestor (it must run
/// single-threaded); marks this process as using matinv.
pub(crate) fn forked() -> bool {
    watch();
    FORKED.load(Ordering::Relaxed)
}

/// A mutual-exclusion lock that a child made by `fork` finds free even when a thread of the
/// parent held it as it forked (a `std::sync::Mutex` would stay locked there forever). It
/// spins, yielding the CPU: for short sections taken rarely (once per thread). Only for
/// sections whose shared state a child may find half-done without harm: the child enters
/// where the lost thread was cut off.
pub(crate) struct Lock {
    /// 0 when free, else `2 * generation + 1` of the process that took it.
    state: AtomicU64,
}

/// Holds a [`Lock`] until dropped.
pub(crate) struct Guard<'a>(&'a Lock);

impl Lock {
    pub(crate) const fn new() -> Self {
        Self {
            state: AtomicU64::new(0),
        }
    }

    pub(crate) fn lock(&self) -> Guard<'_> {
        register();
        loop {
            let taken = 2 * GENERATION.load(Ordering::Relaxed) + 1;
            let now = self.state.load(Ordering::Relaxed);
            // Free, or held in an earlier generation: by a thread this process lacks.
            if (now == 0 || now < taken)
                && self
                    .state
                    .compare_exchange(now, taken, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return Guard(self);
            }
            std::thread::yield_now();
        }
    }
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        self.0.state.store(0, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn the_lock_excludes_other_threads() {
        static LOCK: Lock = Lock::new();
        let count = Arc::new(AtomicU64::new(0));
        let inside = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (count, inside) = (count.clone(), inside.clone());
                std::thread::spawn(move || {
                    for _ in 0..2000 {
                        let _held = LOCK.lock();
                        assert!(!inside.swap(true, Ordering::SeqCst), "two holders");
                        count.fetch_add(1, Ordering::Relaxed);
                        inside.store(false, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(count.load(Ordering::Relaxed), 8000);
    }

    /// A thread holds the lock as the process forks: the child takes it at once (with a
    /// `std::sync::Mutex` it waits forever; the parent kills it after 20 s).
    #[test]
    #[cfg(unix)]
    fn a_child_finds_free_a_lock_held_as_it_forked() {
        static LOCK: Lock = Lock::new();
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let holder = std::thread::spawn(move || {
            let _held = LOCK.lock();
            held_tx.send(()).unwrap();
            done_rx.recv().unwrap();
        });
        held_rx.recv().unwrap();
        // This process uses matinv: its child is marked as forked.
        watch();
        // SAFETY: the child touches only atomics (the lock, `yield`) and calls `_exit`.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let ok = forked();
            drop(LOCK.lock());
            // SAFETY: ends the child without the parent's exit handlers.
            unsafe { libc::_exit(if ok { 0 } else { 3 }) };
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let mut status = 0;
        loop {
            // SAFETY: waits for our own child without blocking.
            let got = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            if got == pid {
                break;
            }
            if std::time::Instant::now() > deadline {
                // SAFETY: kills our own child, then reaps it.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, &mut status, 0);
                }
                panic!("the forked child waited on a lock its parent's thread held");
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        done_tx.send(()).unwrap();
        holder.join().unwrap();
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "{status}"
        );
        assert!(!forked(), "the parent is no child");
    }
}
