//! The packing buffer of faer's matrix product, reserved where its failure can be caught.
//!
//! faer 0.24 multiplies matrices above 16 x 16 x 16 with `private-gemm-x86` on x86-64 CPUs
//! with AVX2 and FMA (or AVX-512). That crate packs operands into one buffer per thread,
//! made on the thread's first product and kept for the thread's life: a `Vec` of
//! `2 * ceil(L3 / 4096)` aligned 4 KiB pages, where `L3` is its own estimate of the last
//! level cache (private-gemm-x86 0.1.22, `src/lib.rs`, the `thread_local!` `MEM`). The
//! allocation is infallible: when it fails, Rust's allocation-error handler aborts the
//! process (no panic to catch), and faer offers no way to hand the product a buffer.
//!
//! So before a thread's first product, [`reserve`] asks for a buffer of exactly that size
//! and layout fallibly (`try_reserve_exact`), gives it back, and at once runs one small
//! product, which makes the real buffer while the memory just proven available is free.
//! Failure of the first step is [`Error::TooLarge`] (numpy's `MemoryError`); after the
//! second the thread never allocates for products again. Between the two steps another
//! thread of the process could take the memory: the check is exact for a limit on the
//! process's address space (`RLIMIT_AS`) while no other thread allocates in between, not a
//! lock against the rest of the process.
//!
//! Not covered, and so still aborting on failure:
//! - other CPUs (no AVX2/FMA, not x86-64): faer then uses the `gemm` crate, which allocates
//!   its packing buffers on every product (`gemm-common` 0.19, `src/gemm.rs`), and
//!   systems without `/sys/devices/system/cpu` (outside Linux), where the size cannot be
//!   told: there [`reserve`] does nothing;
//! - a product started on a thread already inside one (matinv's own products never nest;
//!   faer's threaded decompositions might, when a thread waiting inside a product picks up
//!   another), which gets a buffer of its own, and the small `nrows x threads` scratch of
//!   faer's threaded matrix-vector product (`faer/src/linalg/matmul/mod.rs`).

use crate::Error;
use faer::Par;
use std::cell::Cell;

/// One page of private-gemm-x86's buffer: its element type, size and alignment.
#[cfg(target_arch = "x86_64")]
#[repr(C, align(4096))]
struct Page([u8; 4096]);

thread_local! {
    /// Whether this thread's buffer exists (or none is needed).
    static RESERVED: Cell<bool> = const { Cell::new(false) };
}

/// Makes sure that every thread that may run faer's matrix products under `par` has its
/// packing buffer: the calling thread, and with several threads every thread of the
/// current rayon pool. Call it before work that runs faer's products (never per small
/// matrix: the first call on a thread costs an allocation and a small product, every later
/// one a thread-local read).
pub(crate) fn reserve(par: Par) -> Result<(), Error> {
    reserve_here()?;
    if par.degree() > 1 && rayon::current_num_threads() > 1 {
        // Every thread of the pool runs this, the calling one too if it is in the pool.
        let results = rayon::broadcast(|_| reserve_here());
        results.into_iter().collect::<Result<(), Error>>()?;
    }
    Ok(())
}

/// [`reserve`] for the calling thread.
fn reserve_here() -> Result<(), Error> {
    if RESERVED.get() {
        return Ok(());
    }
    #[cfg(target_arch = "x86_64")]
    if uses_private_gemm()
        && let Some(pages) = buffer_pages()
    {
        // One thread at a time from the check to the real buffer: two of matinv's own
        // threads checking at once could each find room for one buffer, and the second
        // real allocation would then abort (seen with two threads on a stack of SVDs).
        // A lock a forked child finds free: a parent's thread may hold it as it forks.
        static ONE_AT_A_TIME: crate::fork::Lock = crate::fork::Lock::new();
        let _turn = ONE_AT_A_TIME.lock();
        let mut probe: Vec<Page> = Vec::new();
        probe
            .try_reserve_exact(pages)
            .map_err(|_| Error::TooLarge)?;
        drop(probe);
        first_product();
    }
    RESERVED.set(true);
    Ok(())
}

/// Whether faer's products above 16 x 16 x 16 run on private-gemm-x86 (its own test).
#[cfg(target_arch = "x86_64")]
fn uses_private_gemm() -> bool {
    std::is_x86_feature_detected!("avx512f")
        || (std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma"))
}

/// A 17 x 17 x 17 product (just above faer's threshold for its small-product kernels),
/// through private-gemm-x86: its first on this thread makes the thread's buffer.
#[cfg(target_arch = "x86_64")]
fn first_product() {
    use faer::{Accum, MatMut, MatRef};
    const N: usize = 17;
    let (a, b) = ([1.0f64; N * N], [1.0f64; N * N]);
    let mut c = [0.0f64; N * N];
    faer::linalg::matmul::matmul(
        MatMut::from_column_major_slice_mut(&mut c, N, N),
        Accum::Replace,
        MatRef::from_column_major_slice(&a, N, N),
        MatRef::from_column_major_slice(&b, N, N),
        1.0,
        Par::Seq,
    );
    debug_assert_eq!(c[0], N as f64);
}

/// The pages of private-gemm-x86's buffer on this machine, once per process; `None` where
/// its cache estimate cannot be followed.
#[cfg(target_arch = "x86_64")]
fn buffer_pages() -> Option<usize> {
    // Only a size that was read is kept: a description that could not be read this time
    // (no file descriptor or no memory free) is read again next time, rather than leaving
    // every later thread unreserved for the life of the process. An atomic (0: not read
    // yet), not a `OnceLock`, which a child forked while it was being set would wait on.
    use std::sync::atomic::{AtomicUsize, Ordering};
    static PAGES: AtomicUsize = AtomicUsize::new(0);
    match PAGES.load(Ordering::Relaxed) {
        0 => {}
        pages => return Some(pages),
    }
    let pages = last_level_cache()?.div_ceil(4096).checked_mul(2)?;
    PAGES.store(pages, Ordering::Relaxed);
    Some(pages)
}

/// private-gemm-x86 0.1.22's estimate of the last level cache in bytes, from Linux's
/// cache description (`/sys/devices/system/cpu/cpu*/cache/index*`), as it makes it: per
/// level, the size of one cache divided by the number of CPUs sharing it (data and unified
/// caches; the last one listed wins, unless its line is narrower); all levels multiplied by
/// the number of CPUs sharing the last level-1 cache listed, the third by the number of
/// physical cores; then at least 32 KiB, 256 KiB and 2 MiB per level, and each level at
/// least 4 times the one below. `None` when the description cannot be read (it then asks
/// `lscpu` or the CPU, which this does not follow).
#[cfg(target_arch = "x86_64")]
fn last_level_cache() -> Option<usize> {
    use std::fs;
    let mut bytes = [0usize; 3];
    let mut line = [64usize; 3];
    let mut l1_shared = 1;
    for cpu in fs::read_dir("/sys/devices/system/cpu").ok()? {
        let cpu = cpu.ok()?.path();
        let is_cpu = cpu
            .file_name()
            .and_then(|f| f.to_str())
            .is_some_and(|f| f.starts_with("cpu"));
        let caches = cpu.join("cache");
        if !is_cpu || !caches.is_dir() {
            continue;
        }
        for index in fs::read_dir(caches).ok()? {
            let index = index.ok()?.path();
            let is_index = index
                .file_name()
                .and_then(|f| f.to_str())
                .is_some_and(|f| f.starts_with("index"));
            if !index.is_dir() || !is_index {
                continue;
            }
            // private-gemm-x86 reads every file of the directory and gives up on the whole
            // description (for lscpu) when one cannot be read: so does this.
            let mut files = Vec::new();
            for entry in fs::read_dir(&index).ok()? {
                let path = entry.ok()?.path();
                let text = fs::read_to_string(&path).ok()?;
                files.push((path, text));
            }
            let get = |name: &str| {
                files
                    .iter()
                    .find(|(p, _)| p.file_name().is_some_and(|f| f == name))
                    .map(|(_, t)| t.trim())
            };
            if get("type").is_some_and(|t| !matches!(t, "Data" | "Unified")) {
                continue;
            }
            let Some(info) = cache_entry(get) else {
                continue;
            };
            let (level, size, width, shared) = info;
            if level == 1 {
                l1_shared = shared;
            }
            if (1..=3).contains(&level) && width >= line[level - 1] && shared > 0 {
                line[level - 1] = width;
                bytes[level - 1] = size / shared;
            }
        }
    }
    let [l1, l2, l3] = bytes.map(|b| b.saturating_mul(l1_shared));
    let l3 = l3.saturating_mul(num_cpus::get_physical());
    let l1 = l1.max(32 << 10);
    let l2 = l2.max(256 << 10).max(l1.saturating_mul(4));
    Some(l3.max(2 << 20).max(l2.saturating_mul(4)))
}

/// `(level, size in bytes, line width, CPUs sharing it)` of one cache, from its files;
/// `None` when one of them does not parse (private-gemm-x86 then skips the cache).
#[cfg(target_arch = "x86_64")]
fn cache_entry<'t>(get: impl Fn(&str) -> Option<&'t str>) -> Option<(usize, usize, usize, usize)> {
    let mut shared = 0;
    if let Some(list) = get("shared_cpu_list") {
        for item in list.split(',') {
            shared += match item.split_once('-') {
                Some((a, b)) => b.parse::<usize>().ok()? + 1 - a.parse::<usize>().ok()?,
                None => 1,
            };
        }
    }
    let level = get("level").map_or(Some(0), |l| l.parse().ok())?;
    let width = get("coherency_line_size").map_or(Some(64), |w| w.parse().ok())?;
    let size = match get("size") {
        None => 0,
        Some(s) => {
            let (digits, unit) = match s.as_bytes().last() {
                Some(b'G') => (&s[..s.len() - 1], 1 << 30),
                Some(b'M') => (&s[..s.len() - 1], 1 << 20),
                Some(b'K') => (&s[..s.len() - 1], 1 << 10),
                _ => (s, 1),
            };
            digits.parse::<usize>().ok()?.checked_mul(unit)?
        }
    };
    Some((level, size, width, shared))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn cache_entries_parse_as_listed() {
        let files = [
            ("level", "3"),
            ("size", "266240K"),
            ("shared_cpu_list", "0-1,4,6-7"),
            ("coherency_line_size", "64"),
        ];
        let get = |name: &str| files.iter().find(|(n, _)| *n == name).map(|(_, t)| *t);
        assert_eq!(cache_entry(get), Some((3, 266240 << 10, 64, 5)));
        let bad = |name: &str| (name == "size").then_some("12Q");
        assert_eq!(cache_entry(bad), None);
    }

    #[test]
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    fn the_buffer_size_is_known_on_linux() {
        // At least twice the 2 MiB floor of the L3 estimate, in whole pages.
        let pages = buffer_pages().expect("Linux describes its caches");
        assert!(pages >= 2 * 512, "{pages} pages");
        std::thread::spawn(|| {
            reserve(Par::Seq).unwrap();
            assert!(RESERVED.get());
        })
        .join()
        .unwrap();
    }
}
