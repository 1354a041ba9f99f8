//! Steps of chunked work shared by the calling thread and helper threads that spin between
//! steps instead of sleeping.
//!
//! Blocked Gauss-Jordan hands both threads work once per block of columns, a few hundred
//! microseconds apart at n = 512. rayon puts a worker that finds no job to sleep after a few
//! dozen yields, and waking it again (a futex, on a virtual machine an interrupt to a
//! halted virtual CPU) cost more than the work it was woken for: 11% of the samples of a
//! 512x512 inversion were in the kernel's futex paths, and after an idle pause a call took
//! ten calls to come back to speed (`bench/results/single-pause-ramp.txt`). A crew's
//! helpers are rayon jobs that stay on their threads for the whole call, spinning (and
//! yielding) while the calling thread works alone; OpenMP runtimes and OpenBLAS wait the
//! same way. Nothing waits on a helper that has not started: the calling thread claims any
//! chunk nobody took, so a crew whose helpers never get a thread still finishes.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// A step's work: called once for each chunk index, from any thread of the crew.
type Work = dyn Fn(usize) + Sync;

/// The state word: the step's generation (bits 40..), its chunk count (bits 24..40) and the
/// next unclaimed chunk (bits 0..24). One word, so that a claim (`fetch_add`) also tells
/// the claimer which step the chunk belongs to and how many it has.
const GEN_SHIFT: u32 = 40;
const COUNT_SHIFT: u32 = 24;
const FIELD: u64 = (1 << 16) - 1;
const NEXT: u64 = (1 << COUNT_SHIFT) - 1;
/// The generation that tells helpers to leave.
const DONE: u64 = (1 << 24) - 1;
/// Most chunks in one step (the count's field).
const MAX_CHUNKS: usize = FIELD as usize;
/// Busy-wait rounds before a waiting thread starts yielding its core between checks.
const SPINS: u32 = 1 << 12;

fn generation(s: u64) -> u64 {
    s >> GEN_SHIFT
}

fn count(s: u64) -> u64 {
    (s >> COUNT_SHIFT) & FIELD
}

fn next(s: u64) -> u64 {
    s & NEXT
}

/// The shared state of one call's crew; see [`with_helpers`].
pub(crate) struct Crew {
    state: AtomicU64,
    /// Chunks of the current step finished (or given up, see [`Crew::run`]).
    done: AtomicUsize,
    /// Helpers that have left.
    left: AtomicUsize,
    panicked: AtomicBool,
    /// The current step's work, lifetime erased: valid from the store of its step's state
    /// until [`Crew::run`] has seen every chunk of that step done.
    work: UnsafeCell<Option<*const Work>>,
}

// SAFETY: `work` is written only by the thread in `Crew::run`, while no chunk of any step
// is claimed or running (before the state publishes the new step, after `done` reached the
// old step's count), and read only by a thread that has claimed a chunk of the step that
// published it (its claim's `fetch_add` acquires that store); the work it points to is
// `Sync`. The other fields are atomics.
unsafe impl Sync for Crew {}

/// Runs `drive` on the calling thread with up to `helpers` threads of the current rayon
/// pool (the global one from outside any pool) spinning beside it, ready to take chunks of
/// each [`Crew::run`] step; they leave when `drive` returns (or unwinds). Helpers that get
/// no thread run, and leave at once, after `drive`.
///
/// Nothing inside `drive` or a step's work may wait on rayon (a join, a parallel
/// iterator, faer with `Par::Rayon`): a thread waiting in rayon runs queued jobs, and a
/// helper of this crew run there spins until the crew is done, which the thread under it
/// would never finish.
pub(crate) fn with_helpers<R: Send>(helpers: usize, drive: impl FnOnce(&Crew) -> R + Send) -> R {
    let crew = Crew {
        state: AtomicU64::new(0),
        done: AtomicUsize::new(0),
        left: AtomicUsize::new(0),
        panicked: AtomicBool::new(false),
        work: UnsafeCell::new(None),
    };
    if helpers == 0 {
        // One thread: no rayon at all (see `threads.rs`).
        return drive(&crew);
    }
    // In place: from outside a pool, `rayon::scope` would move `drive` onto a worker and
    // put this thread to sleep until it is done (two wake-ups per call).
    rayon::in_place_scope(|s| {
        for _ in 0..helpers {
            s.spawn(|_| {
                crew.help();
                crew.left.fetch_add(1, Ordering::Release);
            });
        }
        // Helpers leave even if `drive` unwinds (the scope waits for them).
        struct Leave<'a>(&'a Crew, usize);
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                let Leave(crew, helpers) = *self;
                crew.state.store(DONE << GEN_SHIFT, Ordering::Release);
                // A short spin while running helpers see that: the scope's own wait
                // would put this thread to sleep, and waking it costs more than the
                // spin. (Bounded: a helper that never started may be queued behind
                // this very thread, which runs it in the scope's wait.)
                for _ in 0..SPINS {
                    if crew.left.load(Ordering::Acquire) == helpers {
                        break;
                    }
                    std::hint::spin_loop();
                }
            }
        }
        let _leave = Leave(&crew, helpers);
        drive(&crew)
    })
}

impl Crew {
    /// Runs `work(i)` for every `i < count`, on this thread and the helpers, after `first`
    /// on this thread (the helpers start on the chunks meanwhile); returns `first`'s result
    /// once every chunk is done. Panics if a chunk panicked on a helper.
    pub(crate) fn run<T>(
        &self,
        count: usize,
        work: &(dyn Fn(usize) + Sync + '_),
        first: impl FnOnce() -> T,
    ) -> T {
        assert!(count <= MAX_CHUNKS, "a crew step of {count} chunks");
        let generation = generation(self.state.load(Ordering::Relaxed)) + 1;
        assert!(generation < DONE, "a crew of more than 2^24 steps");
        // SAFETY: `work` is borrowed for this call, which does not return (nor unwind past
        // `_wait`) before every chunk of this step is done, after which no thread reads the
        // pointer again (a claim of a later step reads that step's pointer). Erasing the
        // lifetime only lets the pointer sit in the crew meanwhile.
        let erased: *const Work =
            unsafe { std::mem::transmute::<&(dyn Fn(usize) + Sync + '_), &'static Work>(work) };
        // SAFETY: no chunk is claimed or running: the previous step's `run` saw them all
        // done, and this step is not published yet (see `impl Sync for Crew`).
        unsafe { *self.work.get() = Some(erased) };
        self.done.store(0, Ordering::Relaxed);
        let state = (generation << GEN_SHIFT) | ((count as u64) << COUNT_SHIFT);
        self.state.store(state, Ordering::Release);
        // Until every chunk is done, even if `first` or a chunk here unwinds: chunks nobody
        // claimed are claimed and counted here, so the wait ends.
        struct Wait<'a>(&'a Crew, usize);
        impl Drop for Wait<'_> {
            fn drop(&mut self) {
                let Wait(crew, count) = *self;
                while next(crew.state.fetch_add(1, Ordering::AcqRel)) < count as u64 {
                    crew.done.fetch_add(1, Ordering::Release);
                }
                let mut idle = 0;
                while crew.done.load(Ordering::Acquire) < count {
                    pause(&mut idle);
                }
            }
        }
        let wait = Wait(self, count);
        let out = first();
        while self.claim() {}
        drop(wait);
        if self.panicked.load(Ordering::Relaxed) {
            panic!("a chunk of matinv's work panicked on a helper thread");
        }
        out
    }

    /// Claims and runs one chunk of the current step; false when none was left.
    fn claim(&self) -> bool {
        let s = self.state.fetch_add(1, Ordering::AcqRel);
        if generation(s) == DONE || next(s) >= count(s) {
            return false;
        }
        // Counted done when it ends, even by unwinding (a panic on a helper is reported
        // by `run`; one here unwinds through `run`'s wait).
        struct Done<'a> {
            crew: &'a Crew,
            finished: bool,
        }
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                if !self.finished {
                    self.crew.panicked.store(true, Ordering::Relaxed);
                }
                self.crew.done.fetch_add(1, Ordering::Release);
            }
        }
        let mut done = Done {
            crew: self,
            finished: false,
        };
        // SAFETY: this thread claimed chunk `next(s)` of the step whose state it read, so
        // that step's `run` has stored its work before publishing it (acquired by the
        // `fetch_add`) and will not return before this chunk is counted done.
        let work = unsafe { (*self.work.get()).expect("a published step has work") };
        // SAFETY: as above: the work outlives every claimed chunk of its step.
        unsafe { (*work)(next(s) as usize) };
        done.finished = true;
        true
    }

    /// A helper: takes chunks as steps are published, spinning between them, until the
    /// crew is done.
    fn help(&self) {
        let mut idle = 0;
        loop {
            let s = self.state.load(Ordering::Acquire);
            if generation(s) == DONE {
                return;
            }
            if next(s) < count(s) && self.claim() {
                idle = 0;
            } else {
                pause(&mut idle);
            }
        }
    }
}

/// A slice whose disjoint ranges the threads of a crew write at once.
#[derive(Clone, Copy)]
pub(crate) struct SharedSlice<T> {
    ptr: *mut T,
    len: usize,
}

// SAFETY: a `SharedSlice` only carries the pointer of a slice borrowed mutably for longer
// than the crew that uses it; every access goes through `range`, whose callers keep the
// ranges disjoint.
unsafe impl<T: Send> Send for SharedSlice<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for SharedSlice<T> {}

impl<T> SharedSlice<T> {
    pub(crate) fn new(s: &mut [T]) -> Self {
        Self {
            ptr: s.as_mut_ptr(),
            len: s.len(),
        }
    }

    /// The elements `r`.
    ///
    /// # Safety
    /// No other reference to these elements may be used while this one is, and the slice
    /// must outlive it.
    pub(crate) unsafe fn range<'a>(self, r: std::ops::Range<usize>) -> &'a mut [T] {
        assert!(r.start <= r.end && r.end <= self.len);
        // SAFETY: in bounds (checked above), exclusive by the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(r.start), r.end - r.start) }
    }
}

/// One round of waiting: a spin-loop hint, or after [`SPINS`] rounds a yield of the core.
fn pause(idle: &mut u32) {
    if *idle < SPINS {
        *idle += 1;
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn every_chunk_runs_once_per_step_with_or_without_helpers() {
        for helpers in [0, 1, 3] {
            let hits: Vec<AtomicUsize> = (0..64).map(|_| AtomicUsize::new(0)).collect();
            let firsts = with_helpers(helpers, |crew| {
                (0..50)
                    .map(|step| {
                        let count = step % 9 + (step % 2) * 40;
                        crew.run(
                            count,
                            &|i| _ = hits[i].fetch_add(1, Ordering::Relaxed),
                            || step,
                        )
                    })
                    .sum::<usize>()
            });
            assert_eq!(firsts, (0..50).sum::<usize>());
            let want: Vec<usize> = (0..64)
                .map(|i| (0..50).filter(|s| i < s % 9 + (s % 2) * 40).count())
                .collect();
            let got: Vec<usize> = hits.iter().map(|h| h.load(Ordering::Relaxed)).collect();
            assert_eq!(got, want, "{helpers} helpers");
        }
    }

    #[test]
    fn a_panicking_chunk_panics_the_call_and_no_thread_hangs() {
        for helpers in [0, 1, 2] {
            let r = std::panic::catch_unwind(|| {
                with_helpers(helpers, |crew| {
                    crew.run(32, &|i| assert!(i != 17, "chunk 17"), || ());
                })
            });
            assert!(r.is_err(), "{helpers} helpers");
        }
        // The first part unwinding too.
        let r = std::panic::catch_unwind(|| {
            with_helpers(1, |crew| crew.run(8, &|_| (), || panic!("first")))
        });
        assert!(r.is_err());
    }
}
