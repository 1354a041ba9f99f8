//! The progress bar (indicatif) for long runs: shown on stderr only when it is a terminal,
//! the job is big, and `--quiet` was not given.

use crate::array::Array;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

/// Work (about 2 n^3 flops per matrix) above which a bar is worth showing: about half a
/// second on one core.
const BIG_JOB_FLOPS: f64 = 2e9;

/// A progress bar, or nothing.
pub struct Progress {
    bar: Option<ProgressBar>,
    chunk: usize,
}

impl Progress {
    /// A bar for inverting `a`, unless `hidden` or the job is small.
    pub fn new(a: &Array, hidden: bool) -> Self {
        let (count, n) = (a.count(), a.n());
        let flops = 2.0 * count as f64 * (n as f64).powi(3);
        if hidden || flops < BIG_JOB_FLOPS {
            return Self {
                bar: None,
                chunk: count.max(1),
            };
        }
        if count == 1 {
            // One big matrix cannot be split: a spinner with the time so far.
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} inverting one {msg} matrix  {elapsed}")
            {
                bar.set_style(style);
            }
            bar.set_message(format!("{n} x {n}"));
            bar.enable_steady_tick(Duration::from_millis(120));
            return Self {
                bar: Some(bar),
                chunk: 1,
            };
        }
        let bar = ProgressBar::with_draw_target(Some(count as u64), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "inverting {pos}/{len} matrices [{bar:30}] {percent}%  {elapsed}, about {eta} left",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        // About 200 steps: each core-crate call still holds plenty of matrices to share
        // between threads.
        Self {
            bar: Some(bar),
            chunk: count.div_ceil(200).max(1),
        }
    }

    /// How many matrices to invert per call.
    pub fn chunk(&self) -> usize {
        self.chunk
    }

    /// `done` more matrices inverted.
    pub fn advance(&self, done: usize) {
        if let Some(bar) = &self.bar {
            bar.inc(done as u64);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
